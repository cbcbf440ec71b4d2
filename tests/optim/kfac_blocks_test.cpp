// K-FAC's estimation modes and block kinds: the exact Gauss-Newton mode against the explicit
// Gauss-Newton matrix and against the mean of sampled statistics, Embedding tables as diagonal
// input factors (exact on one example, preconditioning against a dense solve, training and
// resuming), and the refusal of layers K-FAC does not cover.

#include <gtest/gtest.h>

#include <Eigen/Cholesky>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/embedding.h"
#include "curvopt/optim/kfac/kfac_curvature.h"
#include "curvopt/optim/registry.h"
#include "curvopt/problem/objective.h"
#include "testing/kfac.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

using testing::kron;

// The Kronecker block of layer i, with a diagonal A expanded.
Matrix<double> block(const KfacCurvature<double>& kfac, int i) {
  const Matrix<double>& A = kfac.A(i);
  return A.cols() == 1 && A.rows() > 1 ? kron(A.col(0).asDiagonal(), kfac.G(i))
                                       : kron(A, kfac.G(i));
}

// What K-FAC approximates, (1/b) Σₛ Jₛᵀ (∂²ℓₛ/∂z²) Jₛ for the per-example losses ℓₛ: the
// Gauss-Newton matrix of the reduced loss L = scale·Σₛ ℓₛ, over scale·b.
Matrix<double> gauss_newton_of_examples(Objective<double>& objective, const Loss<double>& loss,
                                        const Vector<double>& theta, Index b, Index outputs) {
  const Index n = theta.size();
  Matrix<double> F(n, n);
  objective.ggn_matrix_product(theta, Matrix<double>::Identity(n, n), F);
  return F / (loss.scale(b, outputs) * static_cast<double>(b));
}

// Dense 4 → 3 on b examples, all with the same input when `same_input`.
struct DenseNet {
  DenseNet(Index b, bool same_input, const Loss<double>& loss)
      : model(Shape::flat(4)), x(4, b), y(3, b) {
    Rng rng(5);
    for (Index s = 0; s < b; ++s)
      for (Index f = 0; f < 4; ++f) x(f, s) = same_input && s > 0 ? x(f, 0) : rng.normal();
    y.setZero();
    for (Index s = 0; s < b; ++s) y(s % 3, s) = 1;  // one-hot, and a regression target
    model.add<Dense>(Index(3));
    model.initialize(Initializer::kPyTorchDefault, 7);
    objective = std::make_unique<Objective<double>>(model, loss);
    objective->set_batch(x, y);
  }
  Sequential<double> model;
  Matrix<double> x, y;
  std::unique_ptr<Objective<double>> objective;
};

TEST(KfacExactEstimation, GivesTheGaussNewtonBlockExactlyWhenTheInputsAgree) {
  // Per example the Gauss-Newton block of [W b] is āāᵀ ⊗ Jᵀ H J; with one input for the whole
  // batch the mean factorizes exactly, for any loss: the exact mode must reproduce it with no
  // sampling noise.
  SoftmaxCrossEntropy<double> cross_entropy;
  SquaredError<double> squared;
  for (const Loss<double>* loss : {static_cast<const Loss<double>*>(&cross_entropy),
                                   static_cast<const Loss<double>*>(&squared)}) {
    for (Index b : {Index(1), Index(7)}) {
      DenseNet net(b, true, *loss);
      KfacCurvature<double> kfac({.targets = KfacTargets::kExact});
      const Vector<double> theta = net.model.parameters();
      ASSERT_TRUE(kfac.update(*net.objective, theta));
      const Matrix<double> F = gauss_newton_of_examples(*net.objective, *loss, theta, b, 3);
      EXPECT_LE((block(kfac, 0) - F).norm(), 1e-12 * F.norm()) << loss->type() << " b=" << b;
    }
  }
}

