#include "run_config.h"

#include <fstream>

#include "curvopt/core/errors.h"

namespace curvopt::cli {

nlohmann::json to_json(const RunConfig& c) {
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [k, v] : c.options) options[k] = v;
  return {{"task", c.task},
          {"optimizer", c.optimizer},
          {"optimizer_options", options},
          {"epochs", c.epochs},
          {"batch_size", c.batch_size},
          {"seed", c.seed},
          {"threads", c.threads},
          {"data_dir", c.data_dir},
          {"out_dir", c.out_dir},
          {"validation_fraction", c.validation_fraction},
          {"checkpoint_every", c.checkpoint_every},
          {"time_budget_seconds", c.time_budget_seconds},
          {"max_steps", c.max_steps},
          {"early_stopping_patience", c.early_stopping_patience},
          {"evaluate_train", c.evaluate_train}};
}

RunConfig run_config_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw ConfigError(source + ": a run config must be a JSON object");
  RunConfig c;
  auto get = [&](const char* key, auto& out) {
    if (!j.contains(key)) return;
    try {
      j.at(key).get_to(out);
    } catch (const nlohmann::json::exception&) {
      throw ConfigError(source + ": key '" + key + "' has the wrong type");
    }
  };
  get("task", c.task);
  get("optimizer", c.optimizer);
  get("epochs", c.epochs);
  get("batch_size", c.batch_size);
  get("seed", c.seed);
  get("threads", c.threads);
  get("data_dir", c.data_dir);
  get("out_dir", c.out_dir);
  get("validation_fraction", c.validation_fraction);
  get("checkpoint_every", c.checkpoint_every);
  get("time_budget_seconds", c.time_budget_seconds);
  get("max_steps", c.max_steps);
  get("early_stopping_patience", c.early_stopping_patience);
  get("evaluate_train", c.evaluate_train);
  if (j.contains("optimizer_options")) {
    const auto& o = j.at("optimizer_options");
    if (!o.is_object())
      throw ConfigError(source + ": 'optimizer_options' must be an object of strings");
    for (const auto& [k, v] : o.items()) {
      if (!v.is_string())
        throw ConfigError(source + ": optimizer option '" + k + "' must be a string");
      c.options.emplace_back(k, v.get<std::string>());
    }
  }
  for (const auto& [k, v] : j.items()) {
    static const char* const known[] = {"task",
                                        "optimizer",
                                        "optimizer_options",
                                        "epochs",
                                        "batch_size",
                                        "seed",
                                        "threads",
                                        "data_dir",
                                        "out_dir",
                                        "validation_fraction",
                                        "checkpoint_every",
                                        "time_budget_seconds",
                                        "max_steps",
                                        "early_stopping_patience",
                                        "evaluate_train"};
    bool ok = false;
    for (const char* name : known) ok = ok || k == name;
    if (!ok) throw ConfigError(source + ": unknown key '" + k + "'");
  }
  return c;
}

RunConfig read_run_config(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw ConfigError("cannot read config " + file.string());
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::parse_error& e) {
    throw ConfigError(file.string() + ": not valid JSON (" + e.what() + ")");
  }
  return run_config_from_json(j, file.string());
}

}  // namespace curvopt::cli
