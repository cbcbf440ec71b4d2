// The descent × search loop with the descents and searches other than Levenberg-Marquardt's: a
// trust-region Newton-CG method, steepest descent with Armijo backtracking, the radius and
// backtracking rules on their own, and the loop's contracts (NaN safety, checkpoints, a
// descent and a search that disagree on their scalar).

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <utility>

#include "curvopt/core/errors.h"
#include "curvopt/optim/descent/newton_cg_descent.h"
#include "curvopt/optim/descent/steepest_descent.h"
#include "curvopt/optim/descent_search_minimizer.h"
#include "curvopt/optim/registry.h"
#include "curvopt/optim/search/backtracking_search.h"
#include "curvopt/optim/search/fixed_search.h"
#include "curvopt/optim/search/trust_region_search.h"
#include "curvopt/problem/function_problem.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

template <class Scalar>
std::unique_ptr<DescentSearchMinimizer<Scalar>> trust_region_newton(
    const DescentSearchOptions& loop = {.max_trials = 1, .gradient_tolerance = 1e-10},
    CurvatureProduct curvature = CurvatureProduct::kHessian) {
  return std::make_unique<DescentSearchMinimizer<Scalar>>(
      "trust-newton-cg",
      std::make_unique<NewtonCgDescent<Scalar>>(NewtonCgDescentOptions{.curvature = curvature}),
      std::make_unique<TrustRegionSearch>(), loop);
}

Vector<double> rosenbrock_start(Index n) {
  Vector<double> x(n);
  for (Index i = 0; i < n; ++i) x(i) = i % 2 == 0 ? -1.2 : 1.0;
  return x;
}

TEST(Rosenbrock, HessianProductsMatchFiniteDifferencesOfTheGradient) {
  auto problem = testing::rosenbrock<double>(5);
  Vector<double> x = rosenbrock_start(5), v(5), hv(5), gp(5), gm(5);
  v << 0.3, -1.1, 0.7, 0.2, -0.5;
  problem.hessian_vector_product(x, v, hv);
  const double h = 1e-6;
  problem.gradient(x + h * v, gp);
  problem.gradient(x - h * v, gm);
  EXPECT_LT(((gp - gm) / (2 * h) - hv).norm(), 1e-6 * hv.norm());
}

// Nocedal & Wright's test function from their standard start: the trust-region Newton-CG method
// reaches the minimizer (1, …, 1) to the gradient tolerance and every accepted step lowers the
// loss. The chained form creeps along its valley a few coordinates at a time (measured: 38 steps
// for n = 2, 408 for n = 100); the bounds leave 1.5× that.
TEST(TrustRegionNewtonCg, SolvesRosenbrockFromTheStandardStart) {
  for (const auto& [n, max_steps] : {std::pair<Index, int>{2, 60}, {100, 600}}) {
    auto problem = testing::rosenbrock<double>(n);
    auto optimizer = trust_region_newton<double>();
    Vector<double> x = rosenbrock_start(n);
    bool converged = false;
    for (int step = 0; step < max_steps && !converged; ++step) {
      const StepReport r = optimizer->step(problem, x);
      ASSERT_NE(r.status, StepStatus::kNumericalIssue);
      if (r.accepted() && !r.converged) {
        EXPECT_LT(*r.loss_after, r.loss_before) << "step " << step;
      }
      converged = r.converged;
    }
    EXPECT_TRUE(converged) << "n = " << n;
    EXPECT_LT((x - Vector<double>::Ones(n)).norm(), 1e-8) << "n = " << n;
  }
}

// A trial whose model predicts no decrease is rejected and shrinks the radius; a good step at
// the boundary grows it, one inside does not; exhaustion below min_radius.
TEST(TrustRegionSearch, RadiusRules) {
  TrustRegionSearch search({.initial_radius = 1, .min_radius = 0.3});
  TrialOutcome uphill{.f_old = 1, .f_new = 0.5, .predicted = -1, .rho = -1, .step_norm = 1};
  EXPECT_FALSE(search.accepts(uphill));  // the loss fell, but the model was wrong
  EXPECT_TRUE(search.rejected(uphill));
  EXPECT_DOUBLE_EQ(search.scalar(), 0.5);
  TrialOutcome good{.f_old = 1, .f_new = 0.5, .predicted = 0.5, .rho = 1, .step_norm = 0.5};
  EXPECT_TRUE(search.accepts(good));
  search.accepted(good);  // at the boundary
  EXPECT_DOUBLE_EQ(search.scalar(), 1);
  good.step_norm = 0.2;
  search.accepted(good);  // inside: no reason to grow
  EXPECT_DOUBLE_EQ(search.scalar(), 1);
  TrialOutcome poor{.f_old = 1, .f_new = 0.99, .predicted = 0.5, .rho = 0.02, .step_norm = 1};
  EXPECT_TRUE(search.accepts(poor));  // ρ > η = 1e-6
  search.accepted(poor);
  EXPECT_DOUBLE_EQ(search.scalar(), 0.5);
  TrialOutcome nan{.f_old = 1, .f_new = std::nan(""), .predicted = 0.5, .rho = std::nan("")};
  EXPECT_FALSE(search.accepts(nan));
  EXPECT_FALSE(search.rejected(nan));  // 0.25 < min_radius
  EXPECT_THROW(TrustRegionSearch({.eta = 0.5}), ConfigError);
}