TEST(KfacExactEstimation, IsWhatTheSampledFactorsAverageTo) {
  // E[∇ℓ∇ℓᵀ] over targets drawn from the model is the Gauss-Newton factor: the mean of many
  // sampled G's converges to the exact one at the Monte Carlo rate.
  testing::ThreeClassBlobs blobs(30, 1.5, 5);
  SoftmaxCrossEntropy<double> loss;
  Objective<double> objective(blobs.model, loss);
  objective.set_batch(blobs.inputs, blobs.labels);
  const Vector<double> theta = blobs.model.parameters();
  KfacCurvature<double> exact({.targets = KfacTargets::kExact});
  ASSERT_TRUE(exact.update(objective, theta));
  // decay → 1: the moving average is the plain mean of the draws (ε = 1 − 1/k).
  KfacCurvature<double> sampled({.decay = 0.999999, .seed = 11});
  const int draws = 2000;
  for (int k = 0; k < draws; ++k) ASSERT_TRUE(sampled.update(objective, theta));
  for (int l = 0; l < 2; ++l) {
    EXPECT_LE((sampled.A(l) - exact.A(l)).norm(), 1e-12 * exact.A(l).norm());  // no targets
    // 2000 draws × 30 examples: a relative error of about 1/√60000 ≈ 0.004 per entry.
    const double error = (sampled.G(l) - exact.G(l)).norm() / exact.G(l).norm();
    EXPECT_LT(error, 0.05) << "layer " << l;
  }
}

// Two embedding tables (5 users, 4 items, 3 values each) into Dense 6 → 2, softmax.
struct EmbeddingNet {
  explicit EmbeddingNet(Index b) : model(Shape::flat(2)), x(2, b), y(1, b) {
    for (Index s = 0; s < b; ++s) {
      x(0, s) = static_cast<double>((3 * s + 1) % 5);
      x(1, s) = static_cast<double>((s * s) % 4);
      y(0, s) = static_cast<double>(static_cast<Index>(x(0, s)) % 2);  // the user's parity
    }
    model.add<Embedding>(std::vector<Index>{5, 4}, Index(3));
    model.add<Dense>(Index(2));
    model.initialize(Initializer::kPyTorchDefault, 3);
    objective = std::make_unique<Objective<double>>(model, loss);
    objective->set_batch(x, y);
  }
  Matrix<double> empirical_fisher() {
    return testing::empirical_fisher(*objective, model.parameters());
  }
  Sequential<double> model;
  SoftmaxCrossEntropy<double> loss;
  Matrix<double> x, y;
  std::unique_ptr<Objective<double>> objective;
};

TEST(KfacEmbedding, EachTableIsADiagonalTimesGBlockExactOnOneExample) {
  // One example looks up entry i: the table's gradient is g eᵢᵀ, its outer product
  // eᵢeᵢᵀ ⊗ ggᵀ = diag(A) ⊗ G exactly.
  EmbeddingNet net(1);
  KfacCurvature<double> kfac({.targets = KfacTargets::kEmpirical});
  ASSERT_TRUE(kfac.update(*net.objective, net.model.parameters()));
  ASSERT_EQ(kfac.num_layers(), 3);  // two tables and the Dense layer
  const Matrix<double> F = net.empirical_fisher();
  Index offset = 0;
  for (int l = 0; l < 3; ++l) {
    const Matrix<double> B = block(kfac, l);
    EXPECT_LE((B - F.block(offset, offset, B.rows(), B.cols())).norm(), 1e-14 * F.norm()) << l;
    offset += B.rows();
  }
  EXPECT_EQ(offset, F.rows());
  EXPECT_EQ(kfac.A(0).cols(), 1);  // the tables' A are kept as diagonals
  EXPECT_EQ(kfac.A(1).cols(), 1);
}

TEST(KfacEmbedding, TablesCountTheLookupsAndPreconditionAsTheDenseSolve) {
  EmbeddingNet net(9);
  const Vector<double> theta = net.model.parameters();
  KfacCurvature<double> kfac({.seed = 2});
  ASSERT_TRUE(kfac.update(*net.objective, theta));
  // A of a table = diag(lookups of each entry) / b.
  for (int f = 0; f < 2; ++f) {
    Vector<double> counts = Vector<double>::Zero(kfac.A(f).rows());
    for (Index s = 0; s < 9; ++s) counts(static_cast<Index>(net.x(f, s))) += 1.0 / 9;
    EXPECT_LE((kfac.A(f).col(0) - counts).norm(), 1e-15) << "table " << f;
  }
  const double gamma = 0.2;
  ASSERT_TRUE(kfac.invert(gamma));
  // blockdiag((A + πγI) ⊗ (G + (γ/π)I)), π = √((tr A / d_A) / (tr G / d_G)) for every block.
  Matrix<double> F = Matrix<double>::Zero(theta.size(), theta.size());
  Index offset = 0;
  for (int l = 0; l < 3; ++l) {
    const Matrix<double> A =
        kfac.A(l).cols() == 1 ? Matrix<double>(kfac.A(l).col(0).asDiagonal()) : kfac.A(l);
    const Matrix<double>& G = kfac.G(l);
    const double pi = std::sqrt((A.trace() / A.rows()) / (G.trace() / G.rows()));
    const Matrix<double> Ad = A + pi * gamma * Matrix<double>::Identity(A.rows(), A.rows());
    const Matrix<double> Gd = G + gamma / pi * Matrix<double>::Identity(G.rows(), G.rows());
    const Index size = A.rows() * G.rows();
    F.block(offset, offset, size, size) = kron(Ad, Gd);
    offset += size;
  }
  ASSERT_EQ(offset, theta.size());
  Vector<double> g(theta.size()), out(theta.size());
  net.objective->gradient(theta, g);
  kfac.precondition(g, out);
  const Vector<double> expected = F.ldlt().solve(g);
  EXPECT_LE((out - expected).norm(), 1e-10 * expected.norm());
}

