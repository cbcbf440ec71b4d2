// Levenberg-Marquardt: its descents, damping rules and reference numbers.

#include "curvopt/optim/levenberg_marquardt.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>
#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/optim/adaptive_momentum.h"
#include "curvopt/optim/registry.h"
#include "testing/helpers.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

using Vec = Vector<double>;
using Mat = Matrix<double>;

// Rosenbrock as least squares: r = (10(x₂ − x₁²), 1 − x₁), f = ½‖r‖².
class RosenbrockResiduals final : public Problem<double> {
 public:
  Index num_parameters() const override { return 2; }
  Index num_residuals() const override { return 2; }
  OracleSet oracles() const override {
    return Oracle::kValue | Oracle::kGradient | Oracle::kResiduals | Oracle::kJacobian |
           Oracle::kJvp | Oracle::kVjp | Oracle::kGram | Oracle::kGgnProduct;
  }
  static Vec r(ConstVectorRef<double> x) { return Vec{{10 * (x(1) - x(0) * x(0)), 1 - x(0)}}; }
  static Mat J(ConstVectorRef<double> x) { return Mat{{-20 * x(0), 10.0}, {-1.0, 0.0}}; }
  double value(ConstVectorRef<double> x) override {
    if (poisoned) return std::numeric_limits<double>::quiet_NaN();
    return 0.5 * r(x).squaredNorm();
  }
  double gradient(ConstVectorRef<double> x, VectorRef<double> g) override {
    g = J(x).transpose() * r(x);
    return value(x);
  }
  void residuals(ConstVectorRef<double> x, VectorRef<double> out) override { out = r(x); }
  void jacobian(ConstVectorRef<double> x, MatrixRef<double> out) override {
    out = J(x);
    if (poisoned) out(0, 0) = std::numeric_limits<double>::quiet_NaN();
  }
  void jvp(ConstVectorRef<double> x, ConstVectorRef<double> v, VectorRef<double> out) override {
    out = J(x) * v;
  }
  void vjp(ConstVectorRef<double> x, ConstVectorRef<double> u, VectorRef<double> out) override {
    out = J(x).transpose() * u;
  }
  void gram(ConstVectorRef<double> x, MatrixRef<double> G) override { G = J(x) * J(x).transpose(); }
  void ggn_vector_product(ConstVectorRef<double> x, ConstVectorRef<double> v,
                          VectorRef<double> out) override {
    out = J(x).transpose() * (J(x) * v);
  }
  bool poisoned = false;
};

// Jacobian evaluations until ‖Jᵀr‖ < 1e-10, counted as the reference script counts them.
int jacobian_evaluations(LevenbergMarquardtOptions options, double* final_cost) {
  options.damping.min_damping = 1e-300;  // the reference never clamps λ
  options.damping.max_damping = 1e300;
  options.max_trials = 1000;
  RosenbrockResiduals problem;
  LevenbergMarquardt<double> lm(options);
  Vec x{{-1.2, 1.0}}, g(2);
  for (int evaluations = 1; evaluations < 1000; ++evaluations) {
    problem.gradient(x, g);
    if (g.norm() < 1e-10) {
      *final_cost = problem.value(x);
      return evaluations;
    }
    EXPECT_TRUE(lm.step(problem, x).accepted());
  }
  return -1;
}

TEST(LevenbergMarquardt, ReproducesTheRosenbrockReferenceNumbers) {
  // An independent 2-D reference implementation (x₀ = (−1.2, 1), λ₀ = 1, stop at ‖Jᵀr‖ < 1e-10):
  // 28 and 13 Jacobian evaluations with D = I, 23 and 19 with max-diagonal D (from 0), for the
  // ×10/÷10 and ×2/÷3 rules.
  struct Case {
    DampingMatrix matrix;
    DampingRule rule;
    int expected;
  };
  const Case cases[] = {{DampingMatrix::kIdentity, DampingRule::kClassic, 28},
                        {DampingMatrix::kIdentity, DampingRule::kDelayedGratification, 13},
                        {DampingMatrix::kMaxDiagonal, DampingRule::kClassic, 23},
                        {DampingMatrix::kMaxDiagonal, DampingRule::kDelayedGratification, 19}};
  for (const Case& c : cases) {
    LevenbergMarquardtOptions options;
    options.form = GaussNewtonForm::kParameterSpace;
    options.damping_matrix = c.matrix;
    options.damping.rule = c.rule;
    options.initial_diagonal = 0;
    options.min_diagonal = 1e-300;
    double cost = 1;
    EXPECT_EQ(jacobian_evaluations(options, &cost), c.expected)
        << to_string(c.matrix) << " " << to_string(c.rule);
    EXPECT_LT(cost, 1e-20);
  }
}

