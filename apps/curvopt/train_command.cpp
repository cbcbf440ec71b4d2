#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "commands.h"
#include "curvopt/core/atomic_file.h"
#include "curvopt/core/directory_lock.h"
#include "curvopt/core/errors.h"
#include "curvopt/core/threads.h"
#include "curvopt/nn/model_file.h"
#include "curvopt/optim/registry.h"
#include "curvopt/train/budgets.h"
#include "curvopt/train/checkpointer.h"
#include "curvopt/train/early_stopping.h"
#include "curvopt/train/progress_bar.h"
#include "curvopt/train/sharded_training_problem.h"
#include "curvopt/train/trainer.h"
#include "curvopt/train/training_log.h"
#include "interrupt_signals.h"
#include "own_data_task.h"
#include "process_group.h"
#include "tasks/task.h"

namespace curvopt::cli {
namespace {

nlohmann::json metrics_json(const std::optional<Metrics>& m) {
  if (!m) return nullptr;
  nlohmann::json j = {{"loss", m->loss}};
  if (m->accuracy) j["accuracy"] = *m->accuracy;
  if (m->mse) j["mse"] = *m->mse;
  if (m->rmse) j["rmse"] = *m->rmse;
  return j;
}

// Atomically, so that a crash or a concurrent reader never sees half a file.
void write_json(const std::filesystem::path& file, const nlohmann::json& j) {
  write_file_atomically(file, j.dump(2) + '\n', "run file");
}

// One rule for --resume: a run continues with the task and the optimizer its config.json
// records (options, epochs and budgets may change). Another optimizer's state, or the same state
// on another task's data, would be reinterpreted silently or fail deep inside loading.
void check_resumable(const std::filesystem::path& out, const RunConfig& config) {
  const std::filesystem::path recorded_file = out / "config.json";
  if (!std::filesystem::is_regular_file(recorded_file))
    throw ValueError("--resume: " + out.string() +
                     " has no config.json, so it is not a run directory curvopt can resume");
  const RunConfig recorded = read_run_config(recorded_file);
  if (recorded.own.model != config.own.model || recorded.own.data != config.own.data)
    throw ValueError("--resume: " + out.string() + " holds a run of model '" + recorded.own.model +
                     "' on '" + recorded.own.data + "', not of '" + config.own.model + "' on '" +
                     config.own.data + "' (use another --out to start a new run)");
  if (recorded.task != config.task || recorded.optimizer != config.optimizer)
    throw ValueError("--resume: " + out.string() + " holds a run of task '" + recorded.task +
                     "' with optimizer '" + recorded.optimizer + "', not task '" + config.task +
                     "' with '" + config.optimizer +
                     "' (a run resumes with its own task and optimizer; use another --out to "
                     "start a new one)");
}

// The task's defaults for what the command line left open: optimizer (with its default
// options, unless given), output directory.
void apply_task_defaults(RunConfig& config, const TaskDescription& description,
                         const std::string& run_name) {
  if (config.optimizer.empty()) {
    const auto [name, options] = parse_optimizer_spec(description.default_optimizer);
    config.optimizer = name;
    for (const auto& [key, value] : options) {  // the task's defaults, unless given
      bool given = false;
      for (const auto& [k, v] : config.options) given = given || k == key;
      if (!given) config.options.emplace_back(key, value);
    }
  }
  if (config.out_dir.empty()) config.out_dir = "runs/" + run_name + "-" + config.optimizer;
}

// Ranks of this job on this machine (OpenMPI says; else assume all of them).
int ranks_on_this_machine(const Communicator& world) {
  if (const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE")) {
    const int n = std::atoi(local);
    if (n >= 1) return n;
  }
  return world.size();
}

template <class Scalar>
int train(RunConfig config, bool resume) {
  // The data first for own-data runs: their defaults depend on the network's size.
  std::optional<OwnDataTask<Scalar>> own;
  if (config.own.active()) {
    own.emplace(make_own_data_task<Scalar>(config.own, config.validation_fraction, config.seed));
    apply_task_defaults(config, own->task.description,
                        std::filesystem::path(config.own.data).stem().string());
    if (config.batch_size < 0)
      config.batch_size =
          own_data_batch_size(own->task.description, config.optimizer, own->task.train.size());
  }
  const TaskDescription description = own ? own->task.description : describe_task(config.task);
  if (config.epochs < 0) config.epochs = description.default_epochs;
  if (config.batch_size < 0) config.batch_size = description.default_batch_size;
  if (config.batch_size < 1) throw ConfigError("--batch-size must be >= 1");
  // Several ranks on one machine share its cores: by default each takes its part of them.
  Communicator* const world = ProcessGroup::world();
  const bool lead = ProcessGroup::rank() == 0;  // writes the run directory and prints
  if (config.threads > 0) {
    set_num_threads(config.threads);
  } else if (world) {
    set_num_threads(std::max(
        1, static_cast<int>(std::thread::hardware_concurrency()) / ranks_on_this_machine(*world)));
  }
  auto optimizer = make_optimizer<Scalar>(config.optimizer, config.options);
  config.options = optimizer->options();  // record every resolved option
  const std::filesystem::path out(config.out_dir);
  // Nothing is created or written before every check has passed (a failed resume leaves the
  // run directory as it was).
  if (resume && !std::filesystem::is_directory(out))
    throw ValueError("--resume: there is no run directory " + out.string() +
                     " to resume (run without --resume to start one)");
  if (resume) check_resumable(out, config);
  Task<Scalar> task =
      own ? std::move(own->task) : make_task<Scalar>(config.task, config.data_dir, config.seed);

  Dataset<Scalar> train_set = std::move(task.train), validation;
  if (own)
    validation = std::move(own->validation);
  else if (config.validation_fraction > 0)
    std::tie(train_set, validation) =
        split_dataset(train_set, config.validation_fraction, config.seed);
  TrainerOptions options;
  options.epochs = config.epochs;
  options.batching.batch_size = config.batch_size;
  options.curvature_batch = static_cast<Index>(config.curvature_batch);
  options.batching.seed = config.seed;
  // The same batches every epoch for MovieLens, as Brust's (2021) code caches them.
  options.batching.fixed_batches = config.task == "movielens";
  options.evaluate_train = config.evaluate_train;
  options.evaluations_per_epoch = config.evaluations_per_epoch;
  options.seed = config.seed;
  Vector<Scalar> theta = task.model->parameters();
  // Over several ranks each binds its share of every batch to its own network problem and the
  // optimizer sees the reduced one; alone, the trainer's own network problem.
  std::unique_ptr<NetworkProblem<Scalar>> shard;
  std::unique_ptr<ShardedTrainingProblem<Scalar>> sharded;
  std::unique_ptr<Trainer<Scalar>> trainer_holder;
  if (world) {
    shard = std::make_unique<NetworkProblem<Scalar>>(*task.model, *task.loss, train_set,
                                                     options.evaluation_batch_size);
    if (validation.size() > 0) shard->set_validation(&validation);
    if (task.test.size() > 0) shard->set_test(&task.test);
    shard->set_curvature_batch(ShardedTrainingProblem<Scalar>::local_curvature_examples(
        options.curvature_batch, world->rank(), world->size()));
    sharded = std::make_unique<ShardedTrainingProblem<Scalar>>(
        *shard, *world, task.loss->reduction(), options.curvature_batch);
    TrainerOptions per_rank = options;
    per_rank.curvature_batch = 0;  // the shards hold it
    trainer_holder = std::make_unique<Trainer<Scalar>>(*sharded, *optimizer, per_rank);
    trainer_holder->set_communicator(world);
  } else {
    trainer_holder =
        std::make_unique<Trainer<Scalar>>(*task.model, *task.loss, *optimizer, train_set, options);
    if (validation.size() > 0) trainer_holder->set_validation(&validation);
    if (task.test.size() > 0) trainer_holder->set_test(&task.test);
  }
  Trainer<Scalar>& trainer = *trainer_holder;

  // Callbacks that check their settings, built before anything is written.
  auto checkpointer =
      std::make_unique<Checkpointer<Scalar>>(out / "checkpoint.bin", config.checkpoint_every);
  std::vector<std::unique_ptr<Callback<Scalar>>> stops;
  if (config.time_budget_seconds > 0)
    stops.push_back(std::make_unique<TimeBudget<Scalar>>(config.time_budget_seconds));
  if (config.max_steps > 0) stops.push_back(std::make_unique<StepBudget<Scalar>>(config.max_steps));
  if (config.early_stopping_patience > 0) {
    EarlyStoppingOptions early;
    early.dataset = validation.size() > 0 ? "validation" : "test";
    early.patience = config.early_stopping_patience;
    stops.push_back(std::make_unique<EarlyStopping<Scalar>>(early));
  }

  // Rank 0 alone owns the run directory; the other ranks only read the checkpoint they resume
  // from (rank 0 rewrites it only after the first step, which every rank must have reached).
  if (!resume && lead) std::filesystem::create_directories(out);
  // Held until the process ends: a second run on this directory stops here.
  std::optional<DirectoryLock> lock;
  if (lead) lock.emplace(out);
  // Validates the checkpoint against the model, the batches and the optimizer.
  if (resume) trainer.load_checkpoint(out / "checkpoint.bin", theta);
  if (lead) {
    // Left by a process killed while writing one of them; no other writer can be active now.
    remove_stale_temporaries(out, {"checkpoint.bin", "config.json", "summary.json", "model.bin"});
    write_json(out / "config.json", to_json(config));
    if (config.progress) trainer.add_callback(std::make_unique<ProgressBar<Scalar>>());
    // The log before the checkpointer: a checkpoint never covers a step whose row is unwritten.
    trainer.add_callback(std::make_unique<TrainingLog<Scalar>>(out, resume));
    trainer.add_callback(std::move(checkpointer));
    // The stops too: the trainer takes rank 0's decision to every rank.
    for (auto& stop : stops) trainer.add_callback(std::move(stop));
    const std::string processes =
        world ? " on " + std::to_string(world->size()) + " processes" : std::string();
    std::fprintf(stderr,
                 "curvopt: training %s (%lld parameters, %lld examples) with %s%s; run dir %s\n",
                 own ? (config.own.model + " on " + config.own.data).c_str() : config.task.c_str(),
                 static_cast<long long>(theta.size()), static_cast<long long>(train_set.size()),
                 config.optimizer.c_str(), processes.c_str(), out.string().c_str());
  }
  TrainingSummary summary;
  {
    const InterruptSignals signals;
    trainer.set_stop_flag(InterruptSignals::flag());
    summary = trainer.train(theta);
    trainer.set_stop_flag(nullptr);
  }
  const int signal_number = InterruptSignals::received();
  if (summary.reason == StopReason::kInterrupted)
    summary.message = std::string(signal_name(signal_number)) + ": " + summary.message;
  // 128 + the signal, as a shell reports a process ended by it.
  const int status = summary.reason == StopReason::kInterrupted
                         ? 128 + (signal_number > 0 ? signal_number : SIGINT)
                         : (summary.reason == StopReason::kNonFinite ? 1 : 0);
  if (!lead) return status;
  nlohmann::json j = {{"task", config.task},
                      {"optimizer", config.optimizer},
                      {"stop_reason", std::string(to_string(summary.reason))},
                      {"message", summary.message},
                      {"epochs", summary.epochs_completed},
                      {"steps", summary.steps},
                      {"seconds", summary.seconds},
                      {"processes", world ? world->size() : 1},
                      {"num_parameters", theta.size()}};
  if (own) {
    j["model"] = config.own.model;
    j["data"] = config.own.data;
    j["kind"] = to_string(own->schema.kind);
    j["loss"] = own->schema.loss;
  }
  if (summary.last_epoch) {
    j["final"] = {{"mean_step_loss", summary.last_epoch->mean_step_loss},
                  {"train", metrics_json(summary.last_epoch->train)},
                  {"validation", metrics_json(summary.last_epoch->validation)},
                  {"test", metrics_json(summary.last_epoch->test)}};
  }
  // The trainer left the reported parameters (best or averaged iterate, when kept) in the model.
  // An own-data model keeps how its data is read, so evaluate and predict need only the file.
  save_model(out / "model.bin", *task.model, own ? own->schema.to_metadata() : ModelMetadata{});
  // Last: summary.json marks a run as ended (curvopt bench reuses such runs).
  write_json(out / "summary.json", j);
  std::fprintf(stderr,
               "curvopt: wrote %s/{config.json,summary.json,model.bin,steps.csv,epochs.csv,...}\n",
               out.string().c_str());
  if (summary.reason == StopReason::kInterrupted) {
    std::fprintf(stderr, "curvopt: %s; checkpoint written, continue with --resume\n",
                 summary.message.c_str());
  }
  return status;
}

}  // namespace

int run_train(RunConfig config, bool resume) {
  if (config.own.active()) {
    if (!config.task.empty())
      throw ConfigError(
          "--task and --model: train a task's model, or your own with --model "
          "and --data FILE, not both");
    validate_own_data(config.own);
    if (config.own.precision == "float64") return train<double>(config, resume);
    return train<float>(config, resume);
  }
  if (config.task.empty())
    throw ConfigError(
        "--task or --model is required (see `curvopt tasks`, or --model with "
        "--data for your own data)");
  apply_task_defaults(config, describe_task(config.task), config.task);
  config.data_dir = resolve_data_dir(config.data_dir);
  if (describe_task(config.task).precision == "float64") return train<double>(config, resume);
  return train<float>(config, resume);
}

}  // namespace curvopt::cli
