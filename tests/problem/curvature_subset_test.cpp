#include "curvopt/problem/curvature_subset.h"

#include <gtest/gtest.h>

#include "curvopt/core/random.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "curvopt/optim/registry.h"

namespace curvopt {
namespace {

struct Classifier {
  Classifier() : model(Shape::flat(4)), X(4, 30), Y(1, 30) {
    Rng rng(2);
    for (Index s = 0; s < 30; ++s) {
      Y(0, s) = static_cast<double>(s % 3);
      for (Index f = 0; f < 4; ++f) X(f, s) = rng.normal() + (f == s % 3 ? 1.0 : 0.0);
    }
    model.add<Dense>(Index(5));
    model.add<Tanh>();
    model.add<Dense>(Index(3));
    model.initialize(Initializer::kPyTorchDefault, 3);
  }
  Sequential<double> model;
  SoftmaxCrossEntropy<double> loss;
  Matrix<double> X, Y;
};

TEST(CurvatureSubset, CurvatureFromTheFirstExamplesGradientFromAll) {
  Classifier c;
  Objective<double> full(c.model, c.loss);
  full.set_batch(c.X, c.Y);
  CurvatureSubset<double> problem(full, 10);
  // The reference: an objective bound to exactly the first ten examples.
  Sequential<double> model10 = c.model;
  Objective<double> first10(model10, c.loss);
  const Matrix<double> X10 = c.X.leftCols(10), Y10 = c.Y.leftCols(10);
  first10.set_batch(X10, Y10);

  const Index n = full.num_parameters();
  const Vector<double> theta = c.model.parameters();
  Rng rng(4);
  Vector<double> v(n);
  for (Index i = 0; i < n; ++i) v(i) = rng.normal();
  Vector<double> g(n), g_full(n), Gv(n), Gv10(n), Hv(n), Hv10(n);
  EXPECT_EQ(problem.gradient(theta, g), full.gradient(theta, g_full));
  EXPECT_EQ(g, g_full);
  EXPECT_EQ(problem.data_version(), full.data_version());
  problem.ggn_vector_product(theta, v, Gv);
  first10.ggn_vector_product(theta, v, Gv10);
  EXPECT_EQ(Gv, Gv10);
  problem.hessian_vector_product(theta, v, Hv);
  first10.hessian_vector_product(theta, v, Hv10);
  EXPECT_EQ(Hv, Hv10);
  EXPECT_EQ(problem.num_residuals(), 30);  // 10 examples × 3 outputs
  Matrix<double> J(30, n), J10(30, n);
  problem.jacobian(theta, J);
  first10.jacobian(theta, J10);
  EXPECT_EQ(J, J10);
  // The gradient's forward pass was not disturbed: the full value is unchanged.
  EXPECT_EQ(problem.value(theta), full.value(theta));

  // A new batch: the subset follows it.
  const Matrix<double> X2 = c.X.rightCols(8), Y2 = c.Y.rightCols(8);
  full.set_batch(X2, Y2);
  EXPECT_EQ(problem.num_residuals(), 24);  // fewer than ten examples: all of them
  Vector<double> Gv_new(n), Gv_all(n);
  problem.ggn_vector_product(theta, v, Gv_new);
  full.ggn_vector_product(theta, v, Gv_all);
  EXPECT_EQ(Gv_new, Gv_all);
}

TEST(CurvatureSubset, LevenbergMarquardtStepsOnAGradientBatchWithASmallerCurvatureBatch) {
  Classifier c;
  Objective<double> full(c.model, c.loss);
  full.set_batch(c.X, c.Y);
  CurvatureSubset<double> problem(full, 12);
  auto lm = make_optimizer<double>("lm");
  Vector<double> theta = c.model.parameters();
  const double before = full.value(theta);
  for (int k = 0; k < 20; ++k) lm->step(problem, theta);
  EXPECT_LT(full.value(theta), 0.6 * before);
}

}  // namespace
}  // namespace curvopt
