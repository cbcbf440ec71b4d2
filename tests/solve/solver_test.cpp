#include "curvopt/solve/solver.h"

#include <gtest/gtest.h>

#include <Eigen/QR>

#include <cmath>
#include <limits>

#include "curvopt/core/errors.h"
#include "curvopt/problem/function_problem.h"
#include "curvopt/problem/least_squares_problem.h"
#include "testing/curve_models.h"

namespace curvopt {
namespace {

using testing::Decay;
using testing::exact_decay;

TEST(Solver, FitsAnExactModelAndEndsOnATolerance) {
  auto problem = exact_decay();
  Vector<double> x = (Vector<double>(3) << 1.0, 0.1, 0.0).finished();
  const Summary summary = solve(problem, x);
  EXPECT_EQ(summary.termination, TerminationType::kConvergence) << summary.full_report();
  EXPECT_TRUE(summary.is_usable());
  EXPECT_NEAR(x[0], 5, 1e-8);
  EXPECT_NEAR(x[1], 0.7, 1e-8);
  EXPECT_NEAR(x[2], 1, 1e-8);
  EXPECT_LT(summary.final_cost, 1e-16);
  EXPECT_LT(summary.num_successful_steps, 40);
  EXPECT_EQ(summary.iterations.front().iteration, 0);
  EXPECT_EQ(static_cast<int>(summary.iterations.size()),
            1 + summary.num_successful_steps + summary.num_unsuccessful_steps);
  EXPECT_NE(summary.brief_report().find("CONVERGENCE"), std::string::npos);
  EXPECT_NE(summary.full_report().find("termination: CONVERGENCE"), std::string::npos);
}

TEST(Solver, LinearLeastSquaresTakesOneGaussNewtonStep) {
  // r = A x − b: Gauss-Newton solves it exactly in one step; LM within a few.
  LeastSquaresProblem problem(2);
  const double rows[4][3] = {{1, 0, 1}, {1, 1, 2.9}, {1, 2, 5.2}, {1, 3, 6.8}};
  for (const auto& row : rows)
    problem.add_residual_block(
        [row](const auto* x, auto* r) {
          r[0] = row[0] * x[0] + row[1] * x[1] - row[2];
          return true;
        },
        1);
  Eigen::Matrix<double, 4, 2> A;
  Eigen::Vector4d b;
  for (int i = 0; i < 4; ++i) {
    A.row(i) << rows[i][0], rows[i][1];
    b[i] = rows[i][2];
  }
  const Eigen::Vector2d exact = A.colPivHouseholderQr().solve(b);
  for (SolverMethod method : {SolverMethod::kGaussNewton, SolverMethod::kLevenbergMarquardt}) {
    Vector<double> x = Vector<double>::Zero(2);
    SolverOptions options;
    options.method = method;
    const Summary summary = solve(problem, x, options);
    EXPECT_EQ(summary.termination, TerminationType::kConvergence) << to_string(method);
    EXPECT_NEAR(x[0], exact[0], 1e-10);
    EXPECT_NEAR(x[1], exact[1], 1e-10);
    if (method == SolverMethod::kGaussNewton) {
      EXPECT_LE(summary.num_successful_steps, 2) << summary.full_report();
    }
  }
}

TEST(Solver, GeodesicAccelerationWorksFromTheExplicitJacobian) {
  // The second directional derivative comes from jvp at a shifted point, which the
  // LeastSquaresProblem forms from its explicit Jacobian: no separate jvp code is needed.
  auto problem = exact_decay();
  Vector<double> x = (Vector<double>(3) << 1.0, 0.1, 0.0).finished();
  SolverOptions options;
  options.geodesic_acceleration = true;
  const Summary summary = solve(problem, x, options);
  EXPECT_EQ(summary.termination, TerminationType::kConvergence) << summary.full_report();
  EXPECT_NEAR(x[0], 5, 1e-8);
  EXPECT_NEAR(x[1], 0.7, 1e-8);
  EXPECT_NEAR(x[2], 1, 1e-8);
}

// The first LM step from x₀ is −(JᵀJ + λD)⁻¹Jᵀr with λ = 1/μ₀: D = max(diag(JᵀJ), floor) by
// default, D = I with identity_damping. A wide network problem (10 residuals, 114 weights), where
// the two differ most: the diagonal leaves the weights with small columns barely damped.
TEST(Solver, FirstStepIsTheDampedGaussNewtonStepOfEitherDamping) {
  const testing::TanhNetwork net{.hidden = 8};
  const Index n = net.num_parameters();
  LeastSquaresProblem problem(n);
  for (int k = 0; k < 5; ++k) {
    testing::TanhNetwork point = net;
    point.x0 = 0.3 * k - 0.6;
    point.target0 = 0.5 - 0.2 * k;
    problem.add_residual_block(point, 2);
  }
  const Vector<double> x0 = net.weights();
  Matrix<double> J(problem.num_residuals(), n);
  Vector<double> r(problem.num_residuals());
  problem.jacobian(x0, J);
  problem.residuals(x0, r);
  const Matrix<double> JtJ = J.transpose() * J;
  for (bool identity : {false, true}) {
    SolverOptions options;
    options.identity_damping = identity;
    options.jacobi_scaling = false;
    options.initial_trust_region_radius = 1e-3;  // small enough for both first trials to pass
    options.max_iterations = 1;
    Vector<double> x = x0;
    const Summary summary = solve(problem, x, options);
    ASSERT_EQ(summary.num_successful_steps, 1) << summary.full_report();
    const Vector<double> d = identity
                                 ? Vector<double>::Ones(n)
                                 : Vector<double>(JtJ.diagonal().cwiseMax(options.min_lm_diagonal));
    Matrix<double> A = JtJ;
    A.diagonal() += d / options.initial_trust_region_radius;
    const Vector<double> step = A.ldlt().solve(-(J.transpose() * r));
    EXPECT_LT((x - x0 - step).norm(), 1e-8 * step.norm()) << (identity ? "identity" : "diagonal");
    EXPECT_NE(summary.full_report().find(identity ? "identity" : "max-diagonal"),
              std::string::npos);
  }
}

TEST(Solver, BadlyScaledProblemIsSolvedWithDefaults) {
  // Brown's badly scaled function (Moré, Garbow & Hillstrom 1981): x* = (1e6, 2e-6), and JᵀJ
  // spans twelve orders of magnitude.
  LeastSquaresProblem problem(2);
  problem.add_residual_block(
      [](const auto* x, auto* r) {
        r[0] = x[0] - 1e6;
        r[1] = x[1] - 2e-6;
        r[2] = x[0] * x[1] - 2.0;
        return true;
      },
      3);
  Vector<double> x = Vector<double>::Ones(2);
  const Summary summary = solve(problem, x);
  EXPECT_EQ(summary.termination, TerminationType::kConvergence) << summary.full_report();
  EXPECT_NEAR(x[0], 1e6, 1e-4);
  EXPECT_NEAR(x[1], 2e-6, 1e-16);
}

TEST(Solver, NullStepsEndAsConvergence) {
  // Zero residual at the start: the gradient test ends the solve before any step.
  auto problem = exact_decay();
  Vector<double> x = (Vector<double>(3) << 5.0, 0.7, 1.0).finished();
  const Summary summary = solve(problem, x);
  EXPECT_EQ(summary.termination, TerminationType::kConvergence);
  EXPECT_EQ(summary.num_successful_steps + summary.num_unsuccessful_steps, 0);
  // With every tolerance off, the damping's bound still ends the solve as convergence.
  Vector<double> y = (Vector<double>(3) << 1.0, 0.1, 0.0).finished();
  SolverOptions options;
  options.function_tolerance = options.gradient_tolerance = options.parameter_tolerance = 0;
  options.max_iterations = 100000;
  const Summary endless = solve(problem, y, options);
  EXPECT_EQ(endless.termination, TerminationType::kConvergence) << endless.message;
  EXPECT_LT(endless.num_successful_steps + endless.num_unsuccessful_steps, 2000);
}

TEST(Solver, BoundsAreRespectedAndActiveBoundsReported) {
  auto problem = exact_decay();
  Vector<double> x = (Vector<double>(3) << 1.0, 0.1, 0.0).finished();
  SolverOptions options;
  options.lower_bounds = Vector<double>::Constant(3, -std::numeric_limits<double>::infinity());
  options.upper_bounds = Vector<double>::Constant(3, std::numeric_limits<double>::infinity());
  options.upper_bounds[0] = 4.0;  // the unconstrained a* = 5 is cut off
  options.callbacks.push_back([&](const IterationSummary&, ConstVectorRef<double> current) {
    EXPECT_LE(current[0], 4.0);
    return CallbackDecision::kContinue;
  });
  const Summary summary = solve(problem, x, options);
  EXPECT_TRUE(summary.is_usable()) << summary.full_report();
  EXPECT_EQ(x[0], 4.0);
  ASSERT_EQ(summary.active_upper_bounds.size(), 1u);
  EXPECT_EQ(summary.active_upper_bounds[0], 0);
  EXPECT_TRUE(summary.active_lower_bounds.empty());
  // The free parameters are those of the fit with a held at 4.
  LeastSquaresProblem held(2);
  for (int i = 0; i < 12; ++i) {
    const double t = 0.5 * i, y = 5 * std::exp(-0.7 * t) + 1;
    held.add_residual_block(
        [t, y](const auto* p, auto* r) {
          using std::exp;
          r[0] = y - (4.0 * exp(-p[0] * t) + p[1]);
          return true;
        },
        1);
  }
  Vector<double> bc = (Vector<double>(2) << 0.1, 0.0).finished();
  const Summary reference = solve(held, bc);
  ASSERT_EQ(reference.termination, TerminationType::kConvergence);
  // With a held off its best value the residuals stay large, where Gauss-Newton converges only
  // linearly (ratio ≈ 0.6 here): both solves stop on the function tolerance, so the costs agree
  // to it and the parameters to its square root.
  EXPECT_NEAR(summary.final_cost, reference.final_cost, 1e-9 * reference.final_cost);
  EXPECT_NEAR(x[1], bc[0], 1e-4 * std::abs(bc[0])) << summary.full_report();
  EXPECT_NEAR(x[2], bc[1], 1e-4 * std::abs(bc[1]));
  EXPECT_EQ(summary.termination, TerminationType::kConvergence);
  EXPECT_NE(summary.full_report().find("x[0]=upper"), std::string::npos);
}

TEST(Solver, CallbacksSeeTheParametersAndCanStop) {
  auto problem = exact_decay();
  Vector<double> x = (Vector<double>(3) << 1.0, 0.1, 0.0).finished();
  SolverOptions options;
  int calls = 0;
  options.callbacks.push_back([&](const IterationSummary& it, ConstVectorRef<double> current) {
    ++calls;
    EXPECT_EQ(current.size(), 3);
    return it.iteration >= 3 ? CallbackDecision::kStopSuccess : CallbackDecision::kContinue;
  });
  const Summary summary = solve(problem, x, options);
  EXPECT_EQ(summary.termination, TerminationType::kUserSuccess);
  EXPECT_EQ(calls, 4);
  options.callbacks = {
      [](const IterationSummary&, ConstVectorRef<double>) { return CallbackDecision::kAbort; }};
  EXPECT_EQ(solve(problem, x, options).termination, TerminationType::kUserFailure);
}

TEST(Solver, BudgetsEndAsNoConvergence) {
  auto problem = exact_decay();
  Vector<double> x = (Vector<double>(3) << 1.0, 0.1, 0.0).finished();
  SolverOptions options;
  options.max_iterations = 8;  // the minimum takes 12 here
  const Summary summary = solve(problem, x, options);
  EXPECT_EQ(summary.termination, TerminationType::kNoConvergence);
  EXPECT_EQ(summary.num_successful_steps + summary.num_unsuccessful_steps, 8);
  EXPECT_TRUE(summary.is_usable());
  EXPECT_LT(summary.final_cost, summary.initial_cost);
}

TEST(Solver, InfeasibleStartIsAFailureAndXIsKept) {
  LeastSquaresProblem problem(1);
  problem.add_residual_block(
      [](const auto* p, auto* r) {
        using std::log;
        if (p[0] <= 0.0) return false;
        r[0] = log(p[0]) - 1.0;
        return true;
      },
      1);
  Vector<double> x = Vector<double>::Constant(1, -2.0);
  const Summary summary = solve(problem, x);
  EXPECT_EQ(summary.termination, TerminationType::kFailure);
  EXPECT_FALSE(summary.is_usable());
  EXPECT_EQ(x[0], -2.0);
  // From a feasible start, infeasible trials are rejected and the solve reaches e.
  x[0] = 0.1;
  const Summary good = solve(problem, x);
  EXPECT_EQ(good.termination, TerminationType::kConvergence) << good.full_report();
  EXPECT_NEAR(x[0], std::exp(1.0), 1e-8);
}

TEST(Solver, InvalidOptionsNameTheField) {
  auto problem = exact_decay();
  Vector<double> x = Vector<double>::Ones(3);
  SolverOptions options;
  options.function_tolerance = -1;
  try {
    solve(problem, x, options);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("SolverOptions::function_tolerance"), std::string::npos);
  }
  options = {};
  options.lower_bounds = Vector<double>::Zero(2);
  options.upper_bounds = Vector<double>::Ones(2);
  EXPECT_THROW(solve(problem, x, options), ConfigError);
  options.lower_bounds = Vector<double>::Ones(3);
  options.upper_bounds = Vector<double>::Zero(3);
  EXPECT_THROW(solve(problem, x, options), ConfigError);
  Vector<double> wrong = Vector<double>::Ones(2);
  EXPECT_THROW(solve(problem, wrong, {}), ShapeError);
  x[1] = std::nan("");
  EXPECT_THROW(solve(problem, x, {}), ValueError);
  // A problem without a Jacobian is refused with the oracle named.
  FunctionProblem<double> no_jacobian(
      1, [](ConstVectorRef<double> p) { return p[0] * p[0]; },
      [](ConstVectorRef<double> p, VectorRef<double> g) {
        g[0] = 2 * p[0];
        return p[0] * p[0];
      });
  Vector<double> y = Vector<double>::Ones(1);
  try {
    solve(no_jacobian, y);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("jacobian"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace curvopt
