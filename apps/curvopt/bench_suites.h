#pragma once
// The benchmark suites of `curvopt bench`: the published experiments of Brust (2021), Pooladzandi
// & Zhou (2022) and Berahas et al. (2022) as (task × optimizer × seed) runs, with the published
// numbers they are compared against (docs/references.md).

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "run_config.h"

namespace curvopt::cli {

/// One optimizer of an experiment.
struct BenchMethod {
  std::string label;      // as shown in tables and legends; its slug names the run directory
  std::string spec;       // registry spec, "lm damping_matrix=max-diagonal"
  std::string published;  // the published result for this method, "" when none
  std::int64_t curvature_batch = 0;  // examples of each batch for curvature products; 0: all
  std::int64_t batch_size = 0;       // examples per batch; 0: the experiment's
};

/// One experiment: every method on one task, over seeds, compared on one metric.
struct BenchExperiment {
  std::string id;     // file-name safe, "mnist-cnn"
  std::string title;  // "MNIST CNN, 2,202 parameters (Pooladzandi & Zhou 2022)"
  std::string task;
  OwnDataConfig own;               // active(): the user's own data and network instead of a task
  std::int64_t epochs = -1;        // -1: the task's default
  std::int64_t batch_size = -1;    // -1: the task's default
  double time_budget_seconds = 0;  // > 0: equal wall-clock budget per run
  /// > 0: the wall-clock budget is this many loss-and-gradient evaluations of the task at the
  /// experiment's batch size, timed on the running machine before the runs (bench_calibration.h),
  /// so that the verdicts do not depend on the machine's speed. Sets time_budget_seconds.
  double budget_gradients = 0;
  double gradient_seconds = 0;     // the measured unit of budget_gradients
  double validation_fraction = 0;  // > 0: held out of the training set for validation
  int seeds = 1;
  bool evaluate_train = false;
  /// > 1: the runs evaluate this often per epoch and the times to the targets are read from
  /// evaluations.csv, to a fraction of an epoch.
  int evaluations_per_epoch = 1;
  /// The table also gives milliseconds per step (a run's seconds over its steps) and their ratio
  /// to the first row's.
  bool report_step_cost = false;
  /// epochs.csv column compared at the end and plotted, and how to read it.
  std::string metric;
  std::string metric_label;
  bool higher_is_better = false;
  /// Column and thresholds for "epochs and seconds to target" (empty: none).
  std::string target_metric;
  std::vector<double> targets;
  bool target_higher_is_better = false;
  /// The table also gives the oracle calls to each target: f, ∇f and Hessian (or Gauss-Newton)
  /// products, summed over the steps of steps.csv up to the epoch that reached it.
  bool report_evaluations = false;
  /// Epochs at which the table also shows the metric (the published checkpoints).
  std::vector<std::int64_t> report_epochs;
  std::string published_source;  // "Brust (2021), Sec. 5.1"
  std::string notes;             // setting, and what differs from the publication
  std::vector<BenchMethod> methods;
  /// Pairs (curvopt method, peer method) whose seconds per epoch the report compares.
  std::vector<std::pair<int, int>> peer_pairs;
};

/// The experiments of suite `name` ("seeds", "quick" or "hessian-free"). seeds_override > 0
/// replaces every experiment's seed count; epochs_override > 0 every epoch count (budgets stay).
/// With `with_peers`, the seeds suite adds LibTorch runs of the MNIST CNNs. Throws ConfigError for
/// an unknown suite.
std::vector<BenchExperiment> bench_suite(const std::string& name, int seeds_override,
                                         std::int64_t epochs_override, bool with_peers);

/// Runs every (experiment × method × seed) into `out` (finished runs reused unless `rerun`) and
/// writes report.md, headed by `title` and the `command` that repeats it, with plots/.
int run_bench_experiments(const std::vector<BenchExperiment>& experiments,
                          const std::filesystem::path& out, const std::string& title,
                          const std::string& command, const std::string& data_dir, int threads,
                          bool rerun);

/// The names of the suites, for help and error messages.
std::vector<std::string> bench_suite_names();

}  // namespace curvopt::cli
