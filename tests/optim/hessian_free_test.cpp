// Hessian-free optimization (Martens 2010): the damping rule, CG backtracking over the kept
// iterates, the reduction ratio, one-step convergence on linear least squares and a quadratic,
// the rejection of non-finite products, the curvature sub-batch and bit-exact resumption.

#include "curvopt/optim/hessian_free.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/QR>

#include "curvopt/core/random.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "curvopt/optim/registry.h"
#include "curvopt/problem/curvature_subset.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

/// f = ½θᵀAθ − bᵀθ + (κ/4)‖θ‖⁴ whose Gauss-Newton products are A v: a curvature model that
/// ignores the quartic, so that long CG iterates are worse than short ones under the true loss.
/// While poisoned, products are NaN (value and gradient stay finite).
class QuarticBowl final : public Problem<double> {
 public:
  QuarticBowl(Index n, double kappa) : A_(n, n), b_(n), kappa_(kappa) {
    Rng rng(7);
    Matrix<double> Q(n, n);
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < n; ++j) Q(i, j) = rng.normal();
    const Matrix<double> orthogonal = Eigen::HouseholderQR<Matrix<double>>(Q).householderQ();
    Vector<double> eigenvalues(n);
    for (Index i = 0; i < n; ++i)
      eigenvalues(i) = std::pow(10.0, -3.0 * static_cast<double>(i) / static_cast<double>(n - 1));
    A_ = orthogonal * eigenvalues.asDiagonal() * orthogonal.transpose();
    for (Index i = 0; i < n; ++i) b_(i) = rng.normal();
  }
  void set_poisoned(bool poisoned) { poisoned_ = poisoned; }
  Index num_parameters() const override { return A_.rows(); }
  OracleSet oracles() const override {
    return Oracle::kValue | Oracle::kGradient | Oracle::kGgnProduct;
  }
  double value(ConstVectorRef<double> x) override {
    const double r2 = x.squaredNorm();
    return 0.5 * x.dot(A_ * x) - b_.dot(x) + 0.25 * kappa_ * r2 * r2;
  }
  double gradient(ConstVectorRef<double> x, VectorRef<double> g) override {
    g = A_ * x - b_ + kappa_ * x.squaredNorm() * x;
    return value(x);
  }
  void ggn_vector_product(ConstVectorRef<double>, ConstVectorRef<double> v,
                          VectorRef<double> out) override {
    out.noalias() = A_ * v;
    if (poisoned_) out(0) = std::numeric_limits<double>::quiet_NaN();
  }
  const Matrix<double>& A() const { return A_; }

 private:
  Matrix<double> A_;
  Vector<double> b_;
  double kappa_;
  bool poisoned_ = false;
};

HessianFreeOptions plain_cg(double damping, int max_cg) {
  HessianFreeOptions o;
  o.descent.initial_damping = damping;
  o.descent.max_cg_iterations = max_cg;
  o.descent.cg_epsilon = 0;  // run to max_cg or the residual test
  o.descent.cg_tolerance = 1e-14;
  o.descent.preconditioner = HessianFreePreconditioner::kNone;
  return o;
}

TEST(HessianFree, DampingFollowsTheLevenbergMarquardtRuleOnAScriptedRatioSequence) {
  HessianFreeDescentOptions o;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double rhos[] = {0.1, 0.5, 0.9, -3, nan, 0.76, 0.25, 0.75, 2};
  // ×3/2 below 1/4 (NaN counts as a failure), ×2/3 above 3/4, unchanged in [1/4, 3/4].
  const double expected[] = {1.5, 1.5, 1.0, 1.5, 2.25, 1.5, 1.5, 1.5, 1.0};
  double lambda = 1;
  for (std::size_t k = 0; k < std::size(rhos); ++k) {
    lambda = next_hessian_free_damping(lambda, rhos[k], o);
    EXPECT_NEAR(lambda, expected[k], 1e-15) << "after rho " << rhos[k];
  }
  o.min_damping = 0.9;
  EXPECT_EQ(next_hessian_free_damping(1.0, 0.9, o), 0.9);
}

