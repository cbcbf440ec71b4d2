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
///
/// BM_HessianFreeProduct: what one CG iteration of Hessian-free costs against one gradient on
/// the same batch, float32: mode 0 the loss and gradient at a new θ (forward and backward), 1 one
/// Gauss-Newton product at the cached θ (R-forward, loss curvature, backward), as CG makes them
/// after the step's gradient. Networks: 0 the MNIST CNN, batch 256; 1 the deep MNIST autoencoder
/// 784-1000-500-250-30-250-500-1000-784 (2.8 M parameters), batch 100.

#include <memory>
#include <type_traits>

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

std::unique_ptr<CurvatureNet<float>> deep_autoencoder() {
  auto net = std::make_unique<CurvatureNet<float>>(Shape::flat(784));
  for (Index width : {1000, 500, 250}) {
    net->model.add<Dense>(width);
    net->model.add<Sigmoid>();
  }
  net->model.add<Dense>(30);
  for (Index width : {250, 500, 1000}) {
    net->model.add<Dense>(width);
    net->model.add<Sigmoid>();
  }
  net->model.add<Dense>(784);
  net->finish(100, 2);
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

template <class Net, class LossType>
void time_hessian_free(benchmark::State& state, Net& net, LossType& loss) {
  // The network's own loss for the product; the CNN keeps its softmax, the autoencoder takes
  // sigmoid cross-entropy against targets of its own inputs' scale.
  Objective<float> obj(net.model, loss);
  Matrix<float> targets = net.targets;
  if constexpr (std::is_same_v<LossType, SigmoidCrossEntropy<float>>)
    targets = (net.inputs.array() * 0.5f + 0.5f).matrix();
  obj.set_batch(net.inputs, targets);
  const Vector<float> theta = net.model.parameters();
  Vector<float> other = theta, grad(theta.size()), product(theta.size());
  other(0) += 1e-3f;  // alternating θ makes every gradient a fresh forward pass
  const Vector<float> v = net.directions.col(0);
  const bool gradient = state.range(1) == 0;
  obj.gradient(theta, grad);
  obj.ggn_vector_product(theta, v, product);  // warm-up: first-call buffers
  bool flip = false;
  for (auto _ : state) {
    if (gradient) {
      obj.gradient(flip ? other : theta, grad);
      flip = !flip;
    } else {
      obj.ggn_vector_product(theta, v, product);
    }
    benchmark::DoNotOptimize(grad.data());
    benchmark::DoNotOptimize(product.data());
    benchmark::ClobberMemory();
  }
}

void BM_HessianFreeProduct(benchmark::State& state) {
  if (state.range(0) == 0) {
    auto net = mnist_cnn(false);
    net->inputs.conservativeResize(Eigen::NoChange, 256);
    net->targets.conservativeResize(Eigen::NoChange, 256);
    Rng rng(3);
    for (Index s = 64; s < 256; ++s) {
      for (Index i = 0; i < net->inputs.rows(); ++i)
        net->inputs(i, s) = static_cast<float>(rng.uniform() * 2 - 1);
      net->targets(0, s) = static_cast<float>(s % 10);
    }
    SoftmaxCrossEntropy<float> loss;
    time_hessian_free(state, *net, loss);
  } else {
    auto net = deep_autoencoder();
    net->targets.resize(784, 100);
    SigmoidCrossEntropy<float> loss;
    time_hessian_free(state, *net, loss);
  }
}
BENCHMARK(BM_HessianFreeProduct)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->ArgNames({"net", "mode"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace curvopt_bench
