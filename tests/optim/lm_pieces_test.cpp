// The pieces Levenberg-Marquardt is composed of, each on its own, and the best-so-far wrapper
// that makes one of them available around any optimizer.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "curvopt/optim/accept/best_iterate.h"
#include "curvopt/optim/accept/keep_best.h"
#include "curvopt/optim/accept/uphill_acceptance.h"
#include "curvopt/optim/registry.h"
#include "curvopt/optim/search/learning_rate_rescue.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

TEST(LearningRateRescue, HalvingStopsAtTheFirstDecrease) {
  std::vector<double> tried;
  auto loss_at = [&](double lr) {
    tried.push_back(lr);
    return (lr - 0.2) * (lr - 0.2);
  };
  const auto r = LearningRateRescue{LrSearchGrid::kHalving}.search(loss_at, 0.01);
  EXPECT_TRUE(r.found);
  EXPECT_EQ(r.learning_rate, 0.25);
  EXPECT_EQ(tried, (std::vector<double>{0.5, 0.25}));
  // No decrease anywhere: all six rates tried, nothing found.
  tried.clear();
  const auto none = LearningRateRescue{LrSearchGrid::kHalving}.search(loss_at, 1e-9);
  EXPECT_FALSE(none.found);
  EXPECT_EQ(tried.size(), 6u);
}

TEST(LearningRateRescue, TheS1GridTakesTheBestOfAll72) {
  int evaluations = 0;
  auto loss_at = [&](double lr) {
    ++evaluations;
    return std::isfinite(lr) ? (lr - 3.3) * (lr - 3.3) : 0.0;
  };
  const auto r = LearningRateRescue{LrSearchGrid::kS1}.search(loss_at, 100);
  EXPECT_EQ(evaluations, 72);
  EXPECT_TRUE(r.found);
  EXPECT_DOUBLE_EQ(r.learning_rate, 1e-6 + 0.125 * 26);  // 3.250001, the grid point nearest 3.3
  // A non-finite trial never counts as a decrease.
  const auto nan =
      LearningRateRescue{LrSearchGrid::kS1}.search([](double) { return std::nan(""); }, 1.0);
  EXPECT_FALSE(nan.found);
}

TEST(UphillAcceptance, AllowsMoreUphillTheMoreTheStepsAgree) {
  const UphillAcceptance uphill{2};
  Vector<double> previous(2), along(2), across(2), against(2);
  previous << 1, 0;
  along << 2, 0;     // β = 1: factor 0, any finite loss passes
  across << 0, 1;    // β = 0: factor 1, plain descent test
  against << -1, 0;  // β = −1: factor clipped to 1
  EXPECT_TRUE(uphill.accepts<double>(50.0, 1.0, along, previous));
  EXPECT_FALSE(uphill.accepts<double>(std::nan(""), 1.0, along, previous));
  EXPECT_FALSE(uphill.accepts<double>(1.5, 1.0, across, previous));
  EXPECT_TRUE(uphill.accepts<double>(1.0, 1.0, across, previous));
  EXPECT_FALSE(uphill.accepts<double>(1.01, 1.0, against, previous));
  Vector<double> half(2);
  half << 1, 1;  // β = 1/√2: (1 − β)² ≈ 0.0858, so up to ≈ 11.66 × the reference passes
  EXPECT_TRUE(uphill.accepts<double>(11.6, 1.0, half, previous));
  EXPECT_FALSE(uphill.accepts<double>(11.7, 1.0, half, previous));
}

TEST(BestIterate, KeepsTheLowestLossOnTheSameDataAndForgetsOnNewData) {
  BestIterate<double> best;
  Vector<double> a(2), b(2), c(2);
  a << 1, 1;
  b << 2, 2;
  c << 3, 3;
  best.observe_start(7, 5.0, a);
  EXPECT_EQ(best.better_than_current(), nullptr);  // the current iterate is the best
  best.observe_accepted(6.0, b);                   // uphill
  ASSERT_NE(best.better_than_current(), nullptr);
  EXPECT_EQ(*best.better_than_current(), a);
  best.observe_start(7, 6.0, b);
  best.observe_accepted(4.0, c);
  EXPECT_EQ(best.better_than_current(), nullptr);
  EXPECT_EQ(best.best_loss(), 4.0);
  // Saved and loaded, the record continues on the data it was made on (a new version number).
  OptimizerState state("test");
  best.save(state);
  BestIterate<double> loaded;
  loaded.load(state, 2);
  loaded.observe_start(99, 4.5, a);
  EXPECT_EQ(loaded.best_loss(), 4.0);
  ASSERT_NE(loaded.better_than_current(), nullptr);
  EXPECT_EQ(*loaded.better_than_current(), c);
  // New data: the record restarts.
  loaded.observe_start(100, 9.0, b);
  EXPECT_EQ(loaded.best_loss(), 9.0);
  EXPECT_EQ(loaded.better_than_current(), nullptr);
}

// Gradient descent with a step too long for the stiff direction (lr·10 = 2.1 > 2) climbs; the
// wrapper leaves the trajectory alone and offers the lowest point it started a step from.
TEST(KeepBest, OffersTheBestIterateOfAnyOptimizerWithoutChangingItsSteps) {
  auto problem = testing::quadratic_2d<double>();
  KeepBest<double> wrapped(make_optimizer<double>("gd lr=0.21"));
  auto plain = make_optimizer<double>("gd lr=0.21");
  Vector<double> theta(2), reference(2), best(2);
  theta << 3, 0.1;
  reference = theta;
  double best_loss = 1e300;
  for (int k = 0; k < 30; ++k) {
    const double f = problem.value(theta);
    if (f < best_loss) best_loss = f, best = theta;
    wrapped.step(problem, theta);
    plain->step(problem, reference);
    ASSERT_EQ(theta, reference) << "step " << k;
  }
  ASSERT_GT(problem.value(theta), best_loss);  // it did climb
  ASSERT_NE(wrapped.evaluation_parameters(), nullptr);
  EXPECT_EQ(*wrapped.evaluation_parameters(), best);
  // Checkpointed and restored, the record comes back with the wrapped method's state.
  KeepBest<double> restored(make_optimizer<double>("gd lr=0.21"));
  restored.load_state(wrapped.save_state());
  restored.step(problem, theta);  // same data: the record continues
  ASSERT_NE(restored.evaluation_parameters(), nullptr);
  EXPECT_EQ(*restored.evaluation_parameters(), best);
}

}  // namespace
}  // namespace curvopt