TEST(BacktrackingSearch, HalvesUntilSufficientDecreaseAndRefusesAscent) {
  BacktrackingSearch search({.growth = 2, .max_step = 1.5});
  search.begin_step({});
  EXPECT_EQ(search.scalar(), 1);
  const TrialOutcome too_long{.f_old = 1, .f_new = 0.99999, .slope = -1};
  EXPECT_FALSE(search.accepts(too_long));  // 0.99999 > 1 − 1e-4
  EXPECT_TRUE(search.rejected(too_long));
  EXPECT_EQ(search.scalar(), 0.5);
  const TrialOutcome enough{.f_old = 1, .f_new = 0.9, .slope = -0.5};
  EXPECT_TRUE(search.accepts(enough));
  search.accepted(enough);
  search.begin_step({});  // 2·0.5
  EXPECT_EQ(search.scalar(), 1);
  search.accepted(enough);
  search.begin_step({});  // min(max_step, 2·1)
  EXPECT_EQ(search.scalar(), 1.5);
  const TrialOutcome ascent{.f_old = 1, .f_new = 0.5, .slope = 0.1};
  EXPECT_FALSE(search.accepts(ascent));  // not a descent direction, even though f fell
  EXPECT_FALSE(search.rejected(ascent));
  EXPECT_THROW(BacktrackingSearch({.factor = 1}), ConfigError);
}

// Steepest descent × Armijo backtracking on ½(x² + 10y²): each accepted step meets sufficient
// decrease (checked here from the gradient, independently of the search), and the iterate reaches
// the minimizer at the rate the condition number allows.
TEST(FixedSearch, TakesEveryFiniteTrialAtItsScalarOrTheDescentsSuggestion) {
  FixedSearch search(StepScalar::kDamping, 0.5);
  search.begin_step({});
  EXPECT_EQ(search.scalar(), 0.5);
  EXPECT_TRUE(search.accepts({.f_old = 1, .f_new = 3}));  // uphill too: nothing is searched
  const TrialOutcome nan{.f_old = 1, .f_new = std::nan("")};
  EXPECT_FALSE(search.accepts(nan));
  EXPECT_FALSE(search.rejected(nan));  // one trial per step
  search.begin_step({.suggested_scalar = 0.25});
  EXPECT_EQ(search.scalar(), 0.25);
  search.begin_step({});
  EXPECT_EQ(search.scalar(), 0.5);
  EXPECT_FALSE(search.uses_prediction());
  EXPECT_THROW(FixedSearch(StepScalar::kDamping, 0), ConfigError);
  EXPECT_THROW(FixedSearch(StepScalar::kStepSize, std::nan("")), ConfigError);
}

// A first-order baseline as a composition: steepest descent × a fixed step size equals
// θ ← θ − αg, bit for bit.
TEST(SteepestDescentWithFixedStep, IsGradientDescent) {
  FunctionProblem<double> problem = testing::rosenbrock<double>();
  DescentSearchMinimizer<double> optimizer(
      "gd-fixed", std::make_unique<SteepestDescent<double>>(),
      std::make_unique<FixedSearch>(StepScalar::kStepSize, 1e-3));
  Vector<double> x(2), y(2), g(2);
  x << -1.2, 1;
  y = x;
  for (int k = 0; k < 5; ++k) {
    ASSERT_TRUE(optimizer.step(problem, x).accepted());
    problem.gradient(y, g);
    y = y + 1e-3 * (-g);
  }
  EXPECT_EQ(x, y);
}

TEST(SteepestDescentWithBacktracking, ConvergesAndEveryStepMeetsArmijo) {
  auto problem = testing::quadratic_2d<double>();
  DescentSearchMinimizer<double> optimizer("gd-armijo", std::make_unique<SteepestDescent<double>>(),
                                           std::make_unique<BacktrackingSearch>(),
                                           {.max_trials = 60, .gradient_tolerance = 1e-10});
  Vector<double> x(2), g(2);
  x << 3, -2;
  bool converged = false;
  for (int k = 0; k < 400 && !converged; ++k) {
    const Vector<double> before = x;
    const double f = problem.gradient(before, g);
    const StepReport r = optimizer.step(problem, x);
    ASSERT_TRUE(r.accepted()) << r.message;
    converged = r.converged;
    if (converged) break;
    EXPECT_LE(problem.value(x), f + 1e-4 * g.dot(x - before)) << "step " << k;
    EXPECT_NEAR(*r.step_length, (before - x).norm() / g.norm(), 1e-12);
  }
  EXPECT_TRUE(converged);
  EXPECT_LT(x.norm(), 1e-9);
}

