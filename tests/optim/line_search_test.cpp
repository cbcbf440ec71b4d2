// The line searches of the descent × search loop (StrongWolfeSearch, BacktrackingSearch for
// Armijo), run through DescentSearchMinimizer along a given direction.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "curvopt/core/errors.h"
#include "curvopt/optim/descent_search_minimizer.h"
#include "curvopt/optim/search/backtracking_search.h"
#include "curvopt/optim/search/strong_wolfe_search.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

// A descent that proposes s = α·d for a direction d given by the test, with a given first α.
class GivenDirection final : public Descent<double> {
 public:
  GivenDirection(Vector<double> d, double first_step) : d_(std::move(d)), first_(first_step) {}
  StepScalar scalar() const override { return StepScalar::kStepSize; }
  OracleSet required_oracles() const override { return {}; }
  std::string_view begin(Problem<double>&, Index) override { return {}; }
  bool prepare(const DescentPoint<double>&, StepReport&) override { return true; }
  DescentResult step(double alpha, VectorRef<double> step) override {
    step = alpha * d_;
    step_ = step;
    return {};
  }
  double curvature(ConstVectorRef<double>) override { return 0; }
  const Vector<double>& base_step() const override { return step_; }
  const Vector<double>* direction() const override { return &d_; }
  double suggested_scalar() const override { return first_; }
  void reset() override {}

 private:
  Vector<double> d_, step_;
  double first_;
};

// One line search from θ along d, as one step of the loop.
struct LineSearchRun {
  LineSearchRun(std::unique_ptr<curvopt::Search> search, const Vector<double>& d, double first_step,
                int max_trials = 26)
      : wolfe(dynamic_cast<StrongWolfeSearch*>(search.get())),
        loop("line-search", std::make_unique<GivenDirection>(d, first_step), std::move(search),
             {.max_trials = max_trials}) {}
  StepReport run(Problem<double>& problem, Vector<double>& theta) {
    return loop.step(problem, theta);
  }
  StrongWolfeSearch* wolfe;
  DescentSearchMinimizer<double> loop;
};

std::unique_ptr<curvopt::Search> strong_wolfe(const LineSearchOptions& o = {}) {
  return std::make_unique<StrongWolfeSearch>(o);
}

// φ(α) = f(θ + αd) along d = −∇f at θ = (1, 1) of the 2-D quadratic: φ(α) = ½(1 − α)² +
// 5(1 − 10α)², φ'(0) = −101, minimized at α* = 101/1001.
struct QuadraticLine {
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  Vector<double> theta = Vector<double>::Ones(2);
  Vector<double> direction = (Vector<double>(2) << -1, -10).finished();
  double value = 5.5, slope = -101;
};

// Both strong-Wolfe conditions at the new θ, checked from outside.
void expect_strong_wolfe(QuadraticLine& q, const Vector<double>& theta, double step,
                         const LineSearchOptions& o) {
  Vector<double> g(2);
  const double f = q.problem.gradient(theta, g);
  EXPECT_LE(f, q.value + o.c1 * step * q.slope);
  EXPECT_LE(std::abs(g.dot(q.direction)), -o.c2 * q.slope);
}

TEST(StrongWolfeSearch, AcceptsAUnitStepThatSatisfiesBothConditions) {
  // From (1, 1) along −H⁻¹g = −θ the unit step lands on the minimum.
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  Vector<double> theta = Vector<double>::Ones(2);
  LineSearchRun s(strong_wolfe(), -theta, 1.0);
  const StepReport r = s.run(problem, theta);
  ASSERT_TRUE(r.accepted()) << r.message;
  EXPECT_EQ(s.wolfe->last_outcome(), LineSearchOutcome::kStrongWolfe);
  EXPECT_EQ(r.step_length, 1.0);
  EXPECT_EQ(r.num_trials, 1);
  EXPECT_EQ(r.num_gradient_evaluations, 2);  // at θ and at the one trial
  EXPECT_NEAR(theta.norm(), 0, 1e-15);
}

