#pragma once
// LibTorch peers of the MNIST CNN tasks for `curvopt bench` (built with CURVOPT_PEERS=ON): the
// same network, initial parameters, batches and epochs, trained by torch::optim, so that the
// report can give seconds-per-epoch ratios from one suite run. Plain types only: the LibTorch
// translation unit includes no Eigen or curvopt headers.

#include <cstdint>
#include <string>
#include <vector>

namespace curvopt::cli {

struct TorchPeerRequest {
  bool large = false;     // mnist-cnn-large (32/64 filters, ReLU) or mnist-cnn (4/8, RReLU)
  std::string optimizer;  // "adam" or "sgd"
  double learning_rate = 1e-3, momentum = 0, weight_decay = 0;
  int threads = 0;  // 0: LibTorch's default
  // Images as curvopt stores them: 784 floats per example, row-major 28 × 28; labels 0..9.
  const float* train_images = nullptr;
  const float* train_labels = nullptr;
  std::int64_t train_count = 0;
  const float* test_images = nullptr;
  const float* test_labels = nullptr;
  std::int64_t test_count = 0;
  // Per epoch, per batch, the example indices curvopt's BatchSampler gives.
  std::vector<std::vector<std::vector<std::int64_t>>> batches;
  // curvopt's θ₀ in its layout (per layer W column-major out × in, then the bias).
  std::vector<float> initial_parameters;
};

struct TorchPeerEpoch {
  double seconds = 0;  // the training steps of the epoch, without the evaluation
  double mean_step_loss = 0, test_loss = 0, test_accuracy = 0;
};

/// True when this build has LibTorch.
bool torch_peers_available();
/// Trains as requested; the loss of the initial parameters on the first batch comes back in
/// `initial_loss` (to check the parameter mapping against curvopt's). Throws curvopt::Error when
/// peers are not built in.
std::vector<TorchPeerEpoch> train_torch_peer(const TorchPeerRequest& request, double& initial_loss);

}  // namespace curvopt::cli