TEST(HessianFree, BacktrackingPicksTheBestKeptIterateByTheTrueLoss) {
  QuarticBowl problem(40, 1e-9);
  HessianFree<double> hf(plain_cg(1e-6, 30));  // stops before CG converges
  Vector<double> theta = Vector<double>::Zero(40);
  const double f0 = problem.value(theta);
  const StepReport report = hf.step(problem, theta);
  ASSERT_TRUE(report.accepted()) << report.message;

  const HessianFreeDescent<double>& d = hf.hessian_free_descent();
  const int kept = d.cg().history_size();
  ASSERT_GE(kept, 6);
  std::vector<double> f(static_cast<std::size_t>(kept));
  const Vector<double> zero = Vector<double>::Zero(40);
  for (int j = 0; j < kept; ++j)
    f[static_cast<std::size_t>(j)] = problem.value(zero + d.cg().history_iterate(j));
  // Martens' rule: from the last kept iterate backwards while the loss does not get worse.
  int expected = kept - 1;
  while (expected > 0 &&
         f[static_cast<std::size_t>(expected - 1)] <= f[static_cast<std::size_t>(expected)])
    --expected;
  EXPECT_EQ(d.chosen_iterate(), expected);
  EXPECT_LT(expected, kept - 1) << "the quartic should make the last iterate worse";
  EXPECT_GT(expected, 0);

  // The kept quadratic values are φ(p) = ½pᵀ(A + λI)p + gᵀp, with g = −b at θ = 0.
  Vector<double> g(40);
  problem.gradient(zero, g);
  const auto p = d.cg().history_iterate(expected);
  const double phi = 0.5 * p.dot(problem.A() * p) + 0.5 * 1e-6 * p.squaredNorm() + g.dot(p);
  EXPECT_NEAR(d.cg().history_quadratic(expected), phi, 1e-10 * std::abs(phi));
  // ρ from the chosen iterate, and λ updated by it.
  const double f_chosen = f[static_cast<std::size_t>(expected)];
  EXPECT_NEAR(d.rho(), (f_chosen - f0) / phi, 1e-9 * std::abs(d.rho()));
  EXPECT_EQ(d.damping(), next_hessian_free_damping(1e-6, d.rho(), HessianFreeDescentOptions{}));
  // The line search took the chosen iterate whole (α = 1) or a shortened one.
  ASSERT_TRUE(report.step_length.has_value());
  const Vector<double> taken = *report.step_length * p;
  EXPECT_NEAR((theta - taken).norm(), 0, 1e-12 * taken.norm());
  EXPECT_EQ(report.inner_iterations.value(), 30);
  EXPECT_EQ(report.num_curvature_products, 30);
}

TEST(HessianFree, ConvergesOnLinearLeastSquaresInOneOuterIteration) {
  // y = w·x + c + noise, 4 parameters, fitted by one dense layer with squared error.
  Sequential<double> model(Shape::flat(3));
  model.add<Dense>(Index(1));
  model.initialize(Initializer::kPyTorchDefault, 2);
  SquaredError<double> loss;
  Matrix<double> X(3, 25), Y(1, 25);
  Rng rng(5);
  for (Index s = 0; s < 25; ++s) {
    for (Index f = 0; f < 3; ++f) X(f, s) = rng.normal();
    Y(0, s) = 0.5 * X(0, s) - 2 * X(1, s) + X(2, s) + 0.3 + 0.1 * rng.normal();
  }
  Objective<double> objective(model, loss);
  objective.set_batch(X, Y);
  // The least-squares minimum from the normal equations of [Xᵀ 1].
  Matrix<double> design(25, 4);
  design.leftCols(3) = X.transpose();
  design.col(3).setOnes();
  const Vector<double> coefficients = design.colPivHouseholderQr().solve(Y.row(0).transpose());
  const Vector<double> residual = design * coefficients - Y.row(0).transpose();

  for (const char* preconditioner : {"none", "martens"}) {
    auto hf = make_optimizer<double>(std::string("hf damping=1e-12 cg_epsilon=0 max_cg=20 "
                                                 "cg_tolerance=1e-13 preconditioner=") +
                                     preconditioner);
    Vector<double> theta = model.parameters();
    Vector<double> g0(theta.size()), g1(theta.size());
    objective.gradient(theta, g0);
    const StepReport r = hf->step(objective, theta);
    ASSERT_TRUE(r.accepted()) << preconditioner << ": " << r.message;
    EXPECT_EQ(r.step_length.value(), 1.0);
    objective.gradient(theta, g1);
    EXPECT_LE(g1.norm(), 1e-8 * g0.norm()) << preconditioner;
    // The fit is the closed-form one: its residuals are those of the normal equations' solution,
    // up to the loss's scaling (compared as directions, whatever the parameter order).
    Vector<double> fit_residuals(25);
    objective.residuals(theta, fit_residuals);
    EXPECT_LE((fit_residuals.normalized() - residual.normalized()).norm(), 1e-8) << preconditioner;
  }
}

