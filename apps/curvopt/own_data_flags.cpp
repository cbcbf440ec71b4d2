#include "own_data_flags.h"

#include <fstream>
#include <sstream>

#include "curvopt/core/errors.h"

namespace curvopt::cli {
namespace {

// "a,b , c" → {"a", "b", "c"}: column lists are written comma-separated on the command line.
std::vector<std::string> split_commas(const std::string& flag, const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    const auto first = item.find_first_not_of(' ');
    const auto last = item.find_last_not_of(' ');
    if (first == std::string::npos)
      throw CLI::ValidationError(flag, "an empty column name in '" + text + "'");
    out.push_back(item.substr(first, last - first + 1));
  }
  if (out.empty()) throw CLI::ValidationError(flag, "name at least one column");
  return out;
}

}  // namespace

void add_own_data_flags(CLI::App* t, OwnDataConfig& own) {
  t->add_option("--model", own.model,
                "your own network as a description, e.g. \"dense 64 elu dense 1\" (see `curvopt "
                "model describe`); then --data names your data file");
  t->add_option_function<std::string>(
      "--target", [&own](const std::string& s) { own.targets = split_commas("--target", s); },
      "CSV: the target column(s), by name or 0-based number, comma-separated");
  t->add_option_function<std::string>(
      "--features", [&own](const std::string& s) { own.features = split_commas("--features", s); },
      "CSV: the feature columns (default: every column but the targets)");
  t->add_option("--target-file", own.target_file, ".npy or idx data: the file of targets");
  t->add_option("--validation", own.validation, "a validation file read like --data");
  t->add_option("--validation-target-file", own.validation_target_file,
                "its targets (.npy or idx)");
  t->add_option("--test", own.test, "a test file read like --data");
  t->add_option("--test-target-file", own.test_target_file, "its targets (.npy or idx)");
  t->add_option("--test-fraction", own.test_fraction,
                "hold out this fraction of --data as the test set");
  t->add_option("--kind", own.kind,
                "regression, classes or binary (default: from the targets: text labels, integer "
                ".npy or idx labels are classes; 0/1 is binary; other numbers regression)");
  t->add_option("--loss", own.loss,
                "squared-error, softmax-cross-entropy, softmax-squared-error or "
                "sigmoid-cross-entropy (default: the kind's)");
  t->add_option("--standardize", own.standardize,
                "yes, no or auto: standardize the features with the training set's mean and "
                "deviation, stored in model.bin (auto: yes except for idx images)");
  t->add_option("--init", own.init, "weight initialization (default pytorch_default)");
  t->add_option("--precision", own.precision, "float32 (default) or float64");
  t->add_flag("--no-header{false}", own.header, "CSV: the first line is data, columns are numbers");
  t->add_option("--delimiter", own.delimiter, "CSV: the cell separator (default ',')");
}

std::string model_description_text(const std::string& value) {
  if (value.empty() || value[0] != '@') return value;
  std::ifstream in(value.substr(1));
  if (!in) throw ConfigError("--model " + value + ": cannot read the file " + value.substr(1));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string own_data_flags_text(const OwnDataConfig& c) {
  const OwnDataConfig d;
  std::string out;
  const auto flag = [&](const char* name, const std::string& value, const std::string& fallback) {
    if (value == fallback) return;
    const bool plain = !value.empty() && value.find_first_of(" \t\"'\n;$*?") == std::string::npos;
    std::string quoted = value;
    if (!plain) {  // the model description's line breaks become spaces
      for (char& ch : quoted)
        if (ch == '\n' || ch == '"') ch = ' ';
      quoted = '"' + quoted + '"';
    }
    out += std::string(" ") + name + " " + quoted;
  };
  const auto join = [](const std::vector<std::string>& items) {
    std::string text;
    for (const std::string& item : items) text += (text.empty() ? "" : ",") + item;
    return text;
  };
  const auto number = [](double x) {
    std::ostringstream s;
    s << x;
    return s.str();
  };
  flag("--model", c.model, "");
  flag("--data", c.data, "");
  flag("--target", join(c.targets), "");
  flag("--features", join(c.features), "");
  flag("--target-file", c.target_file, "");
  flag("--validation", c.validation, "");
  flag("--validation-target-file", c.validation_target_file, "");
  flag("--test", c.test, "");
  flag("--test-target-file", c.test_target_file, "");
  flag("--test-fraction", number(c.test_fraction), number(d.test_fraction));
  flag("--kind", c.kind, d.kind);
  flag("--loss", c.loss, d.loss);
  flag("--standardize", c.standardize, d.standardize);
  flag("--init", c.init, d.init);
  flag("--precision", c.precision, d.precision);
  if (!c.header) out += " --no-header";
  flag("--delimiter", c.delimiter, d.delimiter);
  return out;
}

void merge_own_data_flags(const CLI::App* t, const OwnDataConfig& g, OwnDataConfig& into) {
  const auto given = [&](const char* flag) { return t->count(flag) > 0; };
  if (given("--model")) into.model = g.model;
  if (given("--target")) into.targets = g.targets;
  if (given("--features")) into.features = g.features;
  if (given("--target-file")) into.target_file = g.target_file;
  if (given("--validation")) into.validation = g.validation;
  if (given("--validation-target-file")) into.validation_target_file = g.validation_target_file;
  if (given("--test")) into.test = g.test;
  if (given("--test-target-file")) into.test_target_file = g.test_target_file;
  if (given("--test-fraction")) into.test_fraction = g.test_fraction;
  if (given("--kind")) into.kind = g.kind;
  if (given("--loss")) into.loss = g.loss;
  if (given("--standardize")) into.standardize = g.standardize;
  if (given("--init")) into.init = g.init;
  if (given("--precision")) into.precision = g.precision;
  if (given("--no-header")) into.header = g.header;
  if (given("--delimiter")) into.delimiter = g.delimiter;
}

}  // namespace curvopt::cli
