#include "curvopt/data/synthetic.h"

#include <gtest/gtest.h>

#include <cmath>

#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"

namespace curvopt {
namespace {

template <class Scalar>
class Synthetic : public ::testing::Test {};
using ScalarTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Synthetic, ScalarTypes);

TYPED_TEST(Synthetic, NoisySineFollowsTheSpec) {
  using Scalar = TypeParam;
  const Dataset<Scalar> data = noisy_sine<Scalar>();
  EXPECT_EQ(data.name, "noisy_sine");
  EXPECT_EQ(data.num_classes, 0);
  ASSERT_EQ(data.inputs.rows(), 1);
  ASSERT_EQ(data.inputs.cols(), 1000);
  ASSERT_EQ(data.targets.rows(), 1);
  ASSERT_EQ(data.targets.cols(), 1000);
  EXPECT_EQ(data.inputs(0, 0), Scalar(-10));
  EXPECT_EQ(data.inputs(0, 999), Scalar(10));
  EXPECT_EQ(data.inputs(0, 1), static_cast<Scalar>(-10.0 + 20.0 / 999.0));
  double min_noise = 1.0;
  double max_noise = -1.0;
  for (Index i = 0; i < 1000; ++i) {
    if (i > 0) {
      EXPECT_GT(data.inputs(0, i), data.inputs(0, i - 1));
    }
    const double x = data.inputs(0, i);
    const double noise = static_cast<double>(data.targets(0, i)) - std::sin(x);
    min_noise = std::min(min_noise, noise);
    max_noise = std::max(max_noise, noise);
  }
  // y − sin x ∈ [0, 0.2), up to the rounding of x and y to Scalar.
  const double slack = std::is_same_v<Scalar, float> ? 2e-6 : 1e-15;
  EXPECT_GE(min_noise, -slack);
  EXPECT_LT(max_noise, 0.2 + slack);
  // Uniform noise over 1000 draws covers most of the interval.
  EXPECT_LT(min_noise, 0.01);
  EXPECT_GT(max_noise, 0.19);
}

TEST(Synthetic, NoisySineUsesRngUniformInOrder) {
  const Dataset<double> data = noisy_sine<double>(50, 0.3, 9);
  Rng rng(9);
  for (Index i = 0; i < 50; ++i) {
    const double x = i == 49 ? 10.0 : -10.0 + static_cast<double>(i) * (20.0 / 49.0);
    EXPECT_EQ(data.inputs(0, i), x);
    EXPECT_EQ(data.targets(0, i), std::sin(x) + 0.3 * rng.uniform());
  }
}

TEST(Synthetic, NoisySineSeedsAndNoise) {
  EXPECT_EQ(noisy_sine<double>(100, 0.2, 4).targets, noisy_sine<double>(100, 0.2, 4).targets);
  EXPECT_NE(noisy_sine<double>(100, 0.2, 4).targets, noisy_sine<double>(100, 0.2, 5).targets);
  const Dataset<double> clean = noisy_sine<double>(11, 0.0);
  for (Index i = 0; i < 11; ++i) EXPECT_EQ(clean.targets(0, i), std::sin(clean.inputs(0, i)));
  EXPECT_EQ(clean.inputs(0, 5), 0.0);
}

TEST(Synthetic, NoisySineRejectsBadArguments) {
  EXPECT_THROW(noisy_sine<double>(1), ConfigError);
  EXPECT_THROW(noisy_sine<double>(0), ConfigError);
  EXPECT_THROW(noisy_sine<double>(10, -0.1), ConfigError);
  EXPECT_THROW(noisy_sine<double>(10, INFINITY), ConfigError);
  EXPECT_THROW(noisy_sine<double>(10, NAN), ConfigError);
  EXPECT_NO_THROW(noisy_sine<double>(2));
}

TYPED_TEST(Synthetic, SineClassificationFollowsTheSpec) {
  using Scalar = TypeParam;
  const Dataset<Scalar> data = sine_classification<Scalar>();
  EXPECT_EQ(data.name, "sine_classification");
  EXPECT_EQ(data.num_classes, 2);
  ASSERT_EQ(data.inputs.rows(), 2);
  ASSERT_EQ(data.inputs.cols(), 100);
  ASSERT_EQ(data.targets.rows(), 1);
  ASSERT_EQ(data.targets.cols(), 100);
  for (Index j = 0; j < 50; ++j) {
    const double x = static_cast<double>(j) / 50.0;
    // Class 1 (above the curve) first, then class 0, as in the reference data_generation.py.
    EXPECT_EQ(data.inputs(0, j), static_cast<Scalar>(x));
    EXPECT_EQ(data.inputs(1, j), static_cast<Scalar>(std::sin(8 * x) + 0.8));
    EXPECT_EQ(data.targets(0, j), Scalar(1));
    EXPECT_EQ(data.inputs(0, 50 + j), static_cast<Scalar>(x));
    EXPECT_EQ(data.inputs(1, 50 + j), static_cast<Scalar>(std::sin(8 * x) - 0.8));
    EXPECT_EQ(data.targets(0, 50 + j), Scalar(0));
  }
  EXPECT_EQ(data.inputs(0, 0), Scalar(0));
  EXPECT_EQ(data.inputs(0, 49), static_cast<Scalar>(0.98));
  EXPECT_EQ(sine_classification<Scalar>().inputs, data.inputs);  // deterministic
}

TEST(Synthetic, SineClassificationOtherSizes) {
  const Dataset<double> data = sine_classification<double>(4);
  EXPECT_EQ(data.size(), 8);
  EXPECT_EQ(data.inputs(0, 3), 0.75);
  EXPECT_EQ(data.inputs(0, 7), 0.75);
  EXPECT_THROW(sine_classification<double>(0), ConfigError);
}

}  // namespace
}  // namespace curvopt