TEST(HessianFree, OneIterationLandsOnTheQuadraticsMinimizer) {
  const Index n = 12;
  Rng rng(9);
  Matrix<double> M(n, n);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j) M(i, j) = rng.normal();
  const Matrix<double> A = M * M.transpose() + Matrix<double>::Identity(n, n);
  Vector<double> b(n);
  for (Index i = 0; i < n; ++i) b(i) = rng.normal();
  FunctionProblem<double> problem(
      n, [&](ConstVectorRef<double> x) { return 0.5 * x.dot(A * x) - b.dot(x); },
      [&](ConstVectorRef<double> x, VectorRef<double> g) {
        g = A * x - b;
        return 0.5 * x.dot(A * x) - b.dot(x);
      },
      [&](ConstVectorRef<double>, ConstVectorRef<double> v, VectorRef<double> out) {
        out = A * v;
      });
  HessianFreeOptions o = plain_cg(1e-13, 3 * static_cast<int>(n));
  o.descent.curvature = CurvatureProduct::kHessian;
  HessianFree<double> hf(o);
  Vector<double> theta = Vector<double>::Zero(n);
  ASSERT_TRUE(hf.step(problem, theta).accepted());
  const Vector<double> solution = A.llt().solve(b);
  EXPECT_LE((theta - solution).norm(), 1e-8 * solution.norm());
}

TEST(HessianFree, NonFiniteProductRejectsTheStepAndLeavesParametersUntouched) {
  QuarticBowl problem(10, 0.01);
  HessianFree<double> hf(plain_cg(1.0, 20));
  Vector<double> theta = Vector<double>::Constant(10, 0.1);
  ASSERT_TRUE(hf.step(problem, theta).accepted());
  const Vector<double> before = theta;
  const double lambda = hf.hessian_free_descent().damping();
  problem.set_poisoned(true);
  const StepReport r = hf.step(problem, theta);
  EXPECT_EQ(r.status, StepStatus::kNumericalIssue);
  EXPECT_NE(r.message.find("non-finite"), std::string_view::npos);
  EXPECT_EQ(std::memcmp(before.data(), theta.data(), sizeof(double) * 10), 0);
  EXPECT_EQ(hf.hessian_free_descent().damping(), 1.5 * lambda);
  // The warm start is forgotten: the next solve starts from zero.
  EXPECT_EQ(hf.save_state().get_scalar("hf_has_warm_start"), 0.0);
  problem.set_poisoned(false);
  EXPECT_TRUE(hf.step(problem, theta).accepted());
}

// Value and gradient of one objective, curvature of another: the reference for a curvature
// sub-batch.
class SplitProblem final : public Problem<double> {
 public:
  SplitProblem(Objective<double>& full, Objective<double>& curvature)
      : full_(full), curvature_(curvature) {}
  Index num_parameters() const override { return full_.num_parameters(); }
  OracleSet oracles() const override { return full_.oracles(); }
  std::uint64_t data_version() const override { return full_.data_version(); }
  Index batch_size() const override { return full_.batch_size(); }
  double value(ConstVectorRef<double> x) override { return full_.value(x); }
  double gradient(ConstVectorRef<double> x, VectorRef<double> g) override {
    return full_.gradient(x, g);
  }
  void per_example_gradients(ConstVectorRef<double> x, MatrixRef<double> G) override {
    full_.per_example_gradients(x, G);
  }
  void empirical_fisher_diagonal(ConstVectorRef<double> x, VectorRef<double> out) override {
    full_.empirical_fisher_diagonal(x, out);
  }
  void ggn_vector_product(ConstVectorRef<double> x, ConstVectorRef<double> v,
                          VectorRef<double> out) override {
    curvature_.ggn_vector_product(x, v, out);
  }