TEST(LevenbergMarquardt, ReproducesTheGeodesicAccelerationReferenceNumbers) {
  // The same script with geodesic acceleration (h = 0.1, 2‖a‖/‖v‖ ≤ 0.75): 17 and 15 Jacobian
  // evaluations with D = I, 19 and 21 with max-diagonal D.
  struct Case {
    DampingMatrix matrix;
    DampingRule rule;
    int expected;
  };
  const Case cases[] = {{DampingMatrix::kIdentity, DampingRule::kClassic, 17},
                        {DampingMatrix::kIdentity, DampingRule::kDelayedGratification, 15},
                        {DampingMatrix::kMaxDiagonal, DampingRule::kClassic, 19},
                        {DampingMatrix::kMaxDiagonal, DampingRule::kDelayedGratification, 21}};
  for (const Case& c : cases) {
    LevenbergMarquardtOptions options;
    options.form = GaussNewtonForm::kParameterSpace;
    options.damping_matrix = c.matrix;
    options.damping.rule = c.rule;
    options.initial_diagonal = 0;
    options.min_diagonal = 1e-300;
    options.geodesic = true;
    double cost = 1;
    EXPECT_EQ(jacobian_evaluations(options, &cost), c.expected)
        << to_string(c.matrix) << " " << to_string(c.rule) << " with geodesic acceleration";
    EXPECT_LT(cost, 1e-20);
  }
}

TEST(AdaptiveMomentum, StepSatisfiesItsTwoConstraints) {
  // The momentum step meets both constraints: dθᵀHdθ = δP² and gᵀdθ = δQ = −ξ·δP·√(gᵀH⁻¹g).
  Rng rng(12);
  const Index n = 6;
  const Mat A = testing::random_matrix(n, n, rng);
  const Mat H = A * A.transpose() + 0.5 * Mat::Identity(n, n);
  const Vec g = testing::random_vector(n, rng), previous = testing::random_vector(n, rng);
  const Vec v = -H.ldlt().solve(g);
  const double dp = 0.6, xi = 0.9;
  Vec step(n);
  ASSERT_TRUE(
      adaptive_momentum_step<double>(v, g, previous, previous.dot(H * previous), dp, xi, step));
  EXPECT_NEAR(step.dot(H * step), dp * dp, 1e-10);
  EXPECT_NEAR(g.dot(step), -xi * dp * std::sqrt(-g.dot(v)), 1e-10);
  // A previous step parallel to v leaves no freedom: the caller falls back to v.
  Vec untouched = Vec::Zero(n);
  EXPECT_FALSE(adaptive_momentum_step<double>(v, g, 2 * v, 4 * v.dot(H * v), dp, xi, untouched));
  EXPECT_EQ(untouched, Vec::Zero(n));
}

TEST(LevenbergMarquardt, ParameterDataSpaceAndCgDirectionsAgree) {
  // Random damping diagonals, m > n (64 residuals, 25 parameters) and m < n (10 and 25).
  for (Index examples : {64, 10}) {
    testing::SineRegression<double> task(examples);
    Objective<double>& objective = *task.objective;
    const Vec theta = task.model.parameters();
    Vec g(theta.size());
    objective.gradient(theta, g);
    Rng rng(3);
    Vec d(theta.size());
    for (Index i = 0; i < d.size(); ++i) d(i) = 0.1 + rng.uniform();
    const Vec b = -g;
    Vec reference;
    for (GaussNewtonForm form : {GaussNewtonForm::kParameterSpace, GaussNewtonForm::kDataSpace,
                                 GaussNewtonForm::kConjugateGradient}) {
      auto descent = make_gauss_newton_descent<double>(form, 500, 1e-14);
      ASSERT_TRUE(descent->prepare(objective, theta));
      Vec s(theta.size());
      int iterations = 0;
      ASSERT_TRUE(descent->solve(0.3, d, b, s, iterations));
      if (reference.size() == 0) {
        reference = s;
        // And against a dense solve of the definition.
        Mat J(objective.num_residuals(), theta.size());
        objective.jacobian(theta, J);
        const Mat A = J.transpose() * J + Mat(0.3 * d.asDiagonal());
        EXPECT_LT((A.ldlt().solve(b) - s).norm(), 1e-8 * s.norm());
      } else {
        EXPECT_LT((s - reference).norm(), 1e-8 * reference.norm())
            << to_string(form) << ", m = " << objective.num_residuals();
      }
    }
  }
}

