#include "curvopt/nn/activation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "curvopt/core/errors.h"
#include "curvopt/nn/flatten.h"
#include "testing/layer_conformance.h"

namespace curvopt {
namespace {

using testing::check_layer_conformance;
using testing::ConformanceOptions;

ConformanceOptions options(std::uint64_t seed) {
  Rng shapes(seed);
  const Index c = 1 + static_cast<Index>(shapes.uniform_int(3));
  const Index hw = 1 + static_cast<Index>(shapes.uniform_int(3));
  return ConformanceOptions{Shape::image(c, hw, hw), 1 + static_cast<Index>(shapes.uniform_int(3)),
                            seed};
}

TEST(Activation, ReluConforms) {
  for (std::uint64_t seed : {1u, 2u, 3u}) check_layer_conformance<Relu>(options(seed));
}
TEST(Activation, LeakyReluConforms) {
  for (std::uint64_t seed : {1u, 2u}) check_layer_conformance<LeakyRelu>(options(seed), 0.1);
}
TEST(Activation, RreluConformsWithFixedSlopes) {
  for (std::uint64_t seed : {1u, 2u}) check_layer_conformance<Rrelu>(options(seed), 0.1, 0.4);
}
TEST(Activation, EluConforms) {
  for (std::uint64_t seed : {1u, 2u, 3u}) check_layer_conformance<Elu>(options(seed), 1.3);
}
TEST(Activation, SigmoidConforms) {
  for (std::uint64_t seed : {1u, 2u}) check_layer_conformance<Sigmoid>(options(seed));
}
TEST(Activation, TanhConforms) {
  for (std::uint64_t seed : {1u, 2u}) check_layer_conformance<Tanh>(options(seed));
}
TEST(Activation, SoftplusConforms) {
  for (std::uint64_t seed : {1u, 2u}) check_layer_conformance<Softplus>(options(seed));
}
TEST(Activation, FlattenConforms) {
  check_layer_conformance<Flatten>(ConformanceOptions{Shape::image(2, 3, 2), 2, 4});
}

TEST(Activation, KnownValues) {
  Matrix<double> X(4, 1);
  X << -2, -0.5, 0.5, 30;
  Matrix<double> Y(4, 1);
  auto run = [&](Layer<double>& layer) {
    layer.configure(Shape::flat(4));
    layer.forward(X, Y);
    return Y;
  };
  Relu<double> relu;
  EXPECT_EQ(run(relu)(0), 0.0);
  EXPECT_EQ(run(relu)(3), 30.0);
  Elu<double> elu;
  EXPECT_DOUBLE_EQ(run(elu)(0), std::exp(-2.0) - 1);
  Sigmoid<double> sigmoid;
  EXPECT_DOUBLE_EQ(run(sigmoid)(1), 1 / (1 + std::exp(0.5)));
  Softplus<double> softplus;
  EXPECT_DOUBLE_EQ(run(softplus)(3), 30 + std::log1p(std::exp(-30.0)));
  EXPECT_DOUBLE_EQ(run(softplus)(0), std::log1p(std::exp(-2.0)));
  Tanh<double> tanh_layer;
  EXPECT_DOUBLE_EQ(run(tanh_layer)(2), std::tanh(0.5));
  LeakyRelu<double> leaky(0.2);
  EXPECT_DOUBLE_EQ(run(leaky)(1), -0.1);
}

TEST(Activation, RreluTrainingDrawsSlopesEvaluationUsesMean) {
  Rrelu<double> layer(0.1, 0.3);
  layer.configure(Shape::flat(1000));
  const Matrix<double> X = -Matrix<double>::Ones(1000, 2);
  Matrix<double> Y(1000, 2);
  Rng rng(1);
  layer.resample_noise(2, rng);
  layer.forward(X, Y);
  EXPECT_LE((-Y).maxCoeff(), 0.3);
  EXPECT_GE((-Y).minCoeff(), 0.1);
  EXPECT_NEAR((-Y).mean(), 0.2, 0.01);
  EXPECT_GT((-Y).maxCoeff() - (-Y).minCoeff(), 0.15);  // really random
  Matrix<double> Y2(1000, 2);
  layer.forward(X, Y2);
  EXPECT_EQ(Y, Y2);  // fixed until the next draw
  layer.set_training(false);
  layer.forward(X, Y);
  EXPECT_TRUE(Y.isApproxToConstant(-0.2));
  layer.set_training(true);
  Matrix<double> X3 = -Matrix<double>::Ones(1000, 3);
  Matrix<double> Y3(1000, 3);
  EXPECT_THROW(layer.forward(X3, Y3), Error);  // slopes drawn for another batch size
}

TEST(Activation, InvalidOptionsNameTheField) {
  EXPECT_THROW(Rrelu<float>(0.5, 0.1), ConfigError);
  EXPECT_THROW(Elu<float>(-1.0), ConfigError);
  try {
    LeakyRelu<float> bad(NAN);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("negative_slope"), std::string::npos);
  }
}

}  // namespace
}  // namespace curvopt
