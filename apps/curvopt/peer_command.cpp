// Peer runs for `curvopt bench`: a "libtorch:<adam|sgd> key=value ..." method trains the task's
// network in LibTorch from the same initial parameters on the same batches, and writes a run
// directory shaped like curvopt's (config.json, epochs.csv, summary.json).

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <span>

#include "commands.h"
#include "curvopt/core/errors.h"
#include "curvopt/core/threads.h"
#include "curvopt/data/batch_sampler.h"
#include "curvopt/optim/registry.h"
#include "curvopt/problem/objective.h"
#include "tasks/task.h"
#include "torch_peer.h"

namespace curvopt::cli {

#ifndef CURVOPT_HAVE_TORCH
bool torch_peers_available() { return false; }
std::vector<TorchPeerEpoch> train_torch_peer(const TorchPeerRequest&, double&) {
  throw ConfigError(
      "LibTorch peers are not built in: configure with -DCURVOPT_PEERS=ON (scripts/setup --peers "
      "installs libtorch-dev)");
}
#endif

int run_torch_peer(RunConfig config, const std::string& spec) {
  const auto [name, options] = parse_optimizer_spec(spec);
  if (config.task != "mnist-cnn" && config.task != "mnist-cnn-large")
    throw ConfigError("libtorch peers exist for mnist-cnn and mnist-cnn-large, not " + config.task);
  TorchPeerRequest request;
  request.large = config.task == "mnist-cnn-large";
  request.optimizer = name;
  for (const auto& [key, value] : options) {
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(v))
      throw ConfigError("libtorch:" + name + ": option " + key + " = '" + value +
                        "' is not a finite number");
    if (key == "lr") {
      request.learning_rate = v;
    } else if (key == "momentum") {
      request.momentum = v;
    } else if (key == "wd" || key == "weight_decay") {
      request.weight_decay = v;
    } else {
      throw ConfigError("libtorch:" + name + ": unknown option '" + key +
                        "' (known: lr, momentum, wd)");
    }
  }
  const TaskDescription description = describe_task(config.task);
  if (config.epochs < 0) config.epochs = description.default_epochs;
  if (config.batch_size < 0) config.batch_size = description.default_batch_size;
  if (config.threads > 0) set_num_threads(config.threads);
  request.threads = config.threads;
  Task<float> task = make_task<float>(config.task, config.data_dir, config.seed);
  request.train_images = task.train.inputs.data();
  request.train_labels = task.train.targets.data();
  request.train_count = task.train.size();
  request.test_images = task.test.inputs.data();
  request.test_labels = task.test.targets.data();
  request.test_count = task.test.size();
  const Vector<float> theta = task.model->parameters();
  request.initial_parameters.assign(theta.data(), theta.data() + theta.size());
  // The batches the trainer would use: the same sampler, options and seed.
  BatchSamplerOptions batching;
  batching.batch_size = config.batch_size;
  batching.seed = config.seed;
  BatchSampler sampler(task.train.size(), batching);
  for (std::int64_t epoch = 0; epoch < config.epochs; ++epoch) {
    sampler.start_epoch(epoch);
    auto& epoch_batches = request.batches.emplace_back();
    for (Index b = 0; b < sampler.num_batches(); ++b) {
      const auto indices = sampler.batch(b);
      epoch_batches.emplace_back(indices.begin(), indices.end());
    }
  }
  // curvopt's loss of θ₀ on the first batch, in evaluation mode, to check the mapping.
  Matrix<float> x, y;
  gather_batch(task.train, std::span<const Index>(request.batches.at(0).at(0)), x, y);
  task.model->set_training(false);
  Objective<float> objective(*task.model, *task.loss);
  objective.set_batch(x, y);
  const double ours = objective.value(theta);

  const std::filesystem::path out(config.out_dir);
  std::filesystem::create_directories(out);
  config.optimizer = "libtorch:" + name;
  {
    std::ofstream c(out / "config.json");
    c << to_json(config).dump(2) << '\n';
  }
  std::fprintf(stderr, "curvopt: training %s with LibTorch %s; run dir %s\n", config.task.c_str(),
               name.c_str(), out.string().c_str());
  double theirs = 0;
  const std::vector<TorchPeerEpoch> epochs = train_torch_peer(request, theirs);
  if (!(std::abs(theirs - ours) <= 1e-4 * std::abs(ours)))
    throw Error("libtorch peer: the initial loss differs (LibTorch " + std::to_string(theirs) +
                ", curvopt " + std::to_string(ours) + "): the parameter mapping is wrong");
  std::ofstream csv(out / "epochs.csv");
  csv << "epoch,steps,mean_step_loss,test_loss,test_accuracy,epoch_seconds,elapsed_seconds\n";
  double elapsed = 0;
  std::int64_t steps = 0;
  for (std::size_t e = 0; e < epochs.size(); ++e) {
    elapsed += epochs[e].seconds;
    steps += static_cast<std::int64_t>(request.batches[e].size());
    csv << e + 1 << ',' << steps << ',' << epochs[e].mean_step_loss << ',' << epochs[e].test_loss
        << ',' << epochs[e].test_accuracy << ',' << epochs[e].seconds << ',' << elapsed << '\n';
  }
  nlohmann::json summary = {{"task", config.task},
                            {"optimizer", config.optimizer},
                            {"stop_reason", "completed"},
                            {"epochs", epochs.size()},
                            {"steps", steps},
                            {"seconds", elapsed},
                            {"initial_loss", {{"libtorch", theirs}, {"curvopt", ours}}}};
  std::ofstream(out / "summary.json") << summary.dump(2) << '\n';
  return 0;
}

}  // namespace curvopt::cli
