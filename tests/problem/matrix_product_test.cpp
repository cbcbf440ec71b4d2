// The batched curvature products: ∇²f V and JᵀJ V for k columns in one multi-column pass must
// equal the k single products (which objective_test checks against finite differences) for every
// layer type, strided and padded convolutions included, in both precisions, for a V that is a
// block of a wider matrix, and when Conv2d cuts the batch into several chunks.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/conv2d.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/flatten.h"
#include "curvopt/nn/max_pool2d.h"
#include "curvopt/problem/objective.h"
#include "testing/helpers.h"
#include "testing/networks.h"
#include "testing/tolerances.h"

namespace curvopt {
namespace {

constexpr Index kOutputs = testing::kTestOutputs;

// 28 × 28 images, a 5 × 5 kernel with stride 2 and padding 2: 196 positions × 25 patch entries
// per example. The single passes take a batch of 40 in one chunk (and cache its patches); the
// column passes, with 3 tangents sharing the chunk budget, cut it into chunks of 17, 17 and 6.
template <class S>
Sequential<S> mnist_shaped_cnn() {
  Sequential<S> m(Shape::image(1, 28, 28));
  m.template add<Conv2d>(Conv2dOptions{2, 5, 5, 2, 2});
  m.template add<Elu>();
  m.template add<MaxPool2d>(Index(2));
  m.template add<Flatten>();
  m.template add<Dense>(kOutputs);
  return m;
}

template <class S>
Matrix<S> inputs_for(const Sequential<S>& model, Index b, Rng& rng) {
  Matrix<S> X(model.input_shape().size(), b);
  const bool indices = model.layer(0).type() == "Embedding";
  for (Index s = 0; s < b; ++s)
    for (Index i = 0; i < X.rows(); ++i)
      X(i, s) =
          indices ? static_cast<S>(rng.uniform_int(i == 0 ? 5 : 4)) : static_cast<S>(rng.normal());
  return X;
}

template <class S>
void expect_batched_equals_single(Sequential<S> model, const Loss<S>& loss, bool class_targets,
                                  Index b, const std::string& name) {
  SCOPED_TRACE(name);
  Rng rng(7);
  model.initialize(Initializer::kPyTorchDefault, 3);
  model.set_noise_seed(5);
  Objective<S> obj(model, loss);
  const Matrix<S> X = inputs_for(model, b, rng);
  Matrix<S> Y(1, b);
  for (Index s = 0; s < b; ++s) Y(0, s) = static_cast<S>(rng.uniform_int(kOutputs));
  const Matrix<S> targets =
      class_targets ? Y : testing::random_matrix(kOutputs, b, rng).cast<S>().eval();
  obj.set_batch(X, targets);
  const Index n = model.num_parameters();
  const Vector<S> theta = model.parameters();
  // V is three columns in the middle of a wider matrix: its outer stride is not n.
  const Matrix<S> wide = testing::random_matrix(n + 2, 5, rng).cast<S>();
  const auto V = wide.block(1, 1, n, 3);
  // So is the output for the Hessian products.
  Matrix<S> HV_wide(n + 3, 4), GV(n, 3);
  auto HV = HV_wide.block(2, 1, n, 3);
  obj.hessian_matrix_product(theta, V, HV);
  obj.ggn_matrix_product(theta, V, GV);
  // The same sums in another order only (one GEMM over k blocks against k GEMMs).
  const double tolerance = testing::Tolerance<S>::kExact;
  Vector<S> single(n);
  for (Index j = 0; j < 3; ++j) {
    obj.hessian_vector_product(theta, V.col(j), single);
    EXPECT_LT(testing::relative_error(HV.col(j).eval(), single), tolerance) << "Hv, column " << j;
    obj.ggn_vector_product(theta, V.col(j), single);
    EXPECT_LT(testing::relative_error(GV.col(j).eval(), single), tolerance) << "Gv, column " << j;
  }
  // One column and no columns are products too.
  Matrix<S> one(n, 1);
  obj.hessian_matrix_product(theta, V.leftCols(1), one);
  EXPECT_LT(testing::relative_error(one.col(0).eval(), HV.col(0).eval()), tolerance);
  Matrix<S> none(n, 0);
  obj.hessian_matrix_product(theta, V.leftCols(0), none);
}

template <class S>
void check_every_network() {
  SoftmaxCrossEntropy<S> cross_entropy(Reduction::kMean);
  SquaredError<S> squared(Reduction::kMean);
  for (const bool classes : {true, false}) {
    const Loss<S>& loss = classes ? static_cast<const Loss<S>&>(cross_entropy) : squared;
    const std::string suffix = classes ? " / softmax cross-entropy" : " / squared error";
    expect_batched_equals_single(testing::test_mlp<S>(), loss, classes, 6, "mlp" + suffix);
    expect_batched_equals_single(testing::test_cnn<S>(), loss, classes, 4, "cnn" + suffix);
    expect_batched_equals_single(mnist_shaped_cnn<S>(), loss, classes, 40,
                                 "mnist-shaped cnn" + suffix);
    expect_batched_equals_single(testing::test_recommender<S>(), loss, classes, 5,
                                 "recommender" + suffix);
  }
}

TEST(MatrixProducts, BatchedEqualsSingleProductsInDouble) { check_every_network<double>(); }
TEST(MatrixProducts, BatchedEqualsSingleProductsInFloat) { check_every_network<float>(); }

TEST(MatrixProducts, WrongShapesAreRefusedByName) {
  Sequential<double> model = testing::test_mlp<double>();
  model.initialize(Initializer::kPyTorchDefault, 1);
  SoftmaxCrossEntropy<double> loss;
  Objective<double> obj(model, loss);
  Rng rng(1);
  const Matrix<double> X = inputs_for(model, 2, rng);
  Matrix<double> Y = Matrix<double>::Zero(1, 2);
  obj.set_batch(X, Y);
  const Index n = model.num_parameters();
  Matrix<double> V(n, 2), wrong(n, 3), short_v(n - 1, 2), out(n, 2);
  try {
    obj.hessian_matrix_product(model.parameters(), V, wrong);
    ADD_FAILURE() << "no error";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("hessian_matrix_product"), std::string::npos) << e.what();
  }
  EXPECT_THROW(obj.ggn_matrix_product(model.parameters(), short_v, out), ShapeError);
}

}  // namespace
}  // namespace curvopt