 private:
  Objective<double>& full_;
  Objective<double>& curvature_;
};

TEST(HessianFree, CurvatureSubBatchStepsAsAnObjectiveOnThoseExamples) {
  testing::ThreeClassBlobs data(30, 1.0, 5);
  Sequential<double>& model = data.model;
  const Matrix<double>&X = data.inputs, &Y = data.labels;
  SoftmaxCrossEntropy<double> loss;
  Objective<double> full(model, loss);
  full.set_batch(X, Y);
  CurvatureSubset<double> subset(full, 10);
  Sequential<double> model10 = model;
  Objective<double> first10(model10, loss);
  const Matrix<double> X10 = X.leftCols(10), Y10 = Y.leftCols(10);
  first10.set_batch(X10, Y10);
  SplitProblem reference(full, first10);

  auto a = make_optimizer<double>("hessian-free max_cg=30");
  auto b = make_optimizer<double>("hessian-free max_cg=30");
  Vector<double> x = model.parameters(), y = x;
  const double f0 = full.value(x);
  for (int k = 0; k < 4; ++k) {
    const StepReport ra = a->step(subset, x);
    const StepReport rb = b->step(reference, y);
    EXPECT_EQ(ra.solver, "preconditioned-cg");
    EXPECT_EQ(ra.num_curvature_products, rb.num_curvature_products);
    ASSERT_EQ(x, y) << "step " << k;
  }
  EXPECT_LT(full.value(x), 0.8 * f0);
}

TEST(HessianFree, ResumesBitIdenticallyWithWarmStartPreconditionerAndDamping) {
  testing::SineRegression<float> task;
  auto straight = make_optimizer<float>("hessian-free max_cg=40");
  auto first = make_optimizer<float>("hessian-free max_cg=40");
  Vector<float> x = task.model.parameters(), y = x;
  for (int k = 0; k < 6; ++k) {
    straight->step(*task.objective, x);
    first->step(*task.objective, y);
  }
  const OptimizerState saved = first->save_state();
  ASSERT_TRUE(saved.contains("hf_warm_start"));
  EXPECT_NE(saved.get_scalar("hf_damping"), 1.0);
  std::stringstream file;
  saved.write(file);
  auto resumed = make_optimizer<float>("hf max_cg=40");
  resumed->load_state(OptimizerState::read(file, "test state"));
  for (int k = 0; k < 6; ++k) {
    const StepReport ra = straight->step(*task.objective, x);
    const StepReport rb = resumed->step(*task.objective, y);
    EXPECT_EQ(ra.inner_iterations, rb.inner_iterations);
    ASSERT_EQ(std::memcmp(x.data(), y.data(), sizeof(float) * static_cast<std::size_t>(x.size())),
              0)
        << "step " << k;
  }
}

