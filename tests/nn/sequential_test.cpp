#include "curvopt/nn/sequential.h"

#include <gtest/gtest.h>

#include <cmath>

#include "curvopt/core/errors.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/conv2d.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/flatten.h"
#include "curvopt/nn/max_pool2d.h"

namespace curvopt {
namespace {

Sequential<float> small_cnn() {
  Sequential<float> model(Shape::image(1, 8, 8));
  model.add<Conv2d>(Index(2), Index(3));
  model.add<Relu>();
  model.add<MaxPool2d>(Index(2));
  model.add<Flatten>();
  model.add<Dense>(Index(3));
  return model;
}

TEST(Sequential, ParameterLayoutAndShapes) {
  Sequential<float> model = small_cnn();
  EXPECT_EQ(model.num_layers(), 5);
  EXPECT_EQ(model.output_shape(), Shape::flat(3));
  EXPECT_EQ(model.layer(2).output_shape(), Shape::image(2, 3, 3));
  EXPECT_EQ(model.num_parameters(), 2 * 9 + 2 + 3 * 18 + 3);
  EXPECT_EQ(model.parameter_offset(4), 20);
  EXPECT_EQ(model.layer(0).name(), "conv2d_0");
  EXPECT_EQ(model.layer(4).name(), "dense_4");
}

TEST(Sequential, InitializationIsSeeded) {
  Sequential<float> a = small_cnn(), b = small_cnn();
  a.initialize(Initializer::kPyTorchDefault, 7);
  b.initialize(Initializer::kPyTorchDefault, 7);
  EXPECT_EQ(a.parameters(), b.parameters());
  b.initialize(Initializer::kPyTorchDefault, 8);
  EXPECT_NE(a.parameters(), b.parameters());
}

TEST(Sequential, CopiesAreIndependent) {
  Sequential<float> a = small_cnn();
  a.initialize(Initializer::kHeNormal, 1);
  Sequential<float> b = a;
  const Matrix<float> X = Matrix<float>::Random(64, 4);
  const Matrix<float> ya = a.forward(X);
  b.parameters()[0] += 1.0f;
  const Matrix<float> yb = b.forward(X);
  EXPECT_EQ(a.forward(X), ya);
  EXPECT_NE(yb, ya);
}

TEST(Sequential, WrongInputShapeNamesLayerAndSizes) {
  Sequential<float> model = small_cnn();
  const Matrix<float> X = Matrix<float>::Zero(63, 2);
  try {
    model.forward(X);
    FAIL();
  } catch (const ShapeError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Conv2d 'conv2d_0'"), std::string::npos) << what;
    EXPECT_NE(what.find("63"), std::string::npos) << what;
    EXPECT_NE(what.find("expected 64"), std::string::npos) << what;
  }
}

TEST(Sequential, NaNInputNamesLayerAndPosition) {
  Sequential<float> model = small_cnn();
  Matrix<float> X = Matrix<float>::Zero(64, 3);
  X(5, 2) = NAN;
  try {
    model.forward(X);
    FAIL();
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Conv2d 'conv2d_0'"), std::string::npos) << what;
    EXPECT_NE(what.find("feature 5 of example 2"), std::string::npos) << what;
    EXPECT_NE(what.find("nan"), std::string::npos) << what;
    EXPECT_NE(what.find("expected a finite number"), std::string::npos) << what;
  }
}

TEST(Sequential, WrongParameterSizeIsRejected) {
  Sequential<float> model = small_cnn();
  Vector<float> theta(10);
  try {
    model.bind_parameters(theta.data(), theta.size());
    FAIL();
  } catch (const ShapeError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("10 entries"), std::string::npos) << what;
    EXPECT_NE(what.find("expected 77"), std::string::npos) << what;
  }
}

TEST(Sequential, LayerThatDoesNotFitIsRejectedWhenAdded) {
  Sequential<float> model(Shape::image(1, 4, 4));
  model.add<MaxPool2d>(Index(2));
  EXPECT_THROW(model.add<Conv2d>(Index(1), Index(3)), ShapeError);
}

TEST(Sequential, PassesBeforeForwardAreErrors) {
  Sequential<float> model = small_cnn();
  Vector<float> g(model.num_parameters());
  Matrix<float> dz(3, 1);
  EXPECT_THROW(model.backward(dz, g.data()), Error);
}

}  // namespace
}  // namespace curvopt
