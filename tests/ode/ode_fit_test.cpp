#include "curvopt/ode/ode_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"
#include "curvopt/problem/least_squares_problem.h"
#include "curvopt/solve/covariance.h"
#include "curvopt/solve/solver.h"
#include "testing/allocation_counter.h"
#include "testing/curve_models.h"

namespace curvopt {
namespace {

using testing::LotkaVolterra;  // dx = a x − b x y; dy = −c y + d x y

const Vector<double> kTheta = (Vector<double>(4) << 1.1, 0.4, 0.4, 0.1).finished();
const Vector<double> kY0 = (Vector<double>(2) << 10, 5).finished();
constexpr double kSigma = 0.1;

// Observations of both states at t = 0.5, 1, …, 15 from the true parameters, plus seeded
// Gaussian noise of standard deviation kSigma (deterministic: the same on every machine).
OdeObservations noisy_trajectory() {
  OdeObservations data;
  data.times = Vector<double>::LinSpaced(30, 0.5, 15);
  OdeOptions tight;
  tight.relative_tolerance = 1e-12;
  tight.absolute_tolerance = 1e-12;
  Matrix<double> states;
  EXPECT_TRUE(integrate(LotkaVolterra{}, 2, 4, kY0, kTheta, data.times, 0, tight, states).ok());
  Rng rng(20240611);
  data.values = states;
  for (Index k = 0; k < data.values.cols(); ++k)
    for (Index s = 0; s < 2; ++s) data.values(s, k) += rng.normal(0, kSigma);
  data.sigmas = Matrix<double>::Constant(2, data.times.size(), kSigma);
  return data;
}

// Parameter recovery within 4 standard errors, the standard errors from the Jacobian at the
// solution and the known σ (residuals are divided by σ, so (JᵀJ)⁻¹ is the covariance).
void expect_recovered(LeastSquaresProblem& problem, const Vector<double>& x,
                      const Vector<double>& truth) {
  CovarianceOptions options;
  options.scale_by_residual_variance = false;
  const CovarianceResult cov = covariance(problem, x, options);
  ASSERT_TRUE(cov.ok) << cov.message;
  for (Index j = 0; j < truth.size(); ++j) {
    const double se = cov.standard_errors[j];
    EXPECT_LT(se, 0.05 * std::abs(truth[j])) << "parameter " << j << " poorly determined";
    EXPECT_LT(std::abs(x[j] - truth[j]), 4 * se)
        << "parameter " << j << ": " << x[j] << " vs " << truth[j] << " (se " << se << ")";
  }
}

TEST(OdeFit, RecoversLotkaVolterraParametersFromNoisyData) {
  LeastSquaresProblem problem(4);
  problem.add_block(make_ode_trajectory_block(LotkaVolterra{}, 2, 4, kY0, noisy_trajectory()));
  Vector<double> x = 1.3 * kTheta;  // 30% off
  const Summary summary = solve(problem, x);
  ASSERT_EQ(summary.termination, TerminationType::kConvergence) << summary.full_report();
  // With σ-weighted residuals the minimum's cost is ≈ ½χ² with m − p = 56 degrees of freedom.
  EXPECT_LT(summary.final_cost, 0.5 * (56 + 4 * std::sqrt(2.0 * 56)));
  expect_recovered(problem, x, kTheta);
}

TEST(OdeFit, RecoversParametersAndInitialStateWithStartsOffInBothDirections) {
  OdeFitOptions options;
  options.estimate_initial_state = true;
  LeastSquaresProblem problem(6);
  problem.add_block(make_ode_trajectory_block(LotkaVolterra{}, 2, 4, Vector<double>(),
                                              noisy_trajectory(), options));
  Vector<double> truth(6), x(6);
  truth << kTheta, kY0;
  x << 1.3 * kTheta[0], 0.7 * kTheta[1], 0.7 * kTheta[2], 1.3 * kTheta[3], 0.7 * kY0[0],
      1.3 * kY0[1];
  const Summary summary = solve(problem, x);
  ASSERT_EQ(summary.termination, TerminationType::kConvergence) << summary.full_report();
  expect_recovered(problem, x, truth);
}

TEST(OdeFit, JacobianMatchesCentralDifferencesOfTheResiduals) {
  // Prey observed only, one value missing (σ = ∞), y₀ estimated, θ after an unused entry of x
  // and y₀ after θ: the block must write zeros into the columns that are not its own.
  OdeObservations data = noisy_trajectory();
  data.observed_states = {0};
  data.values = data.values.topRows(1).eval();
  data.sigmas = Matrix<double>::Constant(1, data.times.size(), 0.5);
  data.sigmas(0, 3) = std::numeric_limits<double>::infinity();
  data.values(0, 3) = std::nan("");
  OdeFitOptions options;
  options.estimate_initial_state = true;
  options.parameter_offset = 1;
  options.ode.relative_tolerance = 1e-12;
  options.ode.absolute_tolerance = 1e-12;
  OdeTrajectoryBlock block(LotkaVolterra{}, 2, 4, Vector<double>(), data, options);
  ASSERT_EQ(block.num_residuals(), 30);
  ASSERT_EQ(block.min_num_parameters(), 7);

  Vector<double> x(7);
  x << 123.0, 1.2, 0.35, 0.45, 0.12, 9, 6;
  const Index m = block.num_residuals(), n = x.size();
  Matrix<double> J = Matrix<double>::Constant(m, n, 99), J_fd(m, n);  // 99: must be overwritten
  Vector<double> r(m), r_plus(m), r_minus(m), r_only(m);
  ASSERT_TRUE(block.evaluate(x.data(), n, r.data(), {J.data(), 1, m}));
  ASSERT_TRUE(block.evaluate(x.data(), n, r_only.data(), {}));
  EXPECT_EQ(r, r_only);  // the same function of x with or without the Jacobian
  EXPECT_EQ(r[3], 0);    // the missing value
  for (Index j = 0; j < n; ++j) {
    const double h = 1e-5 * std::max(std::abs(x[j]), 1.0);
    Vector<double> xp = x;
    xp[j] += h;
    ASSERT_TRUE(block.evaluate(xp.data(), n, r_plus.data(), {}));
    xp[j] -= 2 * h;
    ASSERT_TRUE(block.evaluate(xp.data(), n, r_minus.data(), {}));
    J_fd.col(j) = (r_plus - r_minus) / (2 * h);
  }
  EXPECT_TRUE(J.col(0).isZero(0));  // the unused entry
  EXPECT_TRUE(J.row(3).isZero(0));  // the missing value
  for (Index j = 1; j < n; ++j) {
    const double scale = J.col(j).cwiseAbs().maxCoeff();
    ASSERT_GT(scale, 0) << j;
    EXPECT_LT((J.col(j) - J_fd.col(j)).cwiseAbs().maxCoeff(), 1e-6 * scale) << "column " << j;
  }
}

TEST(OdeFit, EvaluationDoesNotAllocateAfterConstruction) {
  if (!testing::allocation_counting_available()) GTEST_SKIP() << "sanitizer build";
  OdeFitOptions options;
  options.estimate_initial_state = true;
  OdeTrajectoryBlock block(LotkaVolterra{}, 2, 4, kY0, noisy_trajectory(), options);
  Vector<double> x(6), r(block.num_residuals());
  x << kTheta, kY0;
  Matrix<double> J(block.num_residuals(), 6);
  testing::start_counting_allocations();
  const bool ok = block.evaluate(x.data(), 6, r.data(), {J.data(), 1, J.rows()}) &&
                  block.evaluate(x.data(), 6, r.data(), {});
  EXPECT_EQ(testing::stop_counting_allocations(), 0u);
  EXPECT_TRUE(ok);

  // integrate() with a reused workspace: no allocation from the second call on.
  OdeWorkspace ws;
  Matrix<double> states;
  const Vector<double> times = Vector<double>::LinSpaced(10, 1, 10);
  ASSERT_TRUE(integrate(LotkaVolterra{}, 2, 4, kY0, kTheta, times, 0, {}, states, &ws).ok());
  testing::start_counting_allocations();
  const OdeResult result = integrate(LotkaVolterra{}, 2, 4, kY0, kTheta, times, 0, {}, states, &ws);
  EXPECT_EQ(testing::stop_counting_allocations(), 0u);
  EXPECT_TRUE(result.ok());
}

// A neural ODE's block takes reverse-mode sensitivities; its tape is sized by the first
// evaluation, after which evaluating allocates nothing.
TEST(OdeFit, ReverseModeEvaluationDoesNotAllocateAfterTheFirst) {
  if (!testing::allocation_counting_available()) GTEST_SKIP() << "sanitizer build";
  const testing::TanhNetwork net{.hidden = 8};
  const Index p = net.num_parameters();
  OdeObservations data = noisy_trajectory();
  data.values /= 10;  // the network's scale
  OdeTrajectoryBlock block(net, 2, p, kY0 / 10, data, {});
  const Vector<double> x = net.weights();
  Vector<double> r(block.num_residuals());
  Matrix<double> J(block.num_residuals(), p);
  ASSERT_TRUE(block.evaluate(x.data(), p, r.data(), {J.data(), 1, J.rows()}));
  testing::start_counting_allocations();
  const bool ok = block.evaluate(x.data(), p, r.data(), {J.data(), 1, J.rows()}) &&
                  block.evaluate(x.data(), p, r.data(), {});
  EXPECT_EQ(testing::stop_counting_allocations(), 0u);
  EXPECT_TRUE(ok);
}

// An ODE block integrates its sensitivities even for residuals alone, so the problem keeps the
// trial's Jacobian: the Jacobian at an accepted trial point costs no second integration, and
// the two cached points swap roles without a new evaluation.
TEST(OdeFit, AcceptedTrialsKeepTheirJacobian) {
  LeastSquaresProblem problem(4);
  problem.add_block(make_ode_trajectory_block(LotkaVolterra{}, 2, 4, kY0, noisy_trajectory()));
  LeastSquaresProblem reference(4);
  reference.add_block(make_ode_trajectory_block(LotkaVolterra{}, 2, 4, kY0, noisy_trajectory()));
  const Vector<double> x = kTheta, trial = kTheta * 1.01;
  Matrix<double> J(problem.num_residuals(), 4), J_trial(problem.num_residuals(), 4), J_ref = J;
  problem.jacobian(x, J);
  const double f_trial = problem.value(trial);
  EXPECT_EQ(problem.num_jacobian_evaluations(), 1);
  EXPECT_EQ(problem.num_residual_evaluations(), 1);
  problem.jacobian(trial, J_trial);  // the accepted trial: no new integration
  EXPECT_EQ(problem.value(x), problem.value(x));
  EXPECT_EQ(problem.num_jacobian_evaluations(), 1);
  EXPECT_EQ(problem.num_residual_evaluations(), 1);
  reference.jacobian(trial, J_ref);
  EXPECT_EQ(J_trial, J_ref);
  EXPECT_EQ(f_trial, reference.value(trial));
  problem.jacobian(x, J_ref);  // the old point, still cached
  EXPECT_EQ(J_ref, J);
  EXPECT_EQ(problem.num_jacobian_evaluations() + problem.num_residual_evaluations(), 2);
}

TEST(OdeFit, FailedIntegrationRejectsThePoint) {
  // b < 0 and d < 0 make both populations grow without bound: the integration gives up (here
  // on max_steps, as the steps shrink with the growing states).
  OdeFitOptions options;
  options.ode.max_steps = 2000;
  OdeTrajectoryBlock block(LotkaVolterra{}, 2, 4, kY0, noisy_trajectory(), options);
  Vector<double> x = (Vector<double>(4) << 1.1, -0.4, 0.4, -0.1).finished();
  Vector<double> r(block.num_residuals());
  EXPECT_FALSE(block.evaluate(x.data(), 4, r.data(), {}));
  EXPECT_FALSE(block.last_result().ok());
  EXPECT_FALSE(block.last_result().message.empty());

  Vector<double> too_few(3);
  EXPECT_THROW(block.evaluate(too_few.data(), 3, r.data(), {}), ShapeError);
}

TEST(OdeFit, InvalidObservationsAreRefused) {
  OdeObservations data = noisy_trajectory();
  data.observed_states = {2};
  data.values = data.values.topRows(1).eval();
  data.sigmas = Matrix<double>();
  EXPECT_THROW(OdeTrajectoryBlock(LotkaVolterra{}, 2, 4, kY0, data), ValueError);
  data.observed_states = {0, 1};
  EXPECT_THROW(OdeTrajectoryBlock(LotkaVolterra{}, 2, 4, kY0, data), ShapeError);
  data = noisy_trajectory();
  data.sigmas(1, 1) = 0;
  EXPECT_THROW(OdeTrajectoryBlock(LotkaVolterra{}, 2, 4, kY0, data), ValueError);
  OdeFitOptions options;
  options.ode.relative_tolerance = -1;
  EXPECT_THROW(OdeTrajectoryBlock(LotkaVolterra{}, 2, 4, kY0, noisy_trajectory(), options),
               ConfigError);
}

}  // namespace
}  // namespace curvopt