// With structural damping μ, CG solves (G + λI + μλ·D_S)p = −g: the step the method takes,
// divided by its α, satisfies that system to CG's tolerance and not the plain damped one.
TEST(HessianFree, StructuralDampingSolvesTheSystemWithTheHiddenStateTerm) {
  Sequential<double> model(Shape::flat(3));
  model.add<Dense>(Index(6));
  model.add<Tanh>();
  model.add<Dense>(Index(2));
  model.initialize(Initializer::kPyTorchDefault, 4);
  SquaredError<double> loss(Reduction::kMean);
  Matrix<double> X(3, 20), Y(2, 20);
  Rng rng(8);
  for (Index i = 0; i < X.size(); ++i) X.data()[i] = rng.normal();
  for (Index i = 0; i < Y.size(); ++i) Y.data()[i] = rng.normal();
  Objective<double> objective(model, loss);
  objective.set_batch(X, Y);
  const double mu = 0.5, lambda = 0.3;
  auto hf = make_optimizer<double>(
      "hf structural_damping=0.5 damping=0.3 cg_epsilon=0 max_cg=200 cg_tolerance=1e-13 "
      "preconditioner=none warm_start_decay=0 cg_backtracking=false");
  const Vector<double> theta0 = model.parameters();
  Vector<double> theta = theta0, g(theta.size());
  objective.gradient(theta0, g);
  const StepReport r = hf->step(objective, theta);
  ASSERT_TRUE(r.accepted()) << r.message;
  EXPECT_EQ(r.damping.value(), lambda);
  const Vector<double> p = (theta - theta0) / r.step_length.value();
  Vector<double> damped(p.size()), plain(p.size());
  objective.structurally_damped_ggn_product(theta0, p, mu * lambda, damped);
  objective.ggn_vector_product(theta0, p, plain);
  EXPECT_LE((damped + lambda * p + g).norm(), 1e-9 * g.norm());
  EXPECT_GE((plain + lambda * p + g).norm(), 1e-3 * g.norm());  // the term changed the step

  // A problem without the oracle is refused by name.
  FunctionProblem<double> quadratic = testing::quadratic_2d<double>();
  Vector<double> x = Vector<double>::Ones(2);
  std::string what;
  try {
    make_optimizer<double>("hf structural_damping=0.1 preconditioner=none")->step(quadratic, x);
  } catch (const Error& e) {
    what = e.what();
  }
  EXPECT_NE(what.find("structurally_damped_ggn_product"), std::string::npos) << what;
}

TEST(HessianFree, RefusesAStateWithACorruptDamping) {
  testing::SineRegression<double> task;
  auto hf = make_optimizer<double>("hf max_cg=10");
  Vector<double> x = task.model.parameters();
  hf->step(*task.objective, x);
  for (double bad : {-1.0, 0.0, std::numeric_limits<double>::quiet_NaN()}) {
    OptimizerState state = hf->save_state();
    state.put("hf_damping", bad);
    std::string what;
    try {
      make_optimizer<double>("hf max_cg=10")->load_state(state);
    } catch (const ValueError& e) {
      what = e.what();
    }
    EXPECT_NE(what.find("hf_damping"), std::string::npos) << bad << " gave: " << what;
  }
}

TEST(HessianFree, RefusesAProblemWithoutTheOraclesItNeeds) {
  FunctionProblem<double> problem = testing::quadratic_2d<double>();  // Hessian products only
  Vector<double> x = Vector<double>::Ones(2);
  EXPECT_THROW(make_optimizer<double>("hf")->step(problem, x), Error);
  EXPECT_THROW(
      make_optimizer<double>("hf curvature=hessian preconditioner=martens")->step(problem, x),
      Error);
  EXPECT_TRUE(make_optimizer<double>("hf curvature=hessian")->step(problem, x).accepted());
}

TEST(HessianFree, InvalidOptionsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"hf damping=0", "HessianFreeDescentOptions::initial_damping = 0"},
      {"hf damping_increase=0.5", "HessianFreeDescentOptions::damping_increase = 0.5"},
      {"hf damping_decrease=1.5", "HessianFreeDescentOptions::damping_decrease = 1.5"},
      {"hf rho_low=0.9", "HessianFreeDescentOptions::rho_low = 0.9"},
      {"hf max_cg=0", "HessianFreeDescentOptions::max_cg_iterations = 0"},
      {"hf warm_start_decay=1.5", "HessianFreeDescentOptions::warm_start_decay = 1.5"},
      {"hf preconditioner_exponent=0", "HessianFreeDescentOptions::preconditioner_exponent = 0"},
      {"hf c1=1", "HessianFreeOptions::c1 = 1"},
      {"hf max_line_search=0", "HessianFreeOptions::max_line_search = 0"},
      {"hf uphill=true uphill_exponent=0", "HessianFreeOptions::uphill_exponent = 0"},
      {"hf structural_damping=-1", "HessianFreeDescentOptions::structural_damping = -1"},
      {"hf curvature=hessian structural_damping=0.1",
       "HessianFreeDescentOptions::structural_damping = 0.1"},
  };
  for (const auto& [spec, message] : cases) {
    std::string what;
    try {
      make_optimizer<double>(spec);
    } catch (const ConfigError& e) {
      what = e.what();
    }
    EXPECT_NE(what.find(message), std::string::npos) << spec << " gave: " << what;
  }
}

}  // namespace
}  // namespace curvopt
