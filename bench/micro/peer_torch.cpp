/// LibTorch peers of the curvopt benchmarks (built with CURVOPT_PEERS=ON): the same networks,
/// batches and losses, float32, one thread, in the same executable so that the ratios come from
/// one run. Kept in its own translation unit because the LibTorch headers are slow to compile
/// (and do not mix with Eigen/curvopt includes).

#include <torch/torch.h>

#include "bench_common.h"

namespace curvopt_bench {

void torch_single_thread() {
  torch::set_num_threads(1);
  // Inter-op parallelism can only be set once and before any inter-op work.
  static const bool interop = [] {
    torch::set_num_interop_threads(1);
    return true;
  }();
  (void)interop;
}

namespace {

namespace F = torch::nn::functional;

/// Conv2d(1→32, 5) → ReLU → MaxPool2d(2) → Conv2d(32→64, 5) → ReLU → MaxPool2d(2) → Flatten →
/// Linear(1024→10): the CNN of BM_CnnGradient.
struct TorchCnnImpl : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc{nullptr};

  TorchCnnImpl() {
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 5)));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 5)));
    fc = register_module("fc", torch::nn::Linear(1024, 10));
  }

  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv1->forward(x)), 2);
    x = torch::max_pool2d(torch::relu(conv2->forward(x)), 2);
    return fc->forward(x.flatten(1));
  }
};
TORCH_MODULE(TorchCnn);

/// Linear(1→64) → ELU → Linear(64→64) → ELU → Linear(64→1): the MLP of BM_MlpGradient.
struct TorchMlpImpl : torch::nn::Module {
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};

  TorchMlpImpl() {
    fc1 = register_module("fc1", torch::nn::Linear(1, 64));
    fc2 = register_module("fc2", torch::nn::Linear(64, 64));
    fc3 = register_module("fc3", torch::nn::Linear(64, 1));
  }

  torch::Tensor forward(torch::Tensor x) {
    x = torch::elu(fc1->forward(x));
    x = torch::elu(fc2->forward(x));
    return fc3->forward(x);
  }
};
TORCH_MODULE(TorchMlp);

// Peer of (c): forward + backward (zero_grad, forward, cross_entropy, backward), batch 64.
// Flops as for BM_CnnGradient (cnn::kGradientFlops).
void BM_TorchCnnGradient(benchmark::State& state) {
  torch_single_thread();
  torch::manual_seed(42);
  TorchCnn model;
  const torch::Tensor x = torch::rand({static_cast<std::int64_t>(cnn::kBatch), 1, 28, 28});
  const torch::Tensor y = torch::arange(static_cast<std::int64_t>(cnn::kBatch), torch::kLong) % 10;
  const auto step = [&] {
    model->zero_grad();
    torch::Tensor loss = F::cross_entropy(model->forward(x), y);
    loss.backward();
    return loss.item<float>();
  };
  step();  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(step());
  set_flop_counters(state, cnn::kGradientFlops);
}
BENCHMARK(BM_TorchCnnGradient)->Unit(benchmark::kMillisecond)->UseRealTime();

// Peer of the CNN forward sub-step (no autograd graph). Flops: cnn::kForwardFlops.
void BM_TorchCnnForward(benchmark::State& state) {
  torch_single_thread();
  torch::manual_seed(42);
  TorchCnn model;
  const torch::Tensor x = torch::rand({static_cast<std::int64_t>(cnn::kBatch), 1, 28, 28});
  const torch::Tensor y = torch::arange(static_cast<std::int64_t>(cnn::kBatch), torch::kLong) % 10;
  torch::NoGradGuard no_grad;
  const auto step = [&] { return F::cross_entropy(model->forward(x), y).item<float>(); };
  step();  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(step());
  set_flop_counters(state, cnn::kForwardFlops);
}
BENCHMARK(BM_TorchCnnForward)->Unit(benchmark::kMillisecond)->UseRealTime();

// Peer of (a): forward + backward of the MLP, batch 1000, mean squared error. Flops:
// mlp::kGradientFlops (x does not require grad, so LibTorch skips the first layer's input
// gradient too).
void BM_TorchMlpGradient(benchmark::State& state) {
  torch_single_thread();
  torch::manual_seed(42);
  TorchMlp model;
  const auto b = static_cast<std::int64_t>(mlp::kBatch);
  const torch::Tensor x = torch::linspace(-2.0, 2.0, b).reshape({b, 1});
  const torch::Tensor y = torch::sin(2.0 * x);
  const auto step = [&] {
    model->zero_grad();
    torch::Tensor loss = F::mse_loss(model->forward(x), y);
    loss.backward();
    return loss.item<float>();
  };
  step();  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(step());
  set_flop_counters(state, mlp::kGradientFlops);
}
BENCHMARK(BM_TorchMlpGradient)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace curvopt_bench
