#include "curvopt/optim/lbfgs.h"

#include <gtest/gtest.h>

#include <cmath>

#include "curvopt/core/errors.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

TEST(Lbfgs, MinimizesRosenbrockFromTheClassicStartInUnder100Iterations) {
  FunctionProblem<double> problem = testing::rosenbrock<double>();
  LbfgsOptions options;
  options.gradient_tolerance = 1e-12;
  options.change_tolerance = 0;
  Lbfgs<double> lbfgs(options);
  Vector<double> x(2);
  x << -1.2, 1;
  int iterations = 0;
  for (; iterations < 100; ++iterations) {
    const StepReport r = lbfgs.step(problem, x);
    ASSERT_NE(r.status, StepStatus::kNumericalIssue);
    if (r.converged) break;
    ASSERT_TRUE(r.accepted()) << "iteration " << iterations << ": " << r.message;
  }
  EXPECT_LT(iterations, 100);
  EXPECT_LT((x - Vector<double>::Ones(2)).norm(), 1e-8) << x.transpose();
  RecordProperty("iterations", iterations);
  std::printf("2-D Rosenbrock: %d iterations, %ld gradient calls, |x - x*| = %.3g\n", iterations,
              static_cast<long>(problem.num_gradient_calls()),
              (x - Vector<double>::Ones(2)).norm());
}

TEST(Lbfgs, StrongWolfeConditionsHoldAtEveryAcceptedStep) {
  // Checked from outside: with s = θ₊ − θ (= αd), f₊ ≤ f + c₁∇fᵀs and |∇f₊ᵀs| ≤ c₂|∇fᵀs|.
  for (Index n : {2, 10}) {
    FunctionProblem<double> problem = testing::rosenbrock<double>(n);
    Lbfgs<double> lbfgs;
    const LineSearchOptions& ls = LbfgsOptions{}.line_search;
    Vector<double> x = Vector<double>::Constant(n, -1.2), g(n), g_new(n);
    x(n - 1) = 1;
    int accepted = 0;
    for (int k = 0; k < 200; ++k) {
      const double f = problem.gradient(x, g);
      const Vector<double> before = x;
      const StepReport r = lbfgs.step(problem, x);
      if (r.converged && r.step_norm == 0) break;
      ASSERT_TRUE(r.accepted()) << r.message;
      ASSERT_EQ(lbfgs.last_line_search(), LineSearchOutcome::kStrongWolfe) << "step " << k;
      const Vector<double> s = x - before;
      const double f_new = problem.gradient(x, g_new);
      EXPECT_LE(f_new, f + ls.c1 * g.dot(s) + 1e-15 * std::abs(f)) << "step " << k;
      EXPECT_LE(std::abs(g_new.dot(s)), ls.c2 * std::abs(g.dot(s)) * (1 + 1e-12)) << "step " << k;
      ++accepted;
      if (r.converged) break;
    }
    EXPECT_GT(accepted, 10);
  }
}

TEST(Lbfgs, ArmijoSearchAlsoReachesTheRosenbrockMinimum) {
  FunctionProblem<double> problem = testing::rosenbrock<double>();
  LbfgsOptions options;
  options.line_search.kind = LineSearchKind::kArmijo;
  options.gradient_tolerance = 1e-12;
  options.change_tolerance = 0;
  Lbfgs<double> lbfgs(options);
  Vector<double> x(2);
  x << -1.2, 1;
  int k = 0;
  for (; k < 200; ++k)
    if (lbfgs.step(problem, x).converged) break;
  EXPECT_LT(k, 200);
  EXPECT_LT((x - Vector<double>::Ones(2)).norm(), 1e-8);
  std::printf("2-D Rosenbrock, Armijo: %d iterations\n", k);
}

