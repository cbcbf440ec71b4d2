#include "run_config.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

#include "curvopt/core/errors.h"

namespace curvopt::cli {
namespace {

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Reads key into out when present, refusing a value of another JSON type, a fraction where an
// integer is expected, or an integer out of the field's range (nlohmann would wrap or truncate).
class JsonFields {
 public:
  JsonFields(const nlohmann::json& j, const std::string& source) : j_(j), source_(source) {}

  void get(const char* key, std::string& out) const {
    if (const auto* v = find(key)) {
      if (!v->is_string()) wrong(key, "a string");
      out = v->get<std::string>();
    }
  }
  void get(const char* key, bool& out) const {
    if (const auto* v = find(key)) {
      if (!v->is_boolean()) wrong(key, "true or false");
      out = v->get<bool>();
    }
  }
  void get(const char* key, double& out) const {
    if (const auto* v = find(key)) {
      if (!v->is_number()) wrong(key, "a number");
      out = v->get<double>();
    }
  }
  void get(const char* key, std::vector<std::string>& out) const {
    if (const auto* v = find(key)) {
      if (!v->is_array()) wrong(key, "an array of strings");
      out.clear();
      for (const auto& item : *v) {
        if (!item.is_string()) wrong(key, "an array of strings");
        out.push_back(item.get<std::string>());
      }
    }
  }
  template <class Int>
  void get(const char* key, Int& out) const {
    const auto* v = find(key);
    if (!v) return;
    if (!v->is_number_integer()) wrong(key, "an integer");
    using Limits = std::numeric_limits<Int>;
    const bool fits =
        v->is_number_unsigned()
            ? v->get<std::uint64_t>() <= static_cast<std::uint64_t>(Limits::max())
            : v->get<std::int64_t>() >= static_cast<std::int64_t>(Limits::min()) &&
                  (!Limits::is_signed ||
                   v->get<std::int64_t>() <= static_cast<std::int64_t>(Limits::max()));
    if (!fits)
      throw ConfigError(source_ + ": key '" + key + "' = " + v->dump() + ": out of range [" +
                        std::to_string(Limits::min()) + ", " + std::to_string(Limits::max()) + "]");
    out = v->get<Int>();
  }

