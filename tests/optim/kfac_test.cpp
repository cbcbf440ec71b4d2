// K-FAC: the Kronecker-factored Fisher against the explicit one, the moving averages, the damped
// preconditioner against a dense solve, the quadratic model's α and μ against a brute-force
// minimization, coverage errors, and training.

#include "curvopt/optim/kfac.h"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "curvopt/core/errors.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "curvopt/optim/kfac/kfac_curvature.h"
#include "curvopt/optim/registry.h"
#include "curvopt/problem/objective.h"
#include "testing/kfac.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

using testing::kron;

// One Dense layer 4 → 3 with softmax cross-entropy on b examples.
struct OneLayer {
  explicit OneLayer(Index b, bool same_input) : model(Shape::flat(4)), x(4, b), y(1, b) {
    Rng rng(5);
    for (Index s = 0; s < b; ++s) {
      y(0, s) = static_cast<double>(s % 3);
      for (Index f = 0; f < 4; ++f) x(f, s) = same_input && s > 0 ? x(f, 0) : rng.normal();
    }
    model.add<Dense>(Index(3));
    model.initialize(Initializer::kPyTorchDefault, 7);
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

// The three-class blobs with their softmax cross-entropy objective bound to all examples.
struct BlobsObjective {
  BlobsObjective(Index examples, Index hidden)
      : blobs(examples, 1.5, hidden), objective(blobs.model, loss) {
    objective.set_batch(blobs.inputs, blobs.labels);
  }
  std::pair<testing::ThreeClassBlobs&, Objective<double>&> parts() { return {blobs, objective}; }
  testing::ThreeClassBlobs blobs;
  SoftmaxCrossEntropy<double> loss;
  Objective<double> objective;
};

TEST(KfacCurvature, OneExampleGivesTheExactFisherBlock) {
  // For one example the gradient of [W b] is δ āᵀ, so its outer product is āāᵀ ⊗ δδᵀ = A ⊗ G.
  OneLayer net(1, false);
  KfacCurvature<double> kfac({.targets = KfacTargets::kEmpirical});
  ASSERT_TRUE(kfac.update(*net.objective, net.model.parameters()));
  ASSERT_EQ(kfac.num_layers(), 1);
  const Matrix<double> F = net.empirical_fisher();
  EXPECT_LE((kron(kfac.A(0), kfac.G(0)) - F).norm(), 1e-14 * F.norm());
}

TEST(KfacCurvature, ABatchWithOneInputGivesTheExactFisherBlockAndOtherwiseApproximatesIt) {
  // With ā the same for every example, mean(āāᵀ ⊗ δδᵀ) = āāᵀ ⊗ mean(δδᵀ): exact on a batch.
  OneLayer same(12, true);
  KfacCurvature<double> kfac({.targets = KfacTargets::kEmpirical});
  ASSERT_TRUE(kfac.update(*same.objective, same.model.parameters()));
  const Matrix<double> F = same.empirical_fisher();
  EXPECT_LE((kron(kfac.A(0), kfac.G(0)) - F).norm(), 1e-13 * F.norm());
  // With independent inputs A ⊗ G is the documented approximation (inputs and pre-activation
  // gradients treated as independent): close to F, not equal to it.
  OneLayer varied(200, false);
  KfacCurvature<double> approx({.targets = KfacTargets::kEmpirical});
  ASSERT_TRUE(approx.update(*varied.objective, varied.model.parameters()));
  const Matrix<double> Fv = varied.empirical_fisher();
  const double error = (kron(approx.A(0), approx.G(0)) - Fv).norm() / Fv.norm();
  EXPECT_GT(error, 1e-6);
  EXPECT_LT(error, 0.5);
  std::printf("K-FAC block vs empirical Fisher, 200 examples: relative error %.3f\n", error);
}

TEST(KfacCurvature, MovingAveragesWeighTheKthUpdateByMinOneMinusOneOverKAndTheDecay) {
  // Three updates on three batches: ε = 0, 1/2, 2/3 (decay 0.95 not yet binding).
  OneLayer a(5, false), b(7, false), c(9, false);
  const Vector<double> theta = a.model.parameters();
  KfacCurvature<double> kfac({.targets = KfacTargets::kEmpirical});
  KfacCurvature<double> single({.targets = KfacTargets::kEmpirical});
  Matrix<double> As[3], Gs[3];
  OneLayer* nets[] = {&a, &b, &c};
  for (int k = 0; k < 3; ++k) {
    KfacCurvature<double> one({.targets = KfacTargets::kEmpirical});
    ASSERT_TRUE(one.update(*nets[k]->objective, theta));
    As[k] = one.A(0);
    Gs[k] = one.G(0);
    ASSERT_TRUE(kfac.update(*nets[k]->objective, theta));
  }
  const Matrix<double> A = (As[0] + As[1] + As[2]) / 3, G = (Gs[0] + Gs[1] + Gs[2]) / 3;
  EXPECT_LE((kfac.A(0) - A).norm(), 1e-14 * A.norm());
  EXPECT_LE((kfac.G(0) - G).norm(), 1e-14 * G.norm());
  // With decay 0.3 the second update already uses ε = 0.3.
  KfacCurvature<double> fast({.targets = KfacTargets::kEmpirical, .decay = 0.3});
  ASSERT_TRUE(fast.update(*a.objective, theta));
  ASSERT_TRUE(fast.update(*b.objective, theta));
  EXPECT_LE((fast.A(0) - (0.3 * As[0] + 0.7 * As[1])).norm(), 1e-14 * As[1].norm());
}

TEST(KfacCurvature, PreconditionerEqualsTheDenseFactoredDampedSolve) {
  BlobsObjective net(30, 5);
  auto [blobs, objective] = net.parts();  // references into net
  const Vector<double> theta = blobs.model.parameters();
  for (KfacInverse inverse : {KfacInverse::kCholesky, KfacInverse::kEigen}) {
    KfacCurvature<double> kfac({.inverse = inverse, .seed = 3});
    ASSERT_TRUE(kfac.update(objective, theta));
    const double gamma = 0.3;
    ASSERT_TRUE(kfac.invert(gamma));
    ASSERT_EQ(kfac.num_layers(), 2);
    // blockdiag((A + πγI) ⊗ (G + (γ/π)I)), π = √((tr A / d_A) / (tr G / d_G)).
    Matrix<double> F = Matrix<double>::Zero(theta.size(), theta.size());
    Index offset = 0;
    for (int l = 0; l < 2; ++l) {
      const Matrix<double>& A = kfac.A(l);
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
    objective.gradient(theta, g);
    kfac.precondition(g, out);
    const Vector<double> expected = F.ldlt().solve(g);
    EXPECT_LE((out - expected).norm(), 1e-10 * expected.norm()) << to_string(inverse);
  }
}

TEST(KfacDescent, AlphaAndMuMinimizeTheDampedQuadraticModel) {
  BlobsObjective net(30, 5);
  auto [blobs, objective] = net.parts();  // references into net
  Kfac<double> kfac;
  Vector<double> theta = blobs.model.parameters(), previous = theta;
  for (int k = 0; k < 3; ++k) {
    previous = theta;
    ASSERT_TRUE(kfac.step(objective, theta).accepted());
  }
  // The next step, from θ with δ₀ = θ − θ_prev.
  const Vector<double> start = theta, delta0 = theta - previous;
  Vector<double> g(theta.size());
  objective.gradient(start, g);
  const StepReport r = kfac.step(objective, theta);
  ASSERT_TRUE(r.accepted()) << r.message;
  const double lambda = r.damping.value();
  const Vector<double> Delta = kfac.kfac_descent().natural_direction();
  const double alpha = kfac.kfac_descent().alpha(), mu = kfac.kfac_descent().mu();
  EXPECT_LE((theta - start - (alpha * Delta + mu * delta0)).norm(), 1e-12 * (theta - start).norm());
  // M(a, m) = ½sᵀ(F + λI)s + gᵀs with s = aΔ + mδ₀, each point by its own Gauss-Newton product.
  Vector<double> Fs(theta.size());
  auto model_value = [&](double a, double m) {
    const Vector<double> s = a * Delta + m * delta0;
    objective.ggn_vector_product(start, s, Fs);
    return 0.5 * s.dot(Fs) + 0.5 * lambda * s.squaredNorm() + g.dot(s);
  };
  const double at_optimum = model_value(alpha, mu);
  double best = std::numeric_limits<double>::infinity(), best_a = 0, best_m = 0;
  const double da = 0.02 * std::max(std::abs(alpha), 1e-3),
               dm = 0.02 * std::max(std::abs(mu), 1e-3);
  for (int i = -25; i <= 25; ++i)
    for (int j = -25; j <= 25; ++j) {
      const double v = model_value(alpha + i * da, mu + j * dm);
      if (v < best) best = v, best_a = alpha + i * da, best_m = mu + j * dm;
    }
  EXPECT_LE(at_optimum, best + 1e-12 * std::abs(best));
  EXPECT_EQ(best_a, alpha);
  EXPECT_EQ(best_m, mu);
  EXPECT_NE(mu, 0);  // the momentum term is in use
  std::printf("quadratic model: alpha %.4f, mu %.4f, lambda %.3g\n", alpha, mu, lambda);
}

TEST(KfacDescent, NormConstraintBoundsTheStepsFisherNorm) {
  BlobsObjective net(30, 5);
  auto [blobs, objective] = net.parts();  // references into net
  KfacOptions options;
  options.descent.norm_constraint = 1e-3;
  Kfac<double> kfac(options);
  Vector<double> theta = blobs.model.parameters(), Fs(theta.size());
  for (int k = 0; k < 5; ++k) {
    const Vector<double> start = theta;
    ASSERT_TRUE(kfac.step(objective, theta).accepted());
    const Vector<double> s = theta - start;
    objective.ggn_vector_product(start, s, Fs);
    // Unconstrained, these steps have sᵀFs = 0.029, 0.021, 0.017, 0.012, 0.0086.
    EXPECT_LE(s.dot(Fs), 1e-3 * (1 + 1e-9)) << "step " << k;
    EXPECT_GE(s.dot(Fs), 0.999e-3) << "step " << k;  // binding: scaled to the bound
  }
}

TEST(Kfac, ClassifiesTheBlobsAndResumesBitIdentically) {
  BlobsObjective net(60, 8);
  auto [blobs, objective] = net.parts();  // references into net
  // Saved at step 10, two steps after the last inversion (steps 0, 4, 8): the averages have
  // moved on from the ones the inverses came from, which the checkpoint must keep.
  auto kfac = make_optimizer<double>("kfac inverse_period=4 damping_period=2");
  Vector<double> theta = blobs.model.parameters();
  const double initial = objective.value(theta);
  for (int k = 0; k < 10; ++k) ASSERT_TRUE(kfac->step(objective, theta).accepted());
  const OptimizerState state = kfac->save_state();
  Vector<double> resumed = theta;
  auto other = make_optimizer<double>("kfac inverse_period=4 damping_period=2");
  other->load_state(state);
  for (int k = 0; k < 20; ++k) {
    kfac->step(objective, theta);
    other->step(objective, resumed);
  }
  EXPECT_EQ(theta, resumed);
  EXPECT_LT(objective.value(theta), 0.5 * initial);  // 1.14 → 0.40 in 30 steps
}

// A network objective whose gradient (or K-FAC statistics) turn NaN on demand.
class Poisonable final : public Problem<double> {
 public:
  explicit Poisonable(Objective<double>& inner) : inner_(inner) {}
  bool nan_gradient = false, nan_statistics = false;
  Index num_parameters() const override { return inner_.num_parameters(); }
  OracleSet oracles() const override { return inner_.oracles(); }
  std::uint64_t data_version() const override { return inner_.data_version(); }
  double value(ConstVectorRef<double> p) override { return inner_.value(p); }
  double gradient(ConstVectorRef<double> p, VectorRef<double> g) override {
    const double f = inner_.gradient(p, g);
    if (nan_gradient) g(0) = std::nan("");
    return f;
  }
  void ggn_matrix_product(ConstVectorRef<double> p, ConstMatrixRef<double> V,
                          MatrixRef<double> out) override {
    inner_.ggn_matrix_product(p, V, out);
  }
  void kfac_statistics(ConstVectorRef<double> p, KfacTargets t, Rng& rng,
                       std::vector<KfacFactors<double>>& out) override {
    inner_.kfac_statistics(p, t, rng, out);
    if (nan_statistics) out[1].G(0, 0) = std::nan("");
  }

 private:
  Objective<double>& inner_;
};

TEST(Kfac, NonFiniteGradientOrStatisticsLeaveParametersAndFactorsUntouched) {
  BlobsObjective net(30, 5);
  auto [blobs, objective] = net.parts();  // references into net
  Poisonable problem(objective);
  Kfac<double> kfac;
  Vector<double> theta = blobs.model.parameters();
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(kfac.step(problem, theta).accepted());
  for (bool statistics : {false, true}) {
    const OptimizerState before = kfac.save_state();
    const Vector<double> kept = theta;
    problem.nan_gradient = !statistics;
    problem.nan_statistics = statistics;
    const StepReport r = kfac.step(problem, theta);
    EXPECT_EQ(r.status, StepStatus::kNumericalIssue) << statistics;
    EXPECT_FALSE(r.message.empty());
    EXPECT_EQ(theta, kept);
    const OptimizerState after = kfac.save_state();
    for (const char* key : {"kfac_A0", "kfac_G0", "kfac_A1", "kfac_G1", "damping"}) {
      const auto a = after.get(key), b = before.get(key);
      EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << key;
    }
    EXPECT_EQ(after.get_count("kfac_updates"), before.get_count("kfac_updates"));
  }
  problem.nan_statistics = false;
  EXPECT_TRUE(kfac.step(problem, theta).accepted());
}

TEST(KfacCurvature, RestoreUndoesTheUpdatesAndInversionsSinceTheSnapshot) {
  BlobsObjective net(30, 5);
  auto [blobs, objective] = net.parts();  // references into net
  const Vector<double> theta = blobs.model.parameters();
  Vector<double> g(theta.size()), before(theta.size()), after(theta.size());
  objective.gradient(theta, g);
  KfacCurvature<double> kfac({.seed = 4});
  ASSERT_TRUE(kfac.update(objective, theta));
  ASSERT_TRUE(kfac.invert(0.2));
  kfac.precondition(g, before);
  OptimizerState saved;
  kfac.save(saved);
  kfac.snapshot();
  ASSERT_TRUE(kfac.update(objective, 1.1 * theta));
  ASSERT_TRUE(kfac.invert(0.05));
  kfac.restore();
  OptimizerState restored;
  kfac.save(restored);
  EXPECT_TRUE(saved == restored);
  kfac.precondition(g, after);
  EXPECT_EQ(before, after);
}

// One step of SGD with the K-FAC preconditioner: θ₁ = θ₀ − lr·ν·F̃⁻¹g, F̃ from the first
// statistics with γ = √damping, ν = min(1, √(kl_clip/(lr²·gᵀF̃⁻¹g))).
TEST(KfacPreconditioner, SgdStepIsTheClippedNaturalGradientStep) {
  BlobsObjective net(30, 5);
  auto [blobs, objective] = net.parts();  // references into net
  const Vector<double> theta0 = blobs.model.parameters();
  Vector<double> g(theta0.size()), v(theta0.size());
  objective.gradient(theta0, g);
  KfacCurvature<double> reference({.seed = 0});
  ASSERT_TRUE(reference.update(objective, theta0));
  ASSERT_TRUE(reference.invert(std::sqrt(0.03)));
  reference.precondition(g, v);
  const double lr = 0.5, vg = lr * lr * v.dot(g);
  for (double kl_clip : {0.0, 1e-3}) {
    const double nu = kl_clip > 0 && vg > kl_clip ? std::sqrt(kl_clip / vg) : 1.0;
    auto sgd =
        make_optimizer<double>("sgd lr=0.5 precondition=kfac kl_clip=" + std::to_string(kl_clip));
    Vector<double> theta = theta0;
    ASSERT_TRUE(sgd->step(objective, theta).accepted());
    const Vector<double> expected = theta0 - lr * nu * v;
    EXPECT_LE((theta - expected).norm(), 1e-14 * expected.norm()) << kl_clip;
    if (kl_clip > 0) {
      EXPECT_LT(nu, 1);  // the clip binds here
    }
  }
}

TEST(KfacPreconditioner, AdamWithKfacResumesBitIdenticallyAndTrains) {
  BlobsObjective net(60, 8);
  auto [blobs, objective] = net.parts();  // references into net
  const char* spec =
      "adam lr=0.01 precondition=kfac kfac_inverse_period=3 kfac_statistics_period=2";
  auto adam = make_optimizer<double>(spec);
  EXPECT_TRUE(adam->required_oracles().contains(Oracle::kKfacStatistics));
  Vector<double> theta = blobs.model.parameters();
  const double initial = objective.value(theta);
  for (int k = 0; k < 7; ++k) ASSERT_TRUE(adam->step(objective, theta).accepted());
  auto other = make_optimizer<double>(spec);
  other->load_state(adam->save_state());
  Vector<double> resumed = theta;
  for (int k = 0; k < 30; ++k) {
    adam->step(objective, theta);
    other->step(objective, resumed);
  }
  EXPECT_EQ(theta, resumed);
  EXPECT_LT(objective.value(theta), 0.5 * initial);
  // Without the statistics oracle the problem is refused by name.
  FunctionProblem<double> quadratic = testing::quadratic_2d<double>();
  Vector<double> x = Vector<double>::Ones(2);
  EXPECT_THROW(make_optimizer<double>(spec)->step(quadratic, x), Error);
}

TEST(Kfac, OptionsNameTheBadField) {
  KfacOptions o;
  o.descent.inverse_period = 0;
  EXPECT_NE(o.validate()->find("inverse_period"), std::string::npos);
  o = {};
  o.descent.curvature.decay = 1;
  EXPECT_NE(o.validate()->find("decay"), std::string::npos);
  o = {};
  o.damping.period = 0;
  EXPECT_NE(o.validate()->find("period"), std::string::npos);
  EXPECT_THROW(make_optimizer<double>("kfac estimation=labels"), ConfigError);
  // The preconditioner's keys are checked even without precondition=kfac.
  try {
    make_optimizer<double>("sgd kfac_damping=-1");
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("damping"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_optimizer<double>("adam kl_clip=-0.5"), ConfigError);
}

}  // namespace
}  // namespace curvopt
