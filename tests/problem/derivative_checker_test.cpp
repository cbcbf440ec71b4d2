#include "curvopt/problem/derivative_checker.h"

#include <gtest/gtest.h>

#include "curvopt/core/errors.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "testing/helpers.h"

namespace curvopt {
namespace {

/// y = x², with a derivative that is off by a factor of two: the checker must notice.
template <class Scalar>
class WrongSquare final : public Activation<Scalar> {
 public:
  using typename Layer<Scalar>::ConstRef;
  using typename Layer<Scalar>::Ref;
  std::string type() const override { return "WrongSquare"; }
  std::unique_ptr<Layer<Scalar>> clone() const override {
    return std::make_unique<WrongSquare>(*this);
  }

 protected:
  void apply(ConstRef X, Ref Y) const override { Y = X.array().square(); }
  void derivative_product(ConstRef X, ConstRef, ConstRef V, Ref Out) const override {
    Out = X.cwiseProduct(V);  // should be 2x
  }
};

template <class Scalar, template <class> class Act>
Sequential<Scalar> network() {
  Sequential<Scalar> model(Shape::flat(3));
  model.template add<Dense>(Index(5));
  model.template add<Act>();
  model.template add<Dense>(Index(2));
  model.initialize(Initializer::kPyTorchDefault, 1);
  return model;
}

TEST(DerivativeChecker, CorrectModelPassesInDoubleAndFloat) {
  Rng rng(1);
  const Matrix<double> X = testing::random_matrix(3, 6, rng), Y = testing::random_matrix(2, 6, rng);
  Sequential<double> model = network<double, Tanh>();
  SquaredError<double> loss;
  Objective<double> objective(model, loss);
  objective.set_batch(X, Y);
  const auto report = check_derivatives(objective, model.parameters());
  EXPECT_TRUE(report.passed) << report.log;
  EXPECT_LT(report.gradient_error, 1e-7);
  ASSERT_TRUE(report.jacobian_error.has_value());
  EXPECT_LT(*report.jacobian_error, 1e-7);

  Sequential<float> model_f = network<float, Tanh>();
  SoftmaxCrossEntropy<float> ce;
  Objective<float> objective_f(model_f, ce);
  const Matrix<float> Xf = X.cast<float>();
  Matrix<float> labels(1, 6);
  labels << 0, 1, 1, 0, 1, 0;
  objective_f.set_batch(Xf, labels);
  const auto report_f = check_derivatives(objective_f, model_f.parameters());
  EXPECT_TRUE(report_f.passed) << report_f.log;
  EXPECT_FALSE(report_f.jacobian_error.has_value());  // cross-entropy residuals are not exact
}

TEST(DerivativeChecker, WrongDerivativeIsReported) {
  Rng rng(2);
  const Matrix<double> X = testing::random_matrix(3, 6, rng), Y = testing::random_matrix(2, 6, rng);
  Sequential<double> model = network<double, WrongSquare>();
  SquaredError<double> loss;
  Objective<double> objective(model, loss);
  objective.set_batch(X, Y);
  const auto report = check_derivatives(objective, model.parameters());
  EXPECT_FALSE(report.passed);
  EXPECT_GT(report.gradient_error, 1e-2);
  EXPECT_NE(report.log.find("gradient["), std::string::npos) << report.log;
}

TEST(DerivativeChecker, InvalidOptionsNameTheField) {
  DerivativeCheckOptions options;
  options.num_directions = -1;
  ASSERT_TRUE(options.validate().has_value());
  EXPECT_NE(options.validate()->find("num_directions"), std::string::npos);
  Sequential<double> model = network<double, Tanh>();
  SquaredError<double> loss;
  Objective<double> objective(model, loss);
  Rng rng(3);
  const Matrix<double> X = testing::random_matrix(3, 2, rng), Y = testing::random_matrix(2, 2, rng);
  objective.set_batch(X, Y);
  EXPECT_THROW(check_derivatives(objective, model.parameters(), options), ConfigError);
}

}  // namespace
}  // namespace curvopt
