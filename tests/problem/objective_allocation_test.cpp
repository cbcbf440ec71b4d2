// After the first call at a given batch size, no oracle allocates: optimizers can call them in
// their inner loops (a performance rule of the project).

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/core/threads.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/conv2d.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/embedding.h"
#include "curvopt/nn/flatten.h"
#include "curvopt/nn/max_pool2d.h"
#include "curvopt/problem/objective.h"
#include "testing/allocation_counter.h"
#include "testing/helpers.h"

namespace curvopt {
namespace {

template <class Scalar>
void expect_no_allocation_after_warm_up(Objective<Scalar>& obj, const Vector<Scalar>& theta) {
  const Index n = obj.num_parameters(), m = obj.num_residuals(), b = obj.batch_size();
  Vector<Scalar> g(n), v = Vector<Scalar>::Ones(n), out(n), r(m), u = Vector<Scalar>::Ones(m),
                       jv(m);
  Vector<Scalar> theta2 = theta * Scalar(1.001);
  Matrix<Scalar> J(m, n), G(m, m), P(b, n), V = Matrix<Scalar>::Ones(n, 3), HV(n, 3);
  std::vector<KfacFactors<Scalar>> factors;
  Rng rng(1);
  const std::vector<std::pair<std::string, std::function<void(const Vector<Scalar>&)>>> oracles = {
      {"value", [&](const auto& th) { obj.value(th); }},
      {"gradient", [&](const auto& th) { obj.gradient(th, g); }},
      {"residuals", [&](const auto& th) { obj.residuals(th, r); }},
      {"jacobian", [&](const auto& th) { obj.jacobian(th, J); }},
      {"jvp", [&](const auto& th) { obj.jvp(th, v, jv); }},
      {"vjp", [&](const auto& th) { obj.vjp(th, u, out); }},
      {"gram", [&](const auto& th) { obj.gram(th, G); }},
      {"ggn_vector_product", [&](const auto& th) { obj.ggn_vector_product(th, v, out); }},
      {"hessian_vector_product", [&](const auto& th) { obj.hessian_vector_product(th, v, out); }},
      {"hessian_matrix_product", [&](const auto& th) { obj.hessian_matrix_product(th, V, HV); }},
      {"ggn_matrix_product", [&](const auto& th) { obj.ggn_matrix_product(th, V, HV); }},
      {"per_example_gradients", [&](const auto& th) { obj.per_example_gradients(th, P); }},
      {"kfac_statistics",
       [&](const auto& th) { obj.kfac_statistics(th, KfacTargets::kSampled, rng, factors); }},
  };
  for (const auto& [name, call] : oracles) call(theta);  // warm-up: buffers are sized here
  for (const auto& [name, call] : oracles) {
    // At a new parameter vector (a fresh forward pass) and back at the cached one.
    testing::start_counting_allocations();
    call(theta2);
    call(theta);
    EXPECT_EQ(testing::stop_counting_allocations(), 0u) << name;
  }
}

TEST(ObjectiveAllocations, NoneAfterWarmUpForCnnsAndRecommender) {
  if (!testing::allocation_counting_available()) GTEST_SKIP() << "sanitizer build";
  // OpenBLAS's multi-threaded GEMM allocates inside its own threading layer on large products;
  // curvopt's own code is what this test checks, so it runs single-threaded.
  set_num_threads(1);
  Rng rng(2);
  {
    Sequential<float> model(Shape::image(1, 12, 12));
    model.add<Conv2d>(Index(4), Index(3));
    model.add<Rrelu>();
    model.add<MaxPool2d>(Index(2));
    model.add<Flatten>();
    model.add<Dense>(Index(5));
    model.initialize(Initializer::kPyTorchDefault, 1);
    SoftmaxCrossEntropy<float> loss;
    Objective<float> obj(model, loss);
    const Matrix<float> X = testing::random_matrix(144, 8, rng).cast<float>();
    Matrix<float> Y(1, 8);
    for (Index s = 0; s < 8; ++s) Y(0, s) = static_cast<float>(s % 5);
    obj.set_batch(X, Y);
    expect_no_allocation_after_warm_up(obj, model.parameters());
  }
  {
    // 96·96 positions × 25 patch entries: a batch of 40 is unfolded in two chunks of unequal size.
    Sequential<float> model(Shape::image(1, 100, 100));
    model.add<Conv2d>(Index(2), Index(5));
    model.add<Tanh>();
    model.add<Flatten>();
    model.add<Dense>(Index(2));
    model.initialize(Initializer::kPyTorchDefault, 1);
    SquaredError<float> loss;
    Objective<float> obj(model, loss);
    const Matrix<float> X = testing::random_matrix(10000, 40, rng).cast<float>();
    const Matrix<float> Y = testing::random_matrix(2, 40, rng).cast<float>();
    obj.set_batch(X, Y);
    expect_no_allocation_after_warm_up(obj, model.parameters());
  }
  {
    Sequential<double> model(Shape::flat(2));
    model.add<Embedding>(std::vector<Index>{7, 5}, Index(3));
    model.add<Dense>(Index(8));
    model.add<Elu>();
    model.add<Dense>(Index(1));
    model.initialize(Initializer::kGlorotUniform, 1);
    SquaredError<double> loss;
    Objective<double> obj(model, loss);
    Matrix<double> X(2, 6), Y = testing::random_matrix(1, 6, rng);
    for (Index s = 0; s < 6; ++s) X.col(s) << double(s % 7), double(s % 5);
    obj.set_batch(X, Y);
    expect_no_allocation_after_warm_up(obj, model.parameters());
  }
}

}  // namespace
}  // namespace curvopt