TEST(LevenbergMarquardt, DataSpaceFromTheGramOracleMatchesTheExplicitJacobian) {
  // Identity damping: K = JJᵀ + λI from the engine's Gram identities, products by jvp/vjp.
  for (Index examples : {10, 64}) {
    testing::SineRegression<double> task(examples);
    const Vec theta = task.model.parameters();
    Vec g(theta.size());
    task.objective->gradient(theta, g);
    const Vec ones = Vec::Ones(theta.size()), b = -g;
    Vec explicit_s(theta.size()), oracle_s(theta.size());
    int iterations = 0;
    auto with_j = make_gauss_newton_descent<double>(GaussNewtonForm::kDataSpace);
    auto with_gram =
        make_gauss_newton_descent<double>(GaussNewtonForm::kDataSpace, 250, 1e-10, 1e9, true);
    ASSERT_TRUE(with_j->prepare(*task.objective, theta));
    ASSERT_TRUE(with_gram->prepare(*task.objective, theta));
    EXPECT_EQ(with_gram->jtj_diagonal(), nullptr);
    for (double lambda : {1.0, 1e-3}) {
      ASSERT_TRUE(with_j->solve(lambda, ones, b, explicit_s, iterations));
      ASSERT_TRUE(with_gram->solve(lambda, ones, b, oracle_s, iterations));
      EXPECT_LT(testing::relative_error(oracle_s, explicit_s), 1e-9) << examples << " " << lambda;
      EXPECT_NEAR(with_gram->jacobian_norm_squared(oracle_s),
                  with_j->jacobian_norm_squared(explicit_s),
                  1e-9 * with_j->jacobian_norm_squared(explicit_s));
    }
    EXPECT_THROW(with_gram->solve(1.0, 2 * ones, b, oracle_s, iterations), Error);
  }
}

TEST(LevenbergMarquardt, ChoosesItsFormByShapeAndMemory) {
  EXPECT_EQ(choose_gauss_newton_form(1000, 31, 4, 1e9), GaussNewtonForm::kParameterSpace);
  EXPECT_EQ(choose_gauss_newton_form(96, 193, 4, 1e9), GaussNewtonForm::kDataSpace);
  EXPECT_EQ(choose_gauss_newton_form(8192, 116641, 4, 1e9), GaussNewtonForm::kConjugateGradient);
  testing::SineRegression<float> task(10);  // m = 10 < n = 25
  auto lm = make_optimizer<float>("lm");
  Vector<float> theta = task.model.parameters();
  EXPECT_EQ(lm->step(*task.objective, theta).solver, "data-space");
  testing::SineRegression<float> tall(64);
  auto lm2 = make_optimizer<float>("lm");
  Vector<float> theta2 = tall.model.parameters();
  EXPECT_EQ(lm2->step(*tall.objective, theta2).solver, "parameter-space");
  auto cg = make_optimizer<float>("lm memory_budget_bytes=16");
  EXPECT_EQ(cg->step(*tall.objective, theta2).solver, "cg");
}

TEST(GaussNewton, SolvesALinearLeastSquaresProblemInOneStep) {
  // z = Wx + b with squared error: r is linear in θ, so one Gauss-Newton step lands on the
  // least-squares solution: the gradient vanishes.
  Sequential<double> model(Shape::flat(3));
  model.add<Dense>(Index(2));
  model.initialize(Initializer::kPyTorchDefault, 5);
  SquaredError<double> loss;
  Objective<double> objective(model, loss);
  Rng rng(6);
  const Mat X = testing::random_matrix(3, 20, rng), Y = testing::random_matrix(2, 20, rng);
  objective.set_batch(X, Y);
  auto gn = make_optimizer<double>("gauss-newton");
  Vec theta = model.parameters(), g(theta.size());
  const double g0 = (objective.gradient(theta, g), g.norm());
  ASSERT_TRUE(gn->step(objective, theta).accepted());
  objective.gradient(theta, g);
  EXPECT_LT(g.norm(), 1e-8 * g0);
}