TEST(KfacEmbedding, TrainsARecommenderAndResumesBitIdentically) {
  EmbeddingNet net(40);
  Objective<double>& objective = *net.objective;
  const std::string spec = "kfac estimation=exact inverse_period=3 damping_period=2";
  auto kfac = make_optimizer<double>(spec);
  Vector<double> theta = net.model.parameters();
  const double initial = objective.value(theta);
  for (int k = 0; k < 10; ++k) ASSERT_TRUE(kfac->step(objective, theta).accepted());
  const OptimizerState state = kfac->save_state();
  ASSERT_TRUE(state.contains("kfac_diagonal"));
  Vector<double> resumed = theta;
  auto other = make_optimizer<double>(spec);
  other->load_state(state);
  for (int k = 0; k < 20; ++k) {
    kfac->step(objective, theta);
    other->step(objective, resumed);
  }
  EXPECT_EQ(theta, resumed);
  EXPECT_LT(objective.value(theta), 0.5 * initial);
}

// EKFAC on one Dense layer with the empirical Fisher of 20 examples: decay 0, so that the second
// update, at the same point, draws the scaling in the eigenbasis of exactly its own factors.
struct EkfacOnOneLayer {
  EkfacOnOneLayer() : net(20, false, loss), theta(net.model.parameters()) {
    EXPECT_TRUE(kfac.update(*net.objective, theta));
    EXPECT_TRUE(kfac.invert(0.1));
    EXPECT_TRUE(kfac.update(*net.objective, theta));
    fisher = testing::empirical_fisher(*net.objective, theta);
    basis = kron(kfac.basis_A(0), kfac.basis_G(0));
  }
  SoftmaxCrossEntropy<double> loss;
  DenseNet net;
  Vector<double> theta;
  KfacCurvature<double> kfac{
      {.targets = KfacTargets::kEmpirical, .decay = 0, .inverse = KfacInverse::kEkfac}};
  Matrix<double> fisher, basis;  // F, and Q = Q_A ⊗ Q_G
};

TEST(Ekfac, ScalingIsTheFishersDiagonalInTheKroneckerEigenbasis) {
  // George et al. (2018): Sᵢⱼ = E[(Q_Gᵀ∇WQ_A)ᵢⱼ²] = (Qᵀ F Q)ᵢᵢ in vec order, the best diagonal
  // in that basis, so Q diag(S) Qᵀ is nearer F than K-FAC's own Q diag(g aᵀ) Qᵀ = A ⊗ G.
  EkfacOnOneLayer e;
  const Matrix<double>& S = e.kfac.scaling(0);
  ASSERT_EQ(S.rows(), 3);
  ASSERT_EQ(S.cols(), 5);
  const Vector<double> diagonal = (e.basis.transpose() * e.fisher * e.basis).diagonal();
  const Vector<double> s = S.reshaped();
  EXPECT_LE((s - diagonal).norm(), 1e-12 * diagonal.norm());
  const Matrix<double> ekfac = e.basis * s.asDiagonal() * e.basis.transpose();
  const double ekfac_error = (ekfac - e.fisher).norm();
  const double kfac_error = (kron(e.kfac.A(0), e.kfac.G(0)) - e.fisher).norm();
  EXPECT_LT(ekfac_error, kfac_error);
  std::printf("Frobenius error against the Fisher: K-FAC %.4f, EKFAC %.4f (of %.4f)\n", kfac_error,
              ekfac_error, e.fisher.norm());
}