TEST(StrongWolfeSearch, ZoomsIntoATooLongStep) {
  QuadraticLine q;
  LineSearchOptions options;
  options.c2 = 0.1;  // demand a nearly exact minimizer
  LineSearchRun s(strong_wolfe(options), q.direction, 1.0);
  Vector<double> theta = q.theta;
  const StepReport r = s.run(q.problem, theta);
  ASSERT_TRUE(r.accepted()) << r.message;
  ASSERT_EQ(s.wolfe->last_outcome(), LineSearchOutcome::kStrongWolfe);
  const double step = r.step_length.value();
  expect_strong_wolfe(q, theta, step, options);
  EXPECT_EQ(theta, q.theta + step * q.direction);
  EXPECT_DOUBLE_EQ(r.loss_after.value(), q.problem.value(theta));
  // A cubic through two points of a quadratic is the quadratic: one interpolation is exact.
  EXPECT_NEAR(step, 101.0 / 1001, 1e-12);
  EXPECT_EQ(r.num_trials, 2);
}

TEST(StrongWolfeSearch, ExtrapolatesATooShortStep) {
  QuadraticLine q;
  LineSearchRun s(strong_wolfe(), q.direction, 1e-4);
  Vector<double> theta = q.theta;
  const StepReport r = s.run(q.problem, theta);
  ASSERT_TRUE(r.accepted()) << r.message;
  ASSERT_EQ(s.wolfe->last_outcome(), LineSearchOutcome::kStrongWolfe);
  EXPECT_GT(r.step_length.value(), 1e-4);
  expect_strong_wolfe(q, theta, r.step_length.value(), LineSearchOptions{});
}

TEST(StrongWolfeSearch, TakesTheBestBracketEndWhenTheBudgetRunsOut) {
  // φ(α) = α⁴/4 − α from 0 along +1 (φ'(0) = −1). α = 3 overshoots (φ = 17.25); the zoom's
  // cubic gives α = 1.187 with sufficient decrease but |φ'| = 0.67 > c₂ = 1e-3; with the two
  // evaluations spent the search revisits that bracket end and takes it.
  FunctionProblem<double> problem(
      1, [](ConstVectorRef<double> x) { return std::pow(x(0), 4) / 4 - x(0); },
      [](ConstVectorRef<double> x, VectorRef<double> g) {
        g(0) = std::pow(x(0), 3) - 1;
        return std::pow(x(0), 4) / 4 - x(0);
      });
  LineSearchOptions options;
  options.c2 = 1e-3;
  options.max_evaluations = 2;
  LineSearchRun s(strong_wolfe(options), Vector<double>::Ones(1), 3.0, options.max_evaluations + 1);
  Vector<double> x = Vector<double>::Zero(1);
  const StepReport r = s.run(problem, x);
  ASSERT_TRUE(r.accepted()) << r.message;
  EXPECT_EQ(s.wolfe->last_outcome(), LineSearchOutcome::kSufficientDecrease);
  EXPECT_EQ(r.num_trials, 3);
  EXPECT_NEAR(x(0), 1.18718, 1e-5);
  EXPECT_EQ(x(0), r.step_length.value());
}

TEST(BacktrackingSearch, HalvesFromTheDescentsSuggestionUntilSufficientDecrease) {
  QuadraticLine q;
  // φ(α) ≤ 5.5 − 1.01e-2·α holds first at α = 1/8 (φ(1/4) = 11.53, φ(1/8) = 0.69).
  LineSearchRun s(
      std::make_unique<BacktrackingSearch>(BacktrackingSearchOptions{.initial_step = 7}),
      q.direction, 1.0);
  Vector<double> theta = q.theta;
  const StepReport r = s.run(q.problem, theta);
  ASSERT_TRUE(r.accepted()) << r.message;
  EXPECT_EQ(r.step_length, 0.125);
  EXPECT_EQ(r.num_value_evaluations, 4);     // values at 1, 1/2, 1/4, 1/8
  EXPECT_EQ(r.num_gradient_evaluations, 1);  // at θ only
  EXPECT_LE(r.loss_after.value(), q.value + 1e-4 * 0.125 * q.slope);
}