TEST(GaussNewton, SoftmaxGramEqualsTheSumOfPerExampleGgnBlocks) {
  // JᵀJ from the residual face equals Σ_s J_sᵀ H_s J_s with H_s = (diag p − ppᵀ)/b, J_s = ∂z_s/∂θ
  // by central differences.
  Sequential<double> model(Shape::flat(3));
  model.add<Dense>(Index(4));
  model.add<Tanh>();
  model.add<Dense>(Index(3));
  model.initialize(Initializer::kPyTorchDefault, 7);
  SoftmaxCrossEntropy<double> loss;
  Objective<double> objective(model, loss);
  Rng rng(8);
  const Index b = 5;
  const Mat X = testing::random_matrix(3, b, rng);
  Mat Y(1, b);
  Y << 0, 2, 1, 1, 0;
  objective.set_batch(X, Y);
  const Vec theta = model.parameters();
  const Index n = theta.size();
  Mat J(objective.num_residuals(), n);
  objective.jacobian(theta, J);
  Mat expected = Mat::Zero(n, n);
  for (Index s = 0; s < b; ++s) {
    Mat Jz(3, n);
    for (Index i = 0; i < n; ++i) {
      Vec plus = theta, minus = theta;
      plus(i) += 1e-6;
      minus(i) -= 1e-6;
      model.bind_parameters(plus.data(), n);
      const Vec zp = model.forward(X).col(s);
      model.bind_parameters(minus.data(), n);
      const Vec zm = model.forward(X).col(s);
      Jz.col(i) = (zp - zm) / 2e-6;
    }
    model.bind_parameters(theta.data(), n);
    const Vec z = model.forward(X).col(s);
    const Vec p = z.array().exp() / z.array().exp().sum();
    const Mat H = (Mat(p.asDiagonal()) - p * p.transpose()) / static_cast<double>(b);
    expected += Jz.transpose() * H * Jz;
  }
  EXPECT_LT(testing::relative_error(J.transpose() * J, expected), 1e-7);
}

// A least-squares problem on which every step raises the loss: f(x) = ½‖x‖² at the start, and
// ½‖x‖² + 10 anywhere else.
class NoDescentProblem final : public Problem<double> {
 public:
  Index num_parameters() const override { return 2; }
  Index num_residuals() const override { return 2; }
  OracleSet oracles() const override {
    return Oracle::kValue | Oracle::kGradient | Oracle::kResiduals | Oracle::kJacobian;
  }
  double value(ConstVectorRef<double> x) override {
    return 0.5 * x.squaredNorm() + (x == start ? 0.0 : 10.0);
  }
  double gradient(ConstVectorRef<double> x, VectorRef<double> g) override {
    g = x;
    return value(x);
  }
  void residuals(ConstVectorRef<double> x, VectorRef<double> r) override { r = x; }
  void jacobian(ConstVectorRef<double>, MatrixRef<double> J) override { J.setIdentity(); }
  Vec start = Vec{{1.0, 2.0}};
};

TEST(LevenbergMarquardt, FunctionAndStepTolerancesReportConvergence) {
  for (const char* spec : {"lm function_tolerance=1e-3", "lm step_tolerance=1e-4"}) {
    RosenbrockResiduals problem;
    auto lm = make_optimizer<double>(spec);
    Vec x{{-1.2, 1.0}};
    bool converged = false;
    for (int k = 0; k < 200 && !converged; ++k) {
      const Vec before = x;
      const double f_old = problem.value(x);
      const StepReport r = lm->step(problem, x);
      if (!r.converged) continue;
      converged = true;
      if (std::string(spec).find("function") != std::string::npos) {
        // Accepted, or refused with θ unchanged (at f = 0 no trial decreases strictly).
        if (r.status == StepStatus::kAccepted) {
          EXPECT_EQ(r.message, "function tolerance met");
        } else {
          EXPECT_EQ(r.status, StepStatus::kRejected);
          EXPECT_EQ(x, before);
        }
        EXPECT_LE(std::abs(f_old - *r.loss_after), 1e-3 * f_old);
      } else {
        EXPECT_EQ(r.message, "step tolerance met");
        EXPECT_LE((x - before).norm(), 1e-4 * (x.norm() + 1e-4));
      }
    }
    EXPECT_TRUE(converged) << spec;
  }
}