TEST(Ekfac, PreconditionsWithTheDampedRescaledEigenbasis) {
  EkfacOnOneLayer e;
  const double gamma = 0.1;  // the invert() above: damping S + γ²
  Vector<double> g(e.theta.size()), out(e.theta.size());
  e.net.objective->gradient(e.theta, g);
  e.kfac.precondition(g, out);
  const Vector<double> s = e.kfac.scaling(0).reshaped();
  const Matrix<double> F =
      e.basis * (s.array() + gamma * gamma).matrix().asDiagonal() * e.basis.transpose();
  const Vector<double> expected = F.ldlt().solve(g);
  EXPECT_LE((out - expected).norm(), 1e-10 * expected.norm());
}

TEST(Ekfac, TrainsAndResumesBitIdentically) {
  testing::ThreeClassBlobs blobs(60, 1.5, 8);
  SoftmaxCrossEntropy<double> loss;
  Objective<double> objective(blobs.model, loss);
  objective.set_batch(blobs.inputs, blobs.labels);
  for (const char* spec :
       {"kfac inverse=ekfac inverse_period=4 damping_period=2",
        "sgd lr=0.1 precondition=kfac kfac_inverse=ekfac kfac_inverse_period=4"}) {
    auto opt = make_optimizer<double>(spec);
    Vector<double> theta = blobs.model.parameters();
    const double initial = objective.value(theta);
    for (int k = 0; k < 10; ++k) ASSERT_TRUE(opt->step(objective, theta).accepted()) << spec;
    const OptimizerState state = opt->save_state();
    ASSERT_TRUE(state.contains("kfac_S0")) << spec;
    Vector<double> resumed = theta;
    auto other = make_optimizer<double>(spec);
    other->load_state(state);
    for (int k = 0; k < 20; ++k) {
      opt->step(objective, theta);
      other->step(objective, resumed);
    }
    EXPECT_EQ(theta, resumed) << spec;
    EXPECT_LT(objective.value(theta), 0.6 * initial) << spec;
  }
}

// y = w ⊙ x, one weight per feature: parameters K-FAC has no factors for.
class ElementwiseScale final : public Layer<double> {
 public:
  std::string type() const override { return "ElementwiseScale"; }
  std::unique_ptr<Layer<double>> clone() const override {
    return std::make_unique<ElementwiseScale>(*this);
  }
  Index num_parameters() const override { return input_size(); }
  void initialize(double* params, Initializer, Rng&) const override {
    for (Index i = 0; i < input_size(); ++i) params[i] = 1;
  }
  void forward(ConstRef X, Ref Y) override { Y = weights().asDiagonal() * X; }
  void backward(ConstRef X, ConstRef, ConstRef dY, Mat* dX, double* grad) override {
    if (dX) *dX = weights().asDiagonal() * dY;
    if (grad) VectorMap<double>(grad, input_size()) = (X.array() * dY.array()).rowwise().sum();
  }
  void jvp(ConstRef X, ConstRef, const Mat* dX, const double* v, Ref dY) override {
    dY.setZero();
    if (dX) dY += weights().asDiagonal() * *dX;
    if (v) dY += ConstVectorMap<double>(v, input_size()).asDiagonal() * X;
  }
  void hvp_backward(ConstRef, ConstRef, ConstRef, const Mat*, ConstRef, const double*, Mat*,
                    double*) override {
    throw Error("ElementwiseScale: no Hessian products in this test");
  }

 protected:
  Shape do_configure(const Shape& input) override { return input; }

 private:
  ConstVectorMap<double> weights() const { return {this->params_, input_size()}; }
};

TEST(KfacCurvature, RefusesANetworkWithParametersOutsideTheLayersItCovers) {
  Sequential<double> model(Shape::flat(2));
  model.add(std::make_unique<ElementwiseScale>());
  model.add<Dense>(Index(2));
  model.initialize(Initializer::kPyTorchDefault, 1);
  SoftmaxCrossEntropy<double> loss;
  Objective<double> objective(model, loss);
  Matrix<double> x(2, 4), y(1, 4);
  x << 0, 1, 2, 3, 1, 0, 1, 0;
  y << 0, 1, 0, 1;
  objective.set_batch(x, y);
  KfacCurvature<double> kfac;
  try {
    kfac.update(objective, model.parameters());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("parameters 0..1 belong to no Dense, Conv2d or Embedding layer"),
        std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace curvopt
