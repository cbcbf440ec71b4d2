#pragma once
// The subcommands of the `curvopt` tool.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "run_config.h"

namespace curvopt::cli {

/// Trains as configured; writes the run directory. Returns the process exit status.
int run_train(RunConfig config, bool resume);

/// What `curvopt predict` evaluates.
struct PredictConfig {
  std::string model_file;  ///< a model file (a run directory's model.bin)
  std::string task;        ///< whose data and loss to evaluate on; its architecture must match
  std::string split = "test";
  std::string data_dir;
  std::string output;      ///< CSV of the model's outputs per example, when not empty
  std::uint64_t seed = 1;  ///< the run's seed: synthetic tasks draw their data from it
  int threads = 0;
};
/// Evaluates a saved model on a task's data; prints the loss and accuracy or RMSE.
int run_predict(PredictConfig config);

/// A model trained on the user's own data, and a data file to read the way its schema says.
struct ModelDataConfig {
  std::string model_file;
  std::string data;         ///< CSV, .npy or idx features (CSV with the target columns to evaluate)
  std::string target_file;  ///< .npy / idx: the targets, to evaluate
  std::string output;       ///< predict: CSV of predictions ("" or "-": standard output)
  bool json = false;        ///< evaluate: one JSON object with full-precision numbers
  int threads = 0;
};
/// `curvopt evaluate`: the model's loss and accuracy or RMSE on the file.
int run_evaluate(const ModelDataConfig& config);
/// `curvopt predict --data FILE`: one CSV row per example (outputs, or class and probabilities).
int run_predict_own(const ModelDataConfig& config);
/// `curvopt compare`: the user's problem with several optimizers and seeds.
struct CompareConfig {
  OwnDataConfig own;
  std::string optimizers;  ///< registry specs separated by ';'
  int seeds = 3;
  std::int64_t epochs = -1;      ///< -1: the own-data default
  std::int64_t batch_size = -1;  ///< -1: the own-data default
  double validation_fraction = 0;
  double time_budget_seconds = 0;
  std::string out;
  int threads = 0;
  bool rerun = false;
};
int run_compare(const CompareConfig& config);
/// `curvopt model describe SPEC --input SHAPE`: the layers, shapes and parameter count.
int run_model_describe(const std::string& spec, const std::string& input);
/// Runs benchmark suite `suite` into `out` (one run directory per task × optimizer × seed,
/// existing finished runs reused unless `rerun`), then writes report.md and plots/. Overrides:
/// seeds > 0, epochs > 0; `only` keeps the experiments whose id contains it.
int run_bench(const std::string& suite, const std::filesystem::path& out, int seeds,
              std::int64_t epochs, const std::string& data_dir, int threads, bool rerun,
              const std::string& only);
/// A LibTorch peer run of an MNIST CNN task for `spec` = "adam|sgd key=value..." (lr, momentum,
/// wd) from the task's initial parameters on the trainer's batches; writes a run directory.
/// Throws ConfigError when built without CURVOPT_PEERS.
int run_torch_peer(RunConfig config, const std::string& spec);
/// Plots one or more run directories into `out` (PNG and SVG) with gnuplot.
int run_plot(const std::vector<std::filesystem::path>& runs, const std::filesystem::path& out);
/// Lists tasks / optimizers with their defaults.
int run_tasks();
int run_optimizers(const std::string& name);
/// Fetches or verifies datasets through scripts/fetch_data.
int run_data(const std::string& action, const std::string& data_dir,
             const std::vector<std::string>& datasets);
/// The data directory: `flag`, else $CURVOPT_DATA, else ~/.cache/curvopt/data.
std::string resolve_data_dir(const std::string& flag);

}  // namespace curvopt::cli