TEST(LevenbergMarquardt, HalvingSearchTakesTheFirstLearningRateThatDescends) {
  // From (−1.2, 1) the Gauss-Newton step lands at (1, −3.84), far uphill (f = 12.1 → 1171).
  // Halving tries 1/2, 1/4, 1/8 (f = 103, 21.0, 12.46: all higher) and accepts 1/16 (11.43).
  RosenbrockResiduals problem;
  auto lm = make_optimizer<double>("lm damping=1e-9 lr_search=true lr_search_grid=halving");
  Vec x{{-1.2, 1.0}};
  const StepReport r = lm->step(problem, x);
  ASSERT_EQ(r.status, StepStatus::kAccepted);
  EXPECT_EQ(r.message, "accepted after the learning-rate search");
  EXPECT_EQ(*r.learning_rate, 0.0625);
  EXPECT_EQ(r.num_value_evaluations, 1 + 4 + 1);  // the trial, four rates, the accepted one again
  EXPECT_NEAR(x(0), -1.2 + 2.2 / 16, 1e-6);
  EXPECT_LT(problem.value(x), 12.1);
}

TEST(LevenbergMarquardt, StopsWhenTheDampingReachesItsMaximum) {
  NoDescentProblem problem;
  auto lm = make_optimizer<double>("lm max_damping=1e6 max_trials=100");
  Vec x = problem.start;
  const StepReport r = lm->step(problem, x);
  EXPECT_EQ(r.status, StepStatus::kNoConvergence);
  EXPECT_TRUE(r.stop_training);
  EXPECT_NE(std::string(r.message).find("damping reached its maximum"), std::string::npos);
  EXPECT_EQ(r.damping.value(), 1e6);
  EXPECT_EQ(x, problem.start);
  EXPECT_EQ(r.num_trials, 7);  // λ = 1, 10, …, 1e6
}

TEST(LevenbergMarquardt, NanResidualsRejectTheStepAndKeepTheParameters) {
  RosenbrockResiduals problem;
  auto lm = make_optimizer<double>("lm form=parameter-space");
  Vec x{{-1.2, 1.0}};
  lm->step(problem, x);
  const Vec before = x;
  problem.poisoned = true;
  const StepReport r = lm->step(problem, x);
  EXPECT_EQ(r.status, StepStatus::kNumericalIssue);
  EXPECT_EQ(std::memcmp(before.data(), x.data(), sizeof(double) * 2), 0);
}

TEST(DampingSearch, EveryRuleOnASequenceOfOutcomes) {
  // Fed the Ceres way: accept/reject outcomes and the λ they leave.
  DampingSearch classic({.rule = DampingRule::kClassic, .initial_damping = 1});
  classic.accepted(2, 1, 0.5);
  EXPECT_DOUBLE_EQ(classic.damping(), 0.1);
  EXPECT_TRUE(classic.rejected(1, 2, -1));
  EXPECT_DOUBLE_EQ(classic.damping(), 1);
  DampingSearch delayed({.rule = DampingRule::kDelayedGratification, .initial_damping = 1});
  delayed.accepted(2, 1, 0.5);
  EXPECT_DOUBLE_EQ(delayed.damping(), 1.0 / 3);
  delayed.rejected(1, 2, -1);
  EXPECT_DOUBLE_EQ(delayed.damping(), 2.0 / 3);
  DampingSearch nielsen({.rule = DampingRule::kNielsen, .initial_damping = 1});
  nielsen.rejected(1, 2, -1);
  nielsen.rejected(1, 2, -1);
  EXPECT_DOUBLE_EQ(nielsen.damping(), 8);  // ×2 then ×4: ν doubles per rejection
  nielsen.accepted(2, 1, 1.0);             // ρ = 1: max(1/3, 1 − 1) = 1/3
  EXPECT_DOUBLE_EQ(nielsen.damping(), 8.0 / 3);
  EXPECT_DOUBLE_EQ(nielsen.nu(), 2);
  DampingSearch gain({.rule = DampingRule::kGainRatio, .initial_damping = 1});
  gain.accepted(2, 1, 0);  // (2 − 1)/1 = 1 > 0.75 → ×2/3
  EXPECT_DOUBLE_EQ(gain.damping(), 2.0 / 3);
  gain.accepted(1.1, 1, 0);  // 0.1 ≤ 0.75 → unchanged
  EXPECT_DOUBLE_EQ(gain.damping(), 2.0 / 3);
  DampingSearch region({.rule = DampingRule::kTrustRegion, .initial_damping = 1});
  EXPECT_FALSE(region.accepts(1, 0.9, -0.1));  // ρ ≤ 0
  region.accepted(1, 0.5, 0.9);
  EXPECT_DOUBLE_EQ(region.damping(), 1.0 / 3);
  region.accepted(1, 0.99, 0.1);
  EXPECT_DOUBLE_EQ(region.damping(), 2.0 / 3);
  DampingSearch capped({.initial_damping = 1, .max_damping = 100});
  EXPECT_TRUE(capped.rejected(1, 2, -1));
  EXPECT_TRUE(capped.rejected(1, 2, -1));
  EXPECT_FALSE(capped.rejected(1, 2, -1));  // at 100 already
  EXPECT_FALSE(classic.accepts(1, std::nan(""), 1));
  EXPECT_THROW(DampingSearch({.initial_damping = 0}), ConfigError);
}

