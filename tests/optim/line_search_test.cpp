#include "curvopt/optim/line_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "curvopt/core/errors.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

// φ(α) = f(θ + αd) along d = −∇f at θ = (1, 1) of the 2-D quadratic: φ(α) = ½(1 − α)² +
// 5(1 − 10α)², φ'(0) = −101, minimized at α* = 101/1001.
struct QuadraticLine {
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  Vector<double> theta = Vector<double>::Ones(2);
  Vector<double> direction = (Vector<double>(2) << -1, -10).finished();
  double value = 5.5, slope = -101;
};

void expect_strong_wolfe(const LineSearchResult<double>& r, double value, double slope,
                         const LineSearchOptions& o) {
  EXPECT_LE(r.value, value + o.c1 * r.step_length * slope);
  EXPECT_LE(std::abs(r.directional_derivative), -o.c2 * slope);
}

TEST(LineSearch, StrongWolfeAcceptsAUnitStepThatSatisfiesBothConditions) {
  // From (1, 1) along −H⁻¹g = −θ the unit step lands on the minimum.
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  LineSearch<double> search;
  const Vector<double> theta = Vector<double>::Ones(2), d = -theta;
  const auto r = search.search(problem, theta, d, 5.5, -11, 1.0);
  EXPECT_EQ(r.outcome, LineSearchOutcome::kStrongWolfe);
  EXPECT_EQ(r.step_length, 1.0);
  EXPECT_EQ(r.num_gradient_evaluations, 1);
  EXPECT_NEAR(search.point().norm(), 0, 1e-15);
}

TEST(LineSearch, StrongWolfeZoomsIntoATooLongStep) {
  QuadraticLine q;
  LineSearchOptions options;
  options.c2 = 0.1;  // demand a nearly exact minimizer
  LineSearch<double> search(options);
  const auto r = search.search(q.problem, q.theta, q.direction, q.value, q.slope, 1.0);
  ASSERT_EQ(r.outcome, LineSearchOutcome::kStrongWolfe);
  expect_strong_wolfe(r, q.value, q.slope, options);
  // The returned point and gradient belong to the returned step.
  const Vector<double> expected_point = q.theta + r.step_length * q.direction;
  EXPECT_NEAR((search.point() - expected_point).norm(), 0, 1e-15);
  Vector<double> g(2);
  const double f = q.problem.gradient(expected_point, g);
  EXPECT_DOUBLE_EQ(r.value, f);
  EXPECT_NEAR((search.gradient() - g).norm(), 0, 1e-15);
  // A cubic through two points of a quadratic is the quadratic: one interpolation is exact.
  EXPECT_NEAR(r.step_length, 101.0 / 1001, 1e-12);
}

TEST(LineSearch, StrongWolfeExtrapolatesATooShortStep) {
  QuadraticLine q;
  LineSearch<double> search;
  const auto r = search.search(q.problem, q.theta, q.direction, q.value, q.slope, 1e-4);
  ASSERT_EQ(r.outcome, LineSearchOutcome::kStrongWolfe);
  EXPECT_GT(r.step_length, 1e-4);
  expect_strong_wolfe(r, q.value, q.slope, search.options());
}

TEST(LineSearch, ArmijoHalvesUntilSufficientDecrease) {
  QuadraticLine q;
  LineSearchOptions options;
  options.kind = LineSearchKind::kArmijo;
  LineSearch<double> search(options);
  // φ(α) ≤ 5.5 − 1.01e-2·α holds first at α = 1/8 (φ(1/4) = 11.53, φ(1/8) = 0.69).
  const auto r = search.search(q.problem, q.theta, q.direction, q.value, q.slope, 1.0);
  ASSERT_EQ(r.outcome, LineSearchOutcome::kSufficientDecrease);
  EXPECT_EQ(r.step_length, 0.125);
  EXPECT_EQ(r.num_value_evaluations, 4);     // values at 1, 1/2, 1/4, 1/8
  EXPECT_EQ(r.num_gradient_evaluations, 1);  // the gradient only at the accepted step
  EXPECT_LE(r.value, q.value + 1e-4 * 0.125 * q.slope);
}

TEST(LineSearch, NonFiniteTrialValuesCountAsTooLarge) {
  // f is NaN beyond α = 0.2 along d: both searches must back off and still succeed.
  FunctionProblem<double> problem(
      1,
      [](ConstVectorRef<double> x) {
        return x(0) > 0.2 ? std::nan("") : (x(0) - 0.1) * (x(0) - 0.1);
      },
      [](ConstVectorRef<double> x, VectorRef<double> g) {
        if (x(0) > 0.2) {
          g(0) = std::nan("");
          return std::nan("");
        }
        g(0) = 2 * (x(0) - 0.1);
        return (x(0) - 0.1) * (x(0) - 0.1);
      });
  const Vector<double> x0 = Vector<double>::Zero(1), d = Vector<double>::Ones(1);
  for (LineSearchKind kind : {LineSearchKind::kArmijo, LineSearchKind::kStrongWolfe}) {
    LineSearchOptions options;
    options.kind = kind;
    LineSearch<double> search(options);
    const auto r = search.search(problem, x0, d, 0.01, -0.2, 1.0);
    EXPECT_TRUE(r.success()) << to_string(kind) << ": " << r.message;
    EXPECT_TRUE(std::isfinite(r.value));
    EXPECT_LT(r.value, 0.01);
  }
}

TEST(LineSearch, FailsOnAnAscentDirectionAndWhenNoDecreaseExists) {
  QuadraticLine q;
  LineSearch<double> search;
  EXPECT_FALSE(search.search(q.problem, q.theta, -q.direction, q.value, 101, 1.0).success());
  // A wrong slope claim (f actually increases along d): Armijo runs out of steps.
  LineSearchOptions options;
  options.kind = LineSearchKind::kArmijo;
  options.max_evaluations = 10;
  LineSearch<double> armijo(options);
  const auto r = armijo.search(q.problem, q.theta, -q.direction, q.value, -1, 1.0);
  EXPECT_EQ(r.outcome, LineSearchOutcome::kFailed);
  EXPECT_FALSE(r.message.empty());
}

TEST(LineSearch, OptionsNameTheBadField) {
  LineSearchOptions o;
  o.c2 = 1e-5;
  ASSERT_TRUE(o.validate().has_value());
  EXPECT_NE(o.validate()->find("LineSearchOptions::c2"), std::string::npos);
  o = {};
  o.max_evaluations = 0;
  EXPECT_NE(o.validate()->find("max_evaluations"), std::string::npos);
  EXPECT_THROW(LineSearch<double>{o}, ConfigError);
}

TEST(CubicMinimizer, RecoversAQuadraticsMinimumAndBisectsWithoutOne) {
  // f = (x − 0.3)², f' = 2(x − 0.3): the cubic through x = 0 and x = 1 is f itself.
  EXPECT_NEAR(cubic_minimizer(0, 0.09, -0.6, 1, 0.49, 1.4, 0, 1), 0.3, 1e-14);
  EXPECT_EQ(cubic_minimizer(0, 0.09, -0.6, 1, 0.49, 1.4, 0.5, 1), 0.5);  // clamped
  EXPECT_EQ(cubic_minimizer(0, std::nan(""), -1, 1, 0, 0, 0, 1), 0.5);   // not finite
}

}  // namespace
}  // namespace curvopt
