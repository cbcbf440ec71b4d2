#pragma once
// The resolved configuration of a training run: what `curvopt train` writes to config.json and
// reads back with --config, so that a run directory is enough to repeat the run.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace curvopt::cli {

/// A run on the user's own data (`curvopt train --model SPEC --data FILE`): what to read and the
/// network to build. Recorded in config.json as the object "own_data".
struct OwnDataConfig {
  std::string model;                  // model description (curvopt/nn/model_spec.h)
  std::string data;                   // training file: CSV (plain or gzip), .npy or idx
  std::string target_file;            // .npy / idx: the targets of `data`
  std::vector<std::string> targets;   // CSV target columns
  std::vector<std::string> features;  // CSV feature columns (empty: all others)
  std::string validation, validation_target_file;
  std::string test, test_target_file;
  double test_fraction = 0;          // hold out this fraction of `data` as the test set
  std::string kind;                  // regression, classes, binary; empty: from the targets
  std::string loss;                  // empty: the kind's
  std::string standardize = "auto";  // yes, no, auto (yes except for idx images)
  std::string init = "pytorch_default";
  std::string precision = "float32";
  bool header = true;
  std::string delimiter = ",";

  bool active() const { return !model.empty(); }
};

nlohmann::json to_json(const OwnDataConfig& config);
/// Throws ConfigError "<source>: own_data.<key> ..." for a malformed object.
OwnDataConfig own_data_from_json(const nlohmann::json& json, const std::string& source);

struct RunConfig {
  std::string task;
  OwnDataConfig own;      // active(): the run trains on the user's data instead of a task
  std::string optimizer;  // registry name
  std::vector<std::pair<std::string, std::string>> options;  // key=value as given or resolved
  std::int64_t epochs = -1;                                  // -1: the task's default
  std::int64_t batch_size = -1;                              // -1: the task's default
  std::int64_t curvature_batch = 0;  // examples of each batch for curvature; 0: all
  std::uint64_t seed = 1;
  int threads = 0;  // 0: leave as is
  std::string data_dir;
  std::string out_dir;
  double validation_fraction = 0;  // 0: no validation split
  std::int64_t checkpoint_every = 0;
  double time_budget_seconds = 0;
  std::int64_t max_steps = 0;
  int early_stopping_patience = 0;
  bool evaluate_train = false;
  int evaluations_per_epoch = 1;  // evaluation passes per epoch (> 1: also inside it)
  bool progress = true;           // live progress bar on stderr (not recorded in config.json)
};

nlohmann::json to_json(const RunConfig& config);
/// The one range check for a run's settings, whether they came from flags or a config file.
/// `name` says how to name a field in the message (its flag, or the file and key), or nullopt
/// for a field that was not given (left at its "the task's default" value); throws ConfigError
/// "<name> = <value>: must be ...".
void validate_run_config(
    const RunConfig& config,
    const std::function<std::optional<std::string>(const std::string& key)>& name);
/// How a flag names a config key ("batch_size" -> "--batch-size").
std::string flag_for_key(const std::string& key);
/// Throws ConfigError naming the file and the key on a malformed config.
RunConfig run_config_from_json(const nlohmann::json& json, const std::string& source);
RunConfig read_run_config(const std::filesystem::path& file);

}  // namespace curvopt::cli
