// Learning-rate schedules, gradient clipping and iterate averaging.

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "curvopt/optim/gradient_clipping.h"
#include "curvopt/optim/iterate_averaging.h"
#include "curvopt/optim/learning_rate_schedule.h"
#include "curvopt/optim/sgd.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

TEST(LearningRateSchedule, EveryKindAtKnownSteps) {
  LearningRateScheduleOptions s;
  EXPECT_EQ(scheduled_learning_rate(s, 0.1, 12345), 0.1);
  s.kind = ScheduleKind::kStep;
  s.step_size = 10;
  s.gamma = 0.5;
  EXPECT_EQ(scheduled_learning_rate(s, 0.1, 9), 0.1);
  EXPECT_EQ(scheduled_learning_rate(s, 0.1, 10), 0.05);
  EXPECT_EQ(scheduled_learning_rate(s, 0.1, 25), 0.025);
  s.kind = ScheduleKind::kCosine;
  s.period = 100;
  s.min_learning_rate = 0.01;
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(s, 0.1, 0), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(s, 0.1, 50), 0.055);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(s, 0.1, 25),
                   0.01 + 0.09 * (1 + std::cos(std::numbers::pi / 4)) / 2);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(s, 0.1, 100), 0.01);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(s, 0.1, 500), 0.01);
  s.kind = ScheduleKind::kInverseTime;
  s.decay = 0.5;
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(s, 0.1, 4), 0.1 / 3);
  s.kind = ScheduleKind::kExponential;
  s.gamma = 0.9;
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(s, 0.1, 2), 0.1 * 0.81);
}

TEST(LearningRateSchedule, DrivesTheOptimizersLearningRate) {
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  SgdOptions options{.learning_rate = 0.1};
  options.control.schedule.kind = ScheduleKind::kStep;
  options.control.schedule.step_size = 2;
  options.control.schedule.gamma = 0.5;
  Sgd<double> sgd(options);
  Vector<double> x = Vector<double>::Ones(2);
  const double expected[] = {0.1, 0.1, 0.05, 0.05, 0.025};
  for (double lr : expected) EXPECT_DOUBLE_EQ(sgd.step(problem, x).learning_rate.value(), lr);
}

TEST(GradientClipping, ByValueThenByNorm) {
  Vector<double> g(3);
  g << 3, -4, 0.5;
  GradientClippingOptions by_value{.max_value = 1};
  EXPECT_DOUBLE_EQ(clip_gradient<double>(by_value, g), std::sqrt(9 + 16 + 0.25));
  EXPECT_EQ(g, (Vector<double>(3) << 1, -1, 0.5).finished());
  g << 3, -4, 0;
  GradientClippingOptions by_norm{.max_norm = 2.5};
  EXPECT_DOUBLE_EQ(clip_gradient<double>(by_norm, g), 5);
  EXPECT_NEAR((g - Vector<double>((Vector<double>(3) << 1.5, -2, 0).finished())).norm(), 0, 1e-15);
  // Below the limit nothing changes.
  g << 0.1, 0.2, 0;
  const Vector<double> before = g;
  clip_gradient<double>(by_norm, g);
  EXPECT_EQ(g, before);
}

TEST(GradientClipping, BoundsTheFirstSgdStep) {
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  SgdOptions options{.learning_rate = 1};
  options.control.clipping.max_norm = 0.5;
  Sgd<double> sgd(options);
  Vector<double> x = Vector<double>::Ones(2);
  const StepReport r = sgd.step(problem, x);
  EXPECT_NEAR(r.step_norm, 0.5, 1e-15);
  EXPECT_NEAR(r.gradient_norm.value(), std::sqrt(101.0), 1e-12);  // reported before clipping
}

TEST(IterateAveraging, PolyakIsTheMeanOfTheIteratesFromTheStart) {
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  SgdOptions options{.learning_rate = 0.05};
  options.control.averaging.kind = AveragingKind::kPolyak;
  Sgd<double> sgd(options);
  Vector<double> x = Vector<double>::Ones(2), sum = x;
  EXPECT_EQ(sgd.evaluation_parameters(), nullptr);
  for (int k = 0; k < 7; ++k) {
    sgd.step(problem, x);
    sum += x;
  }
  EXPECT_LT((*sgd.evaluation_parameters() - sum / 8).norm(), 1e-15);
}

TEST(IterateAveraging, ExponentialStartsFromTheFirstIterateAndHonoursStart) {
  IterateAveragingOptions options{.kind = AveragingKind::kExponential, .decay = 0.9, .start = 2};
  IterateAverager<double> averager(options);
  Vector<double> x(1);
  for (std::int64_t update = 0; update < 5; ++update) {
    x(0) = static_cast<double>(update);
    averager.add(x, update);
  }
  // Iterates 2, 3, 4 are averaged: θ̄ = 2 → 0.9·2 + 0.1·3 → 0.9·θ̄ + 0.1·4.
  const double expected = 0.9 * (0.9 * 2 + 0.1 * 3) + 0.1 * 4;
  EXPECT_DOUBLE_EQ((*averager.average())(0), expected);
}

}  // namespace
}  // namespace curvopt