class EveryLmVariant : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryLmVariant, TrainsASmallNetworkAndResumesBitIdentically) {
  testing::SineRegression<float> task;
  auto a = make_optimizer<float>(GetParam());
  Vector<float> x = task.model.parameters();
  const float initial = task.objective->value(x);
  for (int k = 0; k < 30; ++k) {
    const StepReport r = a->step(*task.objective, x);
    ASSERT_NE(r.status, StepStatus::kNumericalIssue) << k << ": " << r.message;
    ASSERT_TRUE(r.damping.has_value());
  }
  // Every variant gets the loss far down in 30 steps; the threshold leaves room for the
  // variants with uphill acceptance, whose path differs between builds in the last float bits.
  // Those may end uphill of their best iterate, which is what they offer for evaluation.
  const Vector<float>* best = a->evaluation_parameters();
  EXPECT_LT(task.objective->value(best ? *best : x), 0.25f * initial);
  std::stringstream file;
  a->save_state().write(file);
  auto b = make_optimizer<float>(GetParam());
  b->load_state(OptimizerState::read(file));
  Vector<float> y = x;
  for (int k = 0; k < 5; ++k) {
    a->step(*task.objective, x);
    b->step(*task.objective, y);
  }
  EXPECT_EQ(std::memcmp(x.data(), y.data(), sizeof(float) * static_cast<std::size_t>(x.size())), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Registry, EveryLmVariant,
    ::testing::Values("lm", "lm damping_matrix=max-diagonal rule=delayed-gratification",
                      "lm damping_matrix=marquardt rule=nielsen form=data-space",
                      "lm rule=trust-region form=cg", "lm rule=gain-ratio", "gauss-newton",
                      "lm momentum=true", "lm uphill=true", "lm lr_search=true",
                      "lm lr_search=true lr_search_grid=halving", "lm geodesic=true",
                      "lm-modified"));

TEST(LevenbergMarquardt, OptionsNameTheBadField) {
  EXPECT_NE(LevenbergMarquardtOptions{.max_trials = 0}.validate()->find(
                "LevenbergMarquardtOptions::max_trials = 0"),
            std::string::npos);
  try {
    make_optimizer<float>("lm rule=fast");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("not one of classic, delayed-gratification"),
              std::string::npos);
  }
  // CG cannot give diag(JᵀJ) for Marquardt or max-diagonal damping.
  testing::SineRegression<float> task(10);
  auto lm = make_optimizer<float>("lm form=cg damping_matrix=max-diagonal");
  Vector<float> theta = task.model.parameters();
  EXPECT_THROW(lm->step(*task.objective, theta), ConfigError);
  // A damping floor may start active (λ₀ = min_damping); λ₀ at the ceiling may not.
  EXPECT_NO_THROW(make_optimizer<float>("lm min_damping=1"));
  try {
    make_optimizer<float>("lm damping=1e10");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("initial_damping = 1e+10: must be in [min_damping, "
                                         "max_damping)"),
              std::string::npos)
        << e.what();
  }
}

// The preset is the combination of Pooladzandi & Zhou (2022) with the cheap halving search; the
// published grid stays one option away.
TEST(LevenbergMarquardt, ModifiedPresetResolvesToTheS1CombinationWithHalving) {
  const auto resolved = [](const std::string& spec) {
    std::map<std::string, std::string> m;
    for (auto& [key, value] : make_optimizer<double>(spec)->options()) m[key] = value;
    return m;
  };
  auto preset = resolved("lm-modified");
  EXPECT_EQ(preset["damping_matrix"], "max-diagonal");
  EXPECT_EQ(preset["momentum"], "true");
  EXPECT_EQ(preset["lr_search"], "true");
  EXPECT_EQ(preset["lr_search_grid"], "halving");
  EXPECT_EQ(preset["uphill"], "true");
  EXPECT_EQ(preset["keep_best"], "true");
  EXPECT_EQ(resolved("lm-modified lr_search_grid=s1")["lr_search_grid"], "s1");
  // The bare option keeps the published grid.
  EXPECT_EQ(resolved("lm lr_search=true")["lr_search_grid"], "s1");
}

}  // namespace
}  // namespace curvopt
