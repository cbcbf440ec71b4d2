/// Batched curvature products (the sampled quasi-Newton methods' pairs): ∇²f S for m = 10
/// columns in one multi-column pass (Objective::hessian_matrix_product) against one single
/// product (hessian_vector_product) and against ten single products, which is what the default
/// Problem::hessian_matrix_product makes. Products are at a fixed θ whose forward pass is cached,
/// as in the sampler, which draws its pairs right after the gradient at θ. Networks:
///   0  the sine-classification toy's medium net 2-4-8-8-4-2 sigmoid (176 parameters), 100
///      points, float64, softmax cross-entropy (Berahas, Jahani & Takáč);
///   1  the 2,202-parameter MNIST CNN (conv 4@5x5 RReLU pool, conv 8@5x5 RReLU pool, dense 10)
///      on a curvature batch of 64, float32;
///   2  the 62,346-parameter CNN of BM_CnnGradient, batch 64, float32.

#include <memory>

#include "bench_fixtures.h"

namespace curvopt_bench {
namespace {

using namespace curvopt;

constexpr Index kPairs = 10;

template <class Scalar>
struct CurvatureNet {
  Sequential<Scalar> model;
  SoftmaxCrossEntropy<Scalar> loss;
  Matrix<Scalar> inputs, targets;
  std::unique_ptr<Objective<Scalar>> objective;
  Matrix<Scalar> directions, products;

  explicit CurvatureNet(Shape input) : model(input) {}
  void finish(Index batch, Index classes) {
    model.initialize(Initializer::kPyTorchDefault, 42);
    Rng rng(7);
    inputs.resize(model.input_size(), batch);
    for (Index i = 0; i < inputs.size(); ++i)
      inputs.data()[i] = static_cast<Scalar>(rng.uniform() * 2 - 1);
    targets.resize(1, batch);
    for (Index s = 0; s < batch; ++s) targets(0, s) = static_cast<Scalar>(s % classes);
    objective = std::make_unique<Objective<Scalar>>(model, loss);
    objective->set_batch(inputs, targets);
    const Index n = model.num_parameters();
    directions.resize(n, kPairs);
    for (Index i = 0; i < directions.size(); ++i)
      directions.data()[i] = static_cast<Scalar>(rng.normal());
    products.resize(n, kPairs);
  }
};

std::unique_ptr<CurvatureNet<double>> toy_medium() {
  auto net = std::make_unique<CurvatureNet<double>>(Shape::flat(2));
  for (Index width : {4, 8, 8, 4}) {
    net->model.add<Dense>(width);
    net->model.add<Sigmoid>();
  }
  net->model.add<Dense>(2);
  net->finish(100, 2);
  return net;
}

std::unique_ptr<CurvatureNet<float>> mnist_cnn(bool large) {
  auto net = std::make_unique<CurvatureNet<float>>(Shape::image(1, 28, 28));
  for (Index channels : {large ? 32 : 4, large ? 64 : 8}) {
    net->model.add<Conv2d>(channels, 5);
    if (large)
      net->model.add<Relu>();
    else
      net->model.add<Rrelu>();
    net->model.add<MaxPool2d>(2);
  }
  net->model.add<Flatten>();
  net->model.add<Dense>(10);
  net->finish(64, 10);
  return net;
}

/// mode 0: one single product; 1: kPairs single products; 2: one kPairs-column pass.
template <class Net>
void time_products(benchmark::State& state, Net& net) {
  const int mode = static_cast<int>(state.range(1));
  auto& obj = *net.objective;
  const auto theta = net.model.parameters();
  auto run = [&] {
    if (mode == 0) {
      obj.hessian_vector_product(theta, net.directions.col(0), net.products.col(0));
    } else if (mode == 1) {
      for (Index j = 0; j < kPairs; ++j)
        obj.hessian_vector_product(theta, net.directions.col(j), net.products.col(j));
    } else {
      obj.hessian_matrix_product(theta, net.directions, net.products);
    }
  };
  run();  // warm-up: the forward pass and first-call buffers
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(net.products.data());
    benchmark::ClobberMemory();
  }
  state.counters["products"] = mode == 0 ? 1 : static_cast<double>(kPairs);
}

void BM_HessianProducts(benchmark::State& state) {
  switch (state.range(0)) {
    case 0: {
      auto net = toy_medium();
      time_products(state, *net);
      break;
    }
    default: {
      auto net = mnist_cnn(state.range(0) == 2);
      time_products(state, *net);
      break;
    }
  }
}
BENCHMARK(BM_HessianProducts)
    ->ArgsProduct({{0, 1, 2}, {0, 1, 2}})
    ->ArgNames({"net", "mode"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace curvopt_bench