// The tolerance is where the problem, not one machine's last bits, decides: below ‖g‖∞ ≈ 1e-8
// the loss near the minimum is ~1e-17, its differences between line-search trials are at the
// rounding of its 100-term sum (~1e-16 · n), and whether L-BFGS gets further depends on the bits
// (it stalled at 2.3e-8 after 1000 iterations on a Zen 3 with AVX2, and converged in 533 on AVX-512
// machines). At 1e-6 the loss still changes by far more than its rounding, so every machine
// arrives, and the iterate is then within ‖g‖/λ_min of the minimizer x* = 1.
TEST(Lbfgs, ChainedRosenbrockIn100Dimensions) {
  FunctionProblem<double> problem = testing::rosenbrock<double>(100);
  LbfgsOptions options;
  options.memory = 10;
  options.gradient_tolerance = 1e-6;
  options.change_tolerance = 0;
  Lbfgs<double> lbfgs(options);
  Vector<double> x = Vector<double>::Constant(100, -1.2);
  for (Index i = 1; i < 100; i += 2) x(i) = 1;
  int k = 0;
  bool converged = false;
  for (; k < 1000 && !converged; ++k) converged = lbfgs.step(problem, x).converged;
  EXPECT_TRUE(converged) << "no convergence in 1000 iterations";
  Vector<double> g(100);
  problem.gradient(x, g);
  EXPECT_LE(g.cwiseAbs().maxCoeff(), 1e-6);
  // λ_min of the Hessian at x* is 0.499 (its tridiagonal form, solved densely): 1e-6/0.499 < 1e-5.
  EXPECT_LE((x.array() - 1).abs().maxCoeff(), 1e-5);
  std::printf("100-D Rosenbrock: %d iterations to |g|inf <= 1e-6, |x - 1|inf = %.2g\n", k,
              (x.array() - 1).abs().maxCoeff());
}

TEST(Lbfgs, ReusesTheGradientAtTheAcceptedPointOnUnchangedData) {
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  Lbfgs<double> lbfgs;
  Vector<double> x(2);
  x << 1, 1;
  const StepReport first = lbfgs.step(problem, x);
  const StepReport second = lbfgs.step(problem, x);
  // Strong-Wolfe trials each evaluate the gradient; the second step starts from the first's.
  EXPECT_EQ(first.num_gradient_evaluations, 1 + first.num_trials);
  EXPECT_EQ(second.num_gradient_evaluations, second.num_trials);
  // Moving the parameters from outside invalidates the reuse.
  x(0) += 0.1;
  const StepReport third = lbfgs.step(problem, x);
  EXPECT_EQ(third.num_gradient_evaluations, 1 + third.num_trials);
}

TEST(Lbfgs, TrainsOnMinibatchesWithPairsFromTheSameBatch) {
  testing::SineRegression<float> task(64);
  Lbfgs<float> lbfgs({.learning_rate = 1, .memory = 10});
  Vector<float> theta = task.model.parameters();
  const float initial = task.objective->value(theta);
  for (int epoch = 0; epoch < 30; ++epoch) {
    for (Index start = 0; start < 64; start += 16) {
      task.objective->set_batch(task.inputs.middleCols(start, 16),
                                task.targets.middleCols(start, 16));
      const StepReport r = lbfgs.step(*task.objective, theta);
      ASSERT_NE(r.status, StepStatus::kNumericalIssue) << r.message;
    }
  }
  task.objective->set_batch(task.inputs, task.targets);
  EXPECT_LT(task.objective->value(theta), 0.2f * initial);
}

TEST(Lbfgs, FailedLineSearchLeavesParametersAndDropsPairs) {
  // After a few steps, a line search with a single evaluation on a steep function fails.
  FunctionProblem<double> problem = testing::rosenbrock<double>();
  LbfgsOptions options;
  options.line_search.max_evaluations = 1;
  options.learning_rate = 100;  // first trial far too long
  Lbfgs<double> lbfgs(options);
  Vector<double> x(2);
  x << -1.2, 1;
  const Vector<double> before = x;
  const StepReport r = lbfgs.step(problem, x);
  EXPECT_EQ(r.status, StepStatus::kNoConvergence);
  EXPECT_FALSE(r.message.empty());
  EXPECT_EQ(x, before);
  EXPECT_TRUE(lbfgs.memory().empty());
}

TEST(Lbfgs, OptionsNameTheBadField) {
  LbfgsOptions o;
  o.memory = 0;
  EXPECT_NE(o.validate()->find("LbfgsOptions::memory = 0"), std::string::npos);
  EXPECT_THROW(Lbfgs<double>{o}, ConfigError);
  o = {};
  o.line_search.c1 = 2;
  EXPECT_NE(o.validate()->find("c1"), std::string::npos);
}

}  // namespace
}  // namespace curvopt
