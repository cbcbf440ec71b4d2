#include "curvopt/problem/objective.h"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <functional>
#include <memory>

#include "curvopt/core/errors.h"
#include "curvopt/loss/sigmoid_cross_entropy.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/conv2d.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/embedding.h"
#include "curvopt/nn/flatten.h"
#include "curvopt/nn/max_pool2d.h"
#include "curvopt/problem/function_problem.h"
#include "testing/helpers.h"
#include "testing/networks.h"
#include "testing/tolerances.h"

namespace curvopt {
namespace {

using Mat = Matrix<double>;
using Vec = Vector<double>;
using testing::random_matrix;
using testing::random_vector;
using testing::relative_error;

constexpr Index kOutputs = testing::kTestOutputs;
using testing::test_cnn;
using testing::test_mlp;
using testing::test_recommender;

struct Network {
  std::string name;
  std::function<Sequential<double>()> make;
  std::function<Sequential<float>()> make_float;
  std::function<Mat(Index, Rng&)> inputs;
};

std::vector<Network> networks() {
  auto normal = [](Index in) {
    return [in](Index b, Rng& rng) { return random_matrix(in, b, rng); };
  };
  return {
      {"mlp", test_mlp<double>, test_mlp<float>, normal(3)},
      {"cnn", test_cnn<double>, test_cnn<float>, normal(72)},
      {"recommender", test_recommender<double>, test_recommender<float>,
       [](Index b, Rng& rng) {
         Mat X(2, b);
         for (Index s = 0; s < b; ++s) {
           X(0, s) = static_cast<double>(rng.uniform_int(5));
           X(1, s) = static_cast<double>(rng.uniform_int(4));
         }
         return X;
       }},
  };
}

struct LossCase {
  std::string name;
  std::function<std::unique_ptr<Loss<double>>()> make;
  std::function<std::unique_ptr<Loss<float>>()> make_float;
  std::function<Mat(Index, Rng&)> targets;
};

std::vector<LossCase> losses() {
  return {
      {"squared_error", [] { return std::make_unique<SquaredError<double>>(Reduction::kMean); },
       [] { return std::make_unique<SquaredError<float>>(Reduction::kMean); },
       [](Index b, Rng& rng) { return random_matrix(kOutputs, b, rng); }},
      {"softmax_ce", [] { return std::make_unique<SoftmaxCrossEntropy<double>>(Reduction::kMean); },
       [] { return std::make_unique<SoftmaxCrossEntropy<float>>(Reduction::kMean); },
       [](Index b, Rng& rng) {
         Mat y(1, b);
         for (Index s = 0; s < b; ++s) y(0, s) = static_cast<double>(rng.uniform_int(kOutputs));
         return y;
       }},
      {"sigmoid_ce", [] { return std::make_unique<SigmoidCrossEntropy<double>>(Reduction::kSum); },
       [] { return std::make_unique<SigmoidCrossEntropy<float>>(Reduction::kSum); },
       [](Index b, Rng& rng) {
         Mat y(kOutputs, b);
         for (Index i = 0; i < y.size(); ++i) y.data()[i] = rng.uniform() < 0.5 ? 0.0 : 1.0;
         return y;
       }},
  };
}

/// Every oracle of one (network, loss, seed) against finite differences and against each other.
void check_oracles(const Network& net, const LossCase& lc, std::uint64_t seed) {
  SCOPED_TRACE(net.name + " / " + lc.name + " / seed " + std::to_string(seed));
  constexpr double fd_tol = testing::Tolerance<double>::kFiniteDifference;
  constexpr double exact = testing::Tolerance<double>::kExact;
  constexpr double h = 1e-6;
  Rng rng(seed);
  Sequential<double> model = net.make();
  model.initialize(Initializer::kPyTorchDefault, seed);
  model.set_noise_seed(seed);
  const auto loss = lc.make();
  Objective<double> obj(model, *loss);
  const Index b = 3, n = model.num_parameters(), m = b * kOutputs;
  const Mat X = net.inputs(b, rng);
  const Mat Y = lc.targets(b, rng);
  obj.set_batch(X, Y);
  Vec theta = model.parameters() + random_vector(n, rng, 0.1);
  ASSERT_EQ(obj.num_residuals(), m);

  // Gradient against per-coordinate central differences of the value.
  Vec grad(n), grad_fd(n);
  const double f = obj.gradient(theta, grad);
  EXPECT_DOUBLE_EQ(f, obj.value(theta));
  for (Index i = 0; i < n; ++i) {
    Vec tp = theta, tm = theta;
    tp[i] += h;
    tm[i] -= h;
    grad_fd[i] = (obj.value(tp) - obj.value(tm)) / (2 * h);
  }
  EXPECT_LT(relative_error(grad, grad_fd), fd_tol) << "gradient";

  // Exact Hessian-vector product against finite differences of the gradient.
  const Vec v = random_vector(n, rng);
  Vec hv(n), gp(n), gm(n);
  obj.hessian_vector_product(theta, v, hv);
  obj.gradient(theta + h * v, gp);
  obj.gradient(theta - h * v, gm);
  EXPECT_LT(relative_error(hv, ((gp - gm) / (2 * h)).eval()), fd_tol) << "Hv";

  // Residual face: J, jvp, vjp, Gram and Jᵀr̂ = ∇f.
  Mat J(m, n);
  obj.jacobian(theta, J);
  Vec r(m), jv(m), jtu(n), jtr(n);
  obj.residuals(theta, r);
  obj.jvp(theta, v, jv);
  EXPECT_LT(relative_error(jv, (J * v).eval()), exact) << "J v = jvp";
  const Vec u = random_vector(m, rng);
  obj.vjp(theta, u, jtu);
  EXPECT_LT(relative_error(jtu, (J.transpose() * u).eval()), exact) << "Jᵀu = vjp";
  obj.vjp(theta, r, jtr);
  EXPECT_LT(relative_error(jtr, grad), exact) << "Jᵀ r̂ = gradient";
  Mat G(m, m);
  obj.gram(theta, G);
  EXPECT_LT(relative_error(G, (J * J.transpose()).eval()), exact) << "Gram = J Jᵀ";
  if (lc.name == "squared_error") {
    EXPECT_NEAR(0.5 * r.squaredNorm(), f, 1e-12) << "½‖r‖² = f";
    Vec rp(m), rm(m);
    obj.residuals(theta + h * v, rp);
    obj.residuals(theta - h * v, rm);
    EXPECT_LT(relative_error(jv, ((rp - rm) / (2 * h)).eval()), fd_tol) << "J v vs residual FD";
  }

  // Per-example gradients: rows sum to ∇f and row s = Σ_k r̂_{k,s} J_{k,s}.
  Mat P(b, n);
  obj.per_example_gradients(theta, P);
  EXPECT_LT(relative_error(P.colwise().sum().transpose().eval(), grad), exact);
  for (Index s = 0; s < b; ++s) {
    Vec expected = Vec::Zero(n);
    for (Index k = 0; k < kOutputs; ++k) expected += r[k * b + s] * J.row(k * b + s).transpose();
    EXPECT_LT(relative_error(P.row(s).transpose().eval(), expected), exact) << "row " << s;
  }

  // The empirical Fisher's diagonal b·Σₛ gₛ⊙gₛ, summed layer by layer without the rows, and
  // through the Problem default that forms them.
  Vec fisher(n), fisher_default(n);
  obj.empirical_fisher_diagonal(theta, fisher);
  const Vec from_rows = static_cast<double>(b) * P.colwise().squaredNorm().transpose();
  EXPECT_LT(relative_error(fisher, from_rows), exact) << "empirical Fisher diagonal";
  obj.Problem<double>::empirical_fisher_diagonal(theta, fisher_default);
  EXPECT_LT(relative_error(fisher_default, from_rows), exact) << "Problem default";

  // GGN product against J_zᵀ H J_z v with J_z by finite differences of the outputs and H from
  // the loss's Hessian blocks: independent of every reverse-mode pass.
  Vec ggn(n);
  obj.ggn_vector_product(theta, v, ggn);
  EXPECT_LT(relative_error(ggn, (J.transpose() * (J * v)).eval()), exact) << "Gv = JᵀJv";
  Mat Jz(m, n);  // rows ordered like the residuals: k·b + s
  Vec th_eval = theta;
  auto outputs_at = [&](const Vec& th) {
    th_eval = th;
    model.bind_parameters(th_eval.data(), n);
    return Mat(model.forward(X));
  };
  for (Index i = 0; i < n; ++i) {
    Vec tp = theta, tm = theta;
    tp[i] += h;
    tm[i] -= h;
    const Mat d = (outputs_at(tp) - outputs_at(tm)) / (2 * h);
    for (Index k = 0; k < kOutputs; ++k) Jz.col(i).segment(k * b, b) = d.row(k).transpose();
  }
  const Mat Z = outputs_at(theta);
  const Vec jzv = Jz * v;
  Mat jzv_mat(kOutputs, b), hjzv(kOutputs, b);
  for (Index k = 0; k < kOutputs; ++k) jzv_mat.row(k) = jzv.segment(k * b, b).transpose();
  loss->hessian_product(Z, Y, jzv_mat, hjzv);
  Vec hjzv_vec(m);
  for (Index k = 0; k < kOutputs; ++k) hjzv_vec.segment(k * b, b) = hjzv.row(k).transpose();
  EXPECT_LT(relative_error(ggn, (Jz.transpose() * hjzv_vec).eval()), fd_tol) << "Gv = JzᵀHJzv";

  // K-FAC: one factor pair per Dense/Conv2d layer and Embedding table; the last layer's G is the
  // mean outer product
  // of the unreduced per-example output gradients (the bias part of the per-example gradients).
  std::vector<KfacFactors<double>> factors;
  Rng kfac_rng(seed);
  obj.kfac_statistics(theta, KfacTargets::kEmpirical, kfac_rng, factors);
  Index expected_layers = 0;
  for (Index l = 0; l < model.num_layers(); ++l)
    expected_layers +=
        model.layer(l).type() == "Embedding"
            ? static_cast<Index>(
                  dynamic_cast<const Embedding<double>&>(model.layer(l)).vocab_sizes().size())
            : (model.layer(l).type() == "Dense" || model.layer(l).type() == "Conv2d");
  ASSERT_EQ(static_cast<Index>(factors.size()), expected_layers);
  const Mat bias_grads = P.rightCols(kOutputs) / loss->scale(b, kOutputs);
  EXPECT_LT(relative_error(factors.back().G, (bias_grads.transpose() * bias_grads / b).eval()),
            exact);
  std::vector<KfacFactors<double>> sampled;
  obj.kfac_statistics(theta, KfacTargets::kSampled, kfac_rng, sampled);
  ASSERT_EQ(sampled.size(), factors.size());
  EXPECT_GE(Eigen::SelfAdjointEigenSolver<Mat>(sampled.back().G).eigenvalues().minCoeff(), -1e-12);
  // The same through the Problem interface (what a decorator overrides), and it is listed.
  Problem<double>& as_problem = obj;
  EXPECT_TRUE(as_problem.oracles().contains(Oracle::kKfacStatistics));
  std::vector<KfacFactors<double>> through_problem;
  Rng again(seed);
  as_problem.kfac_statistics(theta, KfacTargets::kEmpirical, again, through_problem);
  ASSERT_EQ(through_problem.size(), factors.size());
  EXPECT_EQ(through_problem.back().G, factors.back().G);

  // float32 agrees with float64 to float precision.
  Sequential<float> model_f = net.make_float();
  model_f.set_noise_seed(seed);
  const auto loss_f = lc.make_float();
  Objective<float> obj_f(model_f, *loss_f);
  const Matrix<float> Xf = X.cast<float>(), Yf = Y.cast<float>();
  obj_f.set_batch(Xf, Yf);
  const Vector<float> theta_f = theta.cast<float>();
  Vector<float> grad_f(n);
  const float f_f = obj_f.gradient(theta_f, grad_f);
  EXPECT_NEAR(f_f, f, testing::kFloatVsDouble * std::max(1.0, std::abs(f)));
  EXPECT_LT(relative_error(grad_f, grad), testing::kFloatVsDouble) << "float gradient";
  Matrix<float> G_f(m, m);
  obj_f.gram(theta_f, G_f);
  EXPECT_LT(relative_error(G_f, G), testing::kFloatVsDouble) << "float Gram";
}

TEST(Objective, OraclesAgreeWithFiniteDifferencesAndEachOther) {
  for (const Network& net : networks())
    for (const LossCase& lc : losses())
      for (std::uint64_t seed : {1u, 2u}) check_oracles(net, lc, seed);
}

/// The layers [0, last] of `model` as a network of their own (its parameters are the first
/// ones of `model`'s vector).
Sequential<double> prefix_of(const Sequential<double>& model, Index last) {
  Sequential<double> prefix(model.input_shape());
  for (Index l = 0; l <= last; ++l) prefix.add(model.layer(l).clone());
  return prefix;
}

// Structural damping: (G + w·D_S) v − G v = (w/b)·Σ_h J_hᵀJ_h v over the hidden states h (the
// inputs of every parameterized layer but the first), checked as the bilinear form uᵀ(·)v with
// J_h u and J_h v from central differences of each hidden state, computed by a network that
// ends at that state: independent of the backward pass it tests.
TEST(Objective, StructuralDampingAddsTheHiddenStatesGaussNewtonMatrix) {
  constexpr double h = 1e-6;
  for (const Network& net : networks()) {
    if (net.name == "cnn") continue;  // RReLU's random slopes; the MLP and embeddings suffice
    SCOPED_TRACE(net.name);
    Rng rng(21);
    Sequential<double> model = net.make();
    model.initialize(Initializer::kPyTorchDefault, 5);
    SquaredError<double> loss(Reduction::kMean);
    Objective<double> obj(model, loss);
    const Index b = 4, n = model.num_parameters();
    const Mat X = net.inputs(b, rng);
    obj.set_batch(X, random_matrix(kOutputs, b, rng));
    const Vec theta = model.parameters() + random_vector(n, rng, 0.1);
    const Vec u = random_vector(n, rng), v = random_vector(n, rng);
    const double weight = 0.7;

    Vec gv(n), sv(n);
    obj.ggn_vector_product(theta, v, gv);
    obj.structurally_damped_ggn_product(theta, v, weight, sv);
    const double measured = u.dot(sv - gv);

    double expected = 0;
    int hidden_states = 0;
    for (Index l = 0; l + 1 < model.num_layers(); ++l) {
      const auto params_of = [&](Index i) {
        return model.parameter_offset(i + 1) - model.parameter_offset(i);
      };
      if (params_of(l + 1) == 0 || model.parameter_offset(l) + params_of(l) == 0) continue;
      ++hidden_states;
      Sequential<double> prefix = prefix_of(model, l);
      const Index np = prefix.num_parameters();
      const auto tangent = [&](const Vec& direction) {
        Vec plus = theta.head(np) + h * direction.head(np);
        Vec minus = theta.head(np) - h * direction.head(np);
        prefix.bind_parameters(plus.data(), np);
        const Mat hp = prefix.forward(X);
        prefix.bind_parameters(minus.data(), np);
        return Mat((hp - prefix.forward(X)) / (2 * h));
      };
      expected += weight / static_cast<double>(b) * (tangent(u).array() * tangent(v).array()).sum();
    }
    EXPECT_EQ(hidden_states, 2);
    EXPECT_NEAR(measured, expected,
                testing::Tolerance<double>::kFiniteDifference * std::max(1.0, std::abs(expected)));
    EXPECT_GT(std::abs(expected), 1e-3);  // the term is not negligible, so the check has teeth
    // Weight 0 is the plain product, bit for bit.
    obj.structurally_damped_ggn_product(theta, v, 0, sv);
    EXPECT_EQ(sv, gv);
  }
}

TEST(Objective, KfacStatisticsAreAnOracleOtherProblemsRefuseByName) {
  FunctionProblem<double> quadratic(
      2, [](ConstVectorRef<double> x) { return x.squaredNorm(); },
      [](ConstVectorRef<double> x, VectorRef<double> g) {
        g = 2 * x;
        return x.squaredNorm();
      });
  EXPECT_FALSE(quadratic.oracles().contains(Oracle::kKfacStatistics));
  std::vector<KfacFactors<double>> out;
  Rng rng(1);
  try {
    quadratic.kfac_statistics(Vector<double>::Zero(2), KfacTargets::kSampled, rng, out);
    FAIL() << "a function problem produced K-FAC statistics";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("kfac_statistics"), std::string::npos) << e.what();
  }
}

TEST(Objective, GaussNewtonEqualsHessianForLinearModelWithSquaredError) {
  Rng rng(3);
  Sequential<double> model(Shape::flat(4));
  model.add<Dense>(Index(2));
  model.initialize(Initializer::kGlorotUniform, 1);
  SquaredError<double> loss(Reduction::kHalfSum);
  Objective<double> obj(model, loss);
  const Mat X = random_matrix(4, 5, rng), Y = random_matrix(2, 5, rng);
  obj.set_batch(X, Y);
  const Vec theta = random_vector(model.num_parameters(), rng);
  const Vec v = random_vector(model.num_parameters(), rng);
  Vec hv(v.size()), gv(v.size());
  obj.hessian_vector_product(theta, v, hv);
  obj.ggn_vector_product(theta, v, gv);
  EXPECT_LT(relative_error(hv, gv), 1e-12);
}

TEST(Objective, ForwardCacheFollowsParameterChanges) {
  Rng rng(4);
  Sequential<double> model = test_mlp<double>();
  model.initialize(Initializer::kPyTorchDefault, 2);
  SquaredError<double> loss;
  Objective<double> obj(model, loss);
  const Mat X = random_matrix(3, 4, rng), Y = random_matrix(kOutputs, 4, rng);
  obj.set_batch(X, Y);
  Vec theta = model.parameters();
  const double f0 = obj.value(theta);
  EXPECT_EQ(obj.value(theta), f0);
  theta[3] += 0.5;  // same vector, changed in place: must not reuse the cached forward pass
  const double f1 = obj.value(theta);
  EXPECT_NE(f1, f0);
  theta[3] -= 0.5;
  EXPECT_EQ(obj.value(theta), f0);
  const Mat X2 = random_matrix(3, 4, rng);
  obj.set_batch(X2, Y);
  EXPECT_NE(obj.value(theta), f0);
}

TEST(Objective, CachedForwardPassReadsWeightsFromTheVectorPassedNow) {
  // θ in vector a, then an equal copy b after a has changed: the cached forward pass is reused
  // for b, and every later pass must read the weights from b, not through a stale pointer to a.
  Rng rng(6);
  Sequential<double> model = test_mlp<double>();
  model.initialize(Initializer::kPyTorchDefault, 3);
  SquaredError<double> loss;
  Objective<double> obj(model, loss);
  const Mat X = random_matrix(3, 5, rng), Y = random_matrix(kOutputs, 5, rng);
  obj.set_batch(X, Y);
  Vec a = model.parameters(), b = a, expected(a.size()), got(a.size()), hv(a.size());
  obj.gradient(a, expected);
  a.setConstant(7.0);  // a's memory changes; b still holds θ
  obj.gradient(b, got);
  EXPECT_EQ(got, expected);
  Vec b_copy = b;
  obj.hessian_vector_product(b_copy, Vec::Ones(b.size()), hv);
  b_copy.setZero();
  Vec hv2(a.size());
  obj.hessian_vector_product(b, Vec::Ones(b.size()), hv2);
  EXPECT_EQ(hv2, hv);
}

TEST(Objective, RreluSlopesStayFixedWithinABatchAndChangeWithTheNext) {
  Rng rng(5);
  Sequential<double> model = test_cnn<double>();
  model.initialize(Initializer::kPyTorchDefault, 3);
  SquaredError<double> loss;
  Objective<double> obj(model, loss);
  const Mat X = random_matrix(72, 4, rng), Y = random_matrix(kOutputs, 4, rng);
  obj.set_batch(X, Y);
  const Vec theta = model.parameters(), other = theta * 1.01;
  const double f0 = obj.value(theta);
  obj.value(other);
  EXPECT_EQ(obj.value(theta), f0);  // same slopes after evaluating elsewhere
  obj.set_batch(X, Y);              // a new step: fresh slopes
  EXPECT_NE(obj.value(theta), f0);
  obj.set_training(false);
  const double eval0 = obj.value(theta);
  obj.set_batch(X, Y);
  EXPECT_EQ(obj.value(theta), eval0);  // evaluation mode is deterministic
}

TEST(Objective, BadInputsGiveErrorsNamingTheProblem) {
  Sequential<float> model = test_recommender<float>();
  model.initialize(Initializer::kPyTorchDefault, 1);
  SoftmaxCrossEntropy<float> loss;
  Objective<float> obj(model, loss);
  Vector<float> theta = model.parameters();
  EXPECT_THROW(obj.value(theta), Error);  // no batch yet
  Matrix<float> X(2, 2), Y(1, 2);
  X << 1, 4, 2, 3;  // field 0: 1, 4; field 1: 2, 3
  Y << 0, 2;
  obj.set_batch(X, Y);
  EXPECT_NO_THROW(obj.value(theta));
  Vector<float> short_theta = theta.head(theta.size() - 1);
  EXPECT_THROW(obj.value(short_theta), ShapeError);
  Vector<float> bad_grad(3);
  EXPECT_THROW(obj.gradient(theta, bad_grad), ShapeError);
  Matrix<float> X_out(2, 2);
  X_out << 1, 5, 2, 3;  // index 5 in a vocabulary of 5
  obj.set_batch(X_out, Y);
  try {
    obj.value(theta);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("Embedding 'embedding_0'"), std::string::npos);
  }
  Matrix<float> Y_wrong(1, 3);
  Y_wrong << 0, 1, 2;
  EXPECT_THROW(obj.set_batch(X, Y_wrong), ShapeError);
  Matrix<float> X_nan = X;
  X_nan(1, 0) = NAN;
  EXPECT_THROW(obj.set_batch(X_nan, Y), ValueError);
  Matrix<float> X_wide(3, 2);
  X_wide.setZero();
  EXPECT_THROW(obj.set_batch(X_wide, Y), ShapeError);
}

}  // namespace
}  // namespace curvopt
