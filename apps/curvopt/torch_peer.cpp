// LibTorch side of the peer runs (compiled only with CURVOPT_PEERS=ON).

#include "torch_peer.h"

#include <torch/torch.h>

#include <chrono>
#include <stdexcept>

namespace curvopt::cli {
namespace {

namespace F = torch::nn::functional;

// conv → activation → pool, twice, then dense: mnist-cnn (4/8 filters, RReLU) or
// mnist-cnn-large (32/64 filters, ReLU).
struct MnistCnnImpl : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc{nullptr};
  torch::nn::RReLU rrelu{torch::nn::RReLUOptions().lower(1.0 / 8).upper(1.0 / 3)};
  bool large;

  explicit MnistCnnImpl(bool large_model) : large(large_model) {
    const std::int64_t c1 = large ? 32 : 4, c2 = large ? 64 : 8;
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, c1, 5)));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(c1, c2, 5)));
    fc = register_module("fc", torch::nn::Linear(c2 * 16, 10));
    register_module("rrelu", rrelu);
  }

  torch::Tensor activation(const torch::Tensor& x) {
    return large ? torch::relu(x) : rrelu->forward(x);
  }

  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(activation(conv1->forward(x)), 2);
    x = torch::max_pool2d(activation(conv2->forward(x)), 2);
    return fc->forward(x.flatten(1));
  }
};
TORCH_MODULE(MnistCnn);

// curvopt stores W (out × in) column-major, then b: reading the W block as a row-major
// (in × out) matrix and transposing gives LibTorch's row-major (out × in).
std::size_t load_layer(torch::Tensor weight, torch::Tensor bias, const std::vector<float>& theta,
                       std::size_t offset) {
  torch::NoGradGuard no_grad;
  const std::int64_t out = weight.size(0), in = weight.numel() / out;
  const auto w =
      torch::from_blob(const_cast<float*>(theta.data() + offset), {in, out}, torch::kFloat32);
  weight.copy_(w.t().reshape(weight.sizes()));
  offset += static_cast<std::size_t>(in * out);
  bias.copy_(torch::from_blob(const_cast<float*>(theta.data() + offset), {out}, torch::kFloat32));
  return offset + static_cast<std::size_t>(out);
}

}  // namespace

bool torch_peers_available() { return true; }

std::vector<TorchPeerEpoch> train_torch_peer(const TorchPeerRequest& r, double& initial_loss) {
  if (r.threads > 0) torch::set_num_threads(r.threads);
  torch::manual_seed(1);
  MnistCnn model(r.large);
  std::size_t offset = 0;
  offset = load_layer(model->conv1->weight, model->conv1->bias, r.initial_parameters, offset);
  offset = load_layer(model->conv2->weight, model->conv2->bias, r.initial_parameters, offset);
  offset = load_layer(model->fc->weight, model->fc->bias, r.initial_parameters, offset);
  if (offset != r.initial_parameters.size())
    throw std::runtime_error("torch peer: the parameter vector has " +
                             std::to_string(r.initial_parameters.size()) + " entries, the model " +
                             std::to_string(offset));
  const auto images = torch::from_blob(const_cast<float*>(r.train_images),
                                       {r.train_count, 1, 28, 28}, torch::kFloat32);
  const auto labels =
      torch::from_blob(const_cast<float*>(r.train_labels), {r.train_count}, torch::kFloat32)
          .to(torch::kLong);
  const auto test_images = torch::from_blob(const_cast<float*>(r.test_images),
                                            {r.test_count, 1, 28, 28}, torch::kFloat32);
  const auto test_labels =
      torch::from_blob(const_cast<float*>(r.test_labels), {r.test_count}, torch::kFloat32)
          .to(torch::kLong);

  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (r.optimizer == "adam") {
    optimizer = std::make_unique<torch::optim::Adam>(
        model->parameters(),
        torch::optim::AdamOptions(r.learning_rate).weight_decay(r.weight_decay));
  } else if (r.optimizer == "sgd") {
    optimizer = std::make_unique<torch::optim::SGD>(model->parameters(),
                                                    torch::optim::SGDOptions(r.learning_rate)
                                                        .momentum(r.momentum)
                                                        .weight_decay(r.weight_decay));
  } else {
    throw std::runtime_error("torch peer: optimizer must be adam or sgd, got " + r.optimizer);
  }

  {  // the initial loss on the first batch, in evaluation mode (deterministic activations)
    torch::NoGradGuard no_grad;
    model->eval();
    const auto idx = torch::tensor(r.batches.at(0).at(0), torch::kLong);
    initial_loss =
        F::cross_entropy(model->forward(images.index_select(0, idx)), labels.index_select(0, idx))
            .item<double>();
  }
  std::vector<TorchPeerEpoch> epochs;
  for (const auto& epoch_batches : r.batches) {
    model->train();
    TorchPeerEpoch e;
    double loss_sum = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const auto& batch : epoch_batches) {
      const auto idx = torch::tensor(batch, torch::kLong);
      optimizer->zero_grad();
      auto loss = F::cross_entropy(model->forward(images.index_select(0, idx)),
                                   labels.index_select(0, idx));
      loss.backward();
      optimizer->step();
      loss_sum += loss.item<double>();
    }
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    e.mean_step_loss = loss_sum / static_cast<double>(epoch_batches.size());
    torch::NoGradGuard no_grad;
    model->eval();
    double loss_total = 0;
    std::int64_t correct = 0;
    for (std::int64_t s = 0; s < r.test_count; s += 1000) {
      const std::int64_t n = std::min<std::int64_t>(1000, r.test_count - s);
      const auto logits = model->forward(test_images.narrow(0, s, n));
      const auto y = test_labels.narrow(0, s, n);
      loss_total += F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kSum))
                        .item<double>();
      correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
    }
    e.test_loss = loss_total / static_cast<double>(r.test_count);
    e.test_accuracy = static_cast<double>(correct) / static_cast<double>(r.test_count);
    epochs.push_back(e);
  }
  return epochs;
}

}  // namespace curvopt::cli