 private:
  const nlohmann::json* find(const char* key) const {
    const auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  [[noreturn]] void wrong(const char* key, const char* expected) const {
    throw ConfigError(source_ + ": key '" + key + "' = " + j_.at(key).dump() + ": expected " +
                      expected);
  }
  const nlohmann::json& j_;
  const std::string& source_;
};

}  // namespace

std::string flag_for_key(const std::string& key) {
  if (key == "time_budget_seconds") return "--time-budget";
  if (key == "early_stopping_patience") return "--early-stopping";
  std::string flag = "--" + key;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

void validate_run_config(
    const RunConfig& c,
    const std::function<std::optional<std::string>(const std::string& key)>& name) {
  const auto check = [&](const char* key, bool ok, const std::string& value, const char* rule) {
    if (ok) return;
    if (const auto field = name(key))
      throw ConfigError(*field + " = " + value + ": must be " + rule);
  };
  using std::to_string;
  check("epochs", c.epochs >= 0, to_string(c.epochs), ">= 0");
  check("batch_size", c.batch_size >= 1, to_string(c.batch_size), ">= 1");
  check("curvature_batch", c.curvature_batch >= 0, to_string(c.curvature_batch),
        ">= 0 (0: the whole batch)");
  check("threads", c.threads >= 0, to_string(c.threads), ">= 0 (0: leave as is)");
  check("validation_fraction", c.validation_fraction >= 0 && c.validation_fraction <= 0.9,
        number_text(c.validation_fraction), "in [0, 0.9]");
  check("checkpoint_every", c.checkpoint_every >= 0, to_string(c.checkpoint_every),
        ">= 0 (0: only at the end)");
  check("time_budget_seconds", c.time_budget_seconds >= 0 && std::isfinite(c.time_budget_seconds),
        number_text(c.time_budget_seconds), "a finite number of seconds >= 0 (0: no budget)");
  check("max_steps", c.max_steps >= 0, to_string(c.max_steps), ">= 0 (0: no limit)");
  check("evaluations_per_epoch", c.evaluations_per_epoch >= 1, to_string(c.evaluations_per_epoch),
        ">= 1");
  check("early_stopping_patience", c.early_stopping_patience >= 0,
        to_string(c.early_stopping_patience), ">= 0 (0: no early stopping)");
}

nlohmann::json to_json(const RunConfig& c) {
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [k, v] : c.options) options[k] = v;
  return {{"task", c.task},
          {"optimizer", c.optimizer},
          {"optimizer_options", options},
          {"epochs", c.epochs},
          {"batch_size", c.batch_size},
          {"curvature_batch", c.curvature_batch},
          {"seed", c.seed},
          {"threads", c.threads},
          {"data_dir", c.data_dir},
          {"out_dir", c.out_dir},
          {"validation_fraction", c.validation_fraction},
          {"checkpoint_every", c.checkpoint_every},
          {"time_budget_seconds", c.time_budget_seconds},
          {"max_steps", c.max_steps},
          {"early_stopping_patience", c.early_stopping_patience},
          {"evaluate_train", c.evaluate_train},
          {"evaluations_per_epoch", c.evaluations_per_epoch},
          {"own_data", c.own.active() ? to_json(c.own) : nlohmann::json(nullptr)}};
}

nlohmann::json to_json(const OwnDataConfig& c) {
  return {{"model", c.model},
          {"data", c.data},
          {"target_file", c.target_file},
          {"targets", c.targets},
          {"features", c.features},
          {"validation", c.validation},
          {"validation_target_file", c.validation_target_file},
          {"test", c.test},
          {"test_target_file", c.test_target_file},
          {"test_fraction", c.test_fraction},
          {"kind", c.kind},
          {"loss", c.loss},
          {"standardize", c.standardize},
          {"init", c.init},
          {"precision", c.precision},
          {"header", c.header},
          {"delimiter", c.delimiter}};
}

OwnDataConfig own_data_from_json(const nlohmann::json& j, const std::string& source) {
  const std::string where = source + ": own_data";
  if (!j.is_object()) throw ConfigError(where + " must be an object");
  OwnDataConfig c;
  const JsonFields fields(j, where);
  static const char* const keys[] = {"model",
                                     "data",
                                     "target_file",
                                     "targets",
                                     "features",
                                     "validation",
                                     "validation_target_file",
                                     "test",
                                     "test_target_file",
                                     "test_fraction",
                                     "kind",
                                     "loss",
                                     "standardize",
                                     "init",
                                     "precision",
                                     "header",
                                     "delimiter"};
  for (const auto& [k, v] : j.items()) {
    bool ok = false;
    for (const char* name : keys) ok = ok || k == name;
    if (!ok) throw ConfigError(where + ": unknown key '" + k + "'");
  }
  fields.get("model", c.model);
  fields.get("data", c.data);
  fields.get("target_file", c.target_file);
  fields.get("targets", c.targets);
  fields.get("features", c.features);
  fields.get("validation", c.validation);
  fields.get("validation_target_file", c.validation_target_file);
  fields.get("test", c.test);
  fields.get("test_target_file", c.test_target_file);
  fields.get("test_fraction", c.test_fraction);
  fields.get("kind", c.kind);
  fields.get("loss", c.loss);
  fields.get("standardize", c.standardize);
  fields.get("init", c.init);
  fields.get("precision", c.precision);
  fields.get("header", c.header);
  fields.get("delimiter", c.delimiter);
  if (c.model.empty() || c.data.empty())
    throw ConfigError(where + ": 'model' and 'data' must name the model and the data file");
  return c;
}

RunConfig run_config_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw ConfigError(source + ": a run config must be a JSON object");
  RunConfig c;
  const JsonFields fields(j, source);
  const auto get = [&](const char* key, auto& out) { fields.get(key, out); };
  get("task", c.task);
  get("optimizer", c.optimizer);
  get("epochs", c.epochs);
  get("batch_size", c.batch_size);
  get("curvature_batch", c.curvature_batch);
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
  get("evaluations_per_epoch", c.evaluations_per_epoch);
  if (j.contains("own_data") && !j.at("own_data").is_null())
    c.own = own_data_from_json(j.at("own_data"), source);
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
                                        "curvature_batch",
                                        "seed",
                                        "threads",
                                        "data_dir",
                                        "out_dir",
                                        "validation_fraction",
                                        "checkpoint_every",
                                        "time_budget_seconds",
                                        "max_steps",
                                        "early_stopping_patience",
                                        "evaluate_train",
                                        "evaluations_per_epoch",
                                        "own_data"};
    bool ok = false;
    for (const char* name : known) ok = ok || k == name;
    if (!ok) throw ConfigError(source + ": unknown key '" + k + "'");
  }
  validate_run_config(c, [&](const std::string& key) -> std::optional<std::string> {
    if (!j.contains(key)) return std::nullopt;
    return source + ": key '" + key + "'";
  });
  return c;
}

RunConfig read_run_config(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw ConfigError(file.string() + ": is a directory; --config takes a run's config.json");
  std::ifstream in(file);
  if (!in) throw ConfigError("cannot read config " + file.string());
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number no double holds ("2e862"; found by fuzz_config)
    throw ConfigError(file.string() + ": not valid JSON (" + e.what() + ")");
  }
  return run_config_from_json(j, file.string());
}

}  // namespace curvopt::cli