TEST(LineSearches, TreatNonFiniteTrialValuesAsTooLarge) {
  // f is NaN beyond x = 0.2 along d: both searches must back off and still succeed.
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
  const Vector<double> d = Vector<double>::Ones(1);
  for (bool wolfe : {false, true}) {
    LineSearchRun s(wolfe ? strong_wolfe() : std::make_unique<BacktrackingSearch>(), d, 1.0);
    Vector<double> x = Vector<double>::Zero(1);
    const StepReport r = s.run(problem, x);
    EXPECT_TRUE(r.accepted()) << (wolfe ? "strong Wolfe: " : "Armijo: ") << r.message;
    EXPECT_TRUE(std::isfinite(r.loss_after.value()));
    EXPECT_LT(r.loss_after.value(), 0.01);
  }
}

TEST(LineSearches, FailOnAnAscentDirectionWithParametersUntouched) {
  QuadraticLine q;
  for (bool wolfe : {false, true}) {
    LineSearchRun s(wolfe ? strong_wolfe() : std::make_unique<BacktrackingSearch>(), -q.direction,
                    1.0);
    Vector<double> theta = q.theta;
    const StepReport r = s.run(q.problem, theta);
    EXPECT_EQ(r.status, StepStatus::kNoConvergence);
    EXPECT_FALSE(r.message.empty());
    EXPECT_EQ(theta, q.theta);
  }
}

TEST(StrongWolfeSearch, NeedsADescentWithADirection) {
  // The Gram-style damping descents have no single direction; a line search cannot use them.
  class NoDirection final : public Descent<double> {
   public:
    StepScalar scalar() const override { return StepScalar::kStepSize; }
    OracleSet required_oracles() const override { return {}; }
    std::string_view begin(Problem<double>&, Index) override { return {}; }
    bool prepare(const DescentPoint<double>&, StepReport&) override { return true; }
    DescentResult step(double, VectorRef<double>) override { return {}; }
    double curvature(ConstVectorRef<double>) override { return 0; }
    const Vector<double>& base_step() const override { return none_; }
    void reset() override {}
    Vector<double> none_;
  };
  QuadraticLine q;
  DescentSearchMinimizer<double> loop("x", std::make_unique<NoDirection>(), strong_wolfe());
  Vector<double> theta = q.theta;
  EXPECT_THROW(loop.step(q.problem, theta), ConfigError);
}

TEST(LineSearchOptions, NameTheBadField) {
  LineSearchOptions o;
  o.c2 = 1e-5;
  ASSERT_TRUE(o.validate().has_value());
  EXPECT_NE(o.validate()->find("LineSearchOptions::c2"), std::string::npos);
  o = {};
  o.max_evaluations = 0;
  EXPECT_NE(o.validate()->find("max_evaluations"), std::string::npos);
  EXPECT_THROW(StrongWolfeSearch{o}, ConfigError);
}

TEST(CubicMinimizer, RecoversAQuadraticsMinimumAndBisectsWithoutOne) {
  // f = (x − 0.3)², f' = 2(x − 0.3): the cubic through x = 0 and x = 1 is f itself.
  EXPECT_NEAR(cubic_minimizer(0, 0.09, -0.6, 1, 0.49, 1.4, 0, 1), 0.3, 1e-14);
  EXPECT_EQ(cubic_minimizer(0, 0.09, -0.6, 1, 0.49, 1.4, 0.5, 1), 0.5);  // clamped
  EXPECT_EQ(cubic_minimizer(0, std::nan(""), -1, 1, 0, 0, 0, 1), 0.5);   // not finite
}

}  // namespace
}  // namespace curvopt