TEST(DescentSearchMinimizer, RefusesADescentAndASearchThatDisagreeOnTheScalar) {
  EXPECT_THROW(
      DescentSearchMinimizer<double>("mismatch", std::make_unique<SteepestDescent<double>>(),
                                     std::make_unique<TrustRegionSearch>()),
      ConfigError);
  EXPECT_THROW(
      DescentSearchMinimizer<double>("bad", std::make_unique<SteepestDescent<double>>(),
                                     std::make_unique<BacktrackingSearch>(), {.max_trials = 0}),
      ConfigError);
}

TEST(DescentSearchMinimizer, NonFiniteGradientLeavesTheParametersUntouched) {
  testing::PoisonableProblem<double> problem;
  DescentSearchMinimizer<double> optimizer("gd-armijo", std::make_unique<SteepestDescent<double>>(),
                                           std::make_unique<BacktrackingSearch>());
  Vector<double> x(2);
  x << 1, 1;
  optimizer.step(problem, x);
  const Vector<double> before = x;
  problem.set_poisoned(true);
  const StepReport r = optimizer.step(problem, x);
  EXPECT_EQ(r.status, StepStatus::kNumericalIssue);
  EXPECT_EQ(x, before);
}

// Save after three steps, continue three more; a fresh optimizer loaded from the state follows
// the same three steps bit for bit (the radius is part of the state).
TEST(DescentSearchMinimizer, ResumesBitIdenticallyFromItsState) {
  auto problem = testing::rosenbrock<double>(4);
  auto first = trust_region_newton<double>();
  Vector<double> x = rosenbrock_start(4);
  for (int k = 0; k < 3; ++k) first->step(problem, x);
  const OptimizerState state = first->save_state();
  Vector<double> resumed = x;
  for (int k = 0; k < 3; ++k) first->step(problem, x);
  auto second = trust_region_newton<double>();
  second->load_state(state);
  for (int k = 0; k < 3; ++k) second->step(problem, resumed);
  EXPECT_EQ(x, resumed);
  EXPECT_EQ(first->search().scalar(), second->search().scalar());
}

// The Gauss-Newton trust region trains a network: GGN products through the objective.
TEST(TrustRegionNewtonCg, GaussNewtonProductsFitTheSineNetwork) {
  testing::SineRegression<double> task;
  auto optimizer = trust_region_newton<double>({.max_trials = 5}, CurvatureProduct::kGaussNewton);
  Vector<double> theta = task.model.parameters();
  const double initial = task.objective->value(theta);
  for (int k = 0; k < 30; ++k) {
    const StepReport r = optimizer->step(*task.objective, theta);
    ASSERT_NE(r.status, StepStatus::kNumericalIssue);
  }
  // The noise floor is 0.05² / 2 ≈ 1e-3 (half mean squared error): far below the initial loss.
  EXPECT_LT(task.objective->value(theta), 0.1 * initial);
}

}  // namespace
}  // namespace curvopt

namespace curvopt {
namespace {

// StepReport::num_curvature_products is what the problem saw: Newton-CG's products, the m
// products of sampled quasi-Newton's Option II (none with Option I).
TEST(StepReport, CountsTheCurvatureProductsTheProblemSaw) {
  auto base = testing::rosenbrock<double>(4);
  int products = 0;
  FunctionProblem<double> counted(
      4, [&](ConstVectorRef<double> x) { return base.value(x); },
      [&](ConstVectorRef<double> x, VectorRef<double> g) { return base.gradient(x, g); },
      [&](ConstVectorRef<double> x, ConstVectorRef<double> v, VectorRef<double> out) {
        ++products;
        base.hessian_vector_product(x, v, out);
      });
  auto check = [&](Optimizer<double>& optimizer, const char* name, int per_step) {
    Vector<double> x = rosenbrock_start(4);
    for (int k = 0; k < 5; ++k) {
      products = 0;
      const StepReport r = optimizer.step(counted, x);
      EXPECT_EQ(r.num_curvature_products, products) << name << ", step " << k;
      if (per_step >= 0) {
        EXPECT_EQ(r.num_curvature_products, per_step) << name;
      } else {
        EXPECT_GT(r.num_curvature_products, 0) << name;
      }
    }
  };
  check(*trust_region_newton<double>(), "trust-region Newton-CG", -1);
  check(*make_optimizer<double>("slsr1 memory=3"), "slsr1", 3);
  check(*make_optimizer<double>("slbfgs memory=3"), "slbfgs", 3);
  check(*make_optimizer<double>("slbfgs memory=3 sampling=gradient"), "slbfgs, Option I", 0);
}

}  // namespace
}  // namespace curvopt
