#include "own_data_task.h"

#include <algorithm>

#include "curvopt/core/errors.h"
#include "curvopt/data/batch_sampler.h"
#include "curvopt/loss/loss_factory.h"
#include "curvopt/nn/initializer.h"
#include "curvopt/nn/model_spec.h"

namespace curvopt::cli {
namespace {

// Networks up to this many parameters train with Levenberg-Marquardt by default (its step
// solves a system of the parameter count or of the batch's residual count, whichever is
// smaller); larger ones with Adam.
constexpr Index kLmParameterLimit = 5000;
constexpr Index kLmBatch = 1000;
// The held-out fractions are drawn with their own fixed seed, not the run's: runs of several
// seeds (curvopt compare) then differ in initialization and batch order, and are scored on the
// same test and validation examples.
constexpr std::uint64_t kTestSplitSeed = 0x7e57, kValidationSplitSeed = 0x5a11d;

template <class Scalar>
Dataset<Scalar> read_split(const OwnDataConfig& c, const std::string& file,
                           const std::string& targets, const DataSchema& schema) {
  return read_examples<Scalar>(example_files(c, file, targets), schema, true);
}

}  // namespace

Index own_data_batch_size(const TaskDescription& description, const std::string& optimizer,
                          Index examples) {
  static const char* const stochastic[] = {"gd", "sgd", "adagrad", "rmsprop", "adam", "adamw"};
  for (const char* name : stochastic)
    if (optimizer == name) return std::min<Index>(examples, 32);
  return description.default_batch_size;
}

ExampleFiles example_files(const OwnDataConfig& c, const std::string& data,
                           const std::string& target_file) {
  ExampleFiles files;
  files.features = data;
  files.targets = target_file;
  files.header = c.header;
  files.delimiter = c.delimiter.empty() ? ',' : c.delimiter[0];
  files.feature_columns = c.features;
  files.target_columns = c.targets;
  return files;
}

void validate_own_data(const OwnDataConfig& c) {
  if (c.data.empty()) throw ConfigError("--data: name the training data file");
  if (!c.kind.empty() && !parse_target_kind(c.kind))
    throw ConfigError("--kind = " + c.kind + ": must be regression, classes or binary");
  if (!c.loss.empty()) {
    const auto names = loss_names();
    if (std::find(names.begin(), names.end(), c.loss) == names.end()) {
      std::string known;
      for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
      throw ConfigError("--loss = " + c.loss + ": must be one of " + known);
    }
  }
  if (c.standardize != "auto" && c.standardize != "yes" && c.standardize != "no")
    throw ConfigError("--standardize = " + c.standardize + ": must be yes, no or auto");
  if (!parse_initializer(c.init))
    throw ConfigError("--init = " + c.init +
                      ": must be pytorch_default, glorot_uniform, he_normal, he_uniform, "
                      "lecun_normal or lecun_uniform");
  if (c.precision != "float32" && c.precision != "float64")
    throw ConfigError("--precision = " + c.precision + ": must be float32 or float64");
  if (c.delimiter.size() != 1)
    throw ConfigError("--delimiter = '" + c.delimiter + "': must be one character");
  if (!(c.test_fraction >= 0 && c.test_fraction <= 0.9))
    throw ConfigError("--test-fraction = " + std::to_string(c.test_fraction) +
                      ": must be in [0, 0.9]");
  if (!c.test.empty() && c.test_fraction > 0)
    throw ConfigError("--test and --test-fraction: give one of them");
}

std::string choose_loss(const DataSchema& schema, const std::string& requested, Index outputs,
                        Index target_rows) {
  const Index classes = schema.num_classes;
  std::string loss = requested;
  if (loss.empty()) {
    if (schema.kind == TargetKind::kRegression) loss = "squared-error";
    if (schema.kind == TargetKind::kClasses) loss = "softmax-cross-entropy";
    if (schema.kind == TargetKind::kBinary)
      loss = outputs == 2 ? "softmax-cross-entropy" : "sigmoid-cross-entropy";
  }
  const auto need = [&](Index n, const std::string& why) {
    if (outputs != n)
      throw ValueError("the model gives " + std::to_string(outputs) + " output" +
                       (outputs == 1 ? "" : "s") + " but " + why +
                       ": end the description with 'dense " + std::to_string(n) + "'");
  };
  if (loss == "squared-error") {
    if (schema.kind != TargetKind::kRegression)
      throw ConfigError("--loss squared-error fits real targets; these are " +
                        to_string(schema.kind) + " (use softmax-squared-error for the squared-" +
                        "error face of classification, or --kind regression)");
    need(target_rows, "the data has " + std::to_string(target_rows) + " target column" +
                          (target_rows == 1 ? "" : "s"));
  } else if (loss == "softmax-cross-entropy" || loss == "softmax-squared-error") {
    if (schema.kind == TargetKind::kRegression)
      throw ConfigError("--loss " + loss + " needs class targets; these are real values " +
                        "(use --kind classes if they are class indices)");
    need(classes, "the data has " + std::to_string(classes) + " classes");
  } else if (loss == "sigmoid-cross-entropy") {
    if (schema.kind != TargetKind::kBinary)
      throw ConfigError("--loss sigmoid-cross-entropy needs binary targets (0 or 1); these are " +
                        to_string(schema.kind));
    need(1, "sigmoid cross-entropy scores one output per example");
  }
  return loss;
}

template <class Scalar>
OwnDataTask<Scalar> make_own_data_task(const OwnDataConfig& c, double validation_fraction,
                                       std::uint64_t seed) {
  validate_own_data(c);
  OwnDataTask<Scalar> out;
  std::optional<TargetKind> kind;
  if (!c.kind.empty()) kind = parse_target_kind(c.kind);
  Dataset<Scalar> train =
      read_training_examples<Scalar>(example_files(c, c.data, c.target_file), kind, out.schema);
  DataSchema& schema = out.schema;
  Task<Scalar>& task = out.task;
  // The held-out fractions are split from the raw training file before the standardization is
  // fitted, so they do not inform it; files named for validation and test are read afterwards,
  // through the schema, which standardizes them as it reads.
  if (c.test_fraction > 0)
    std::tie(train, task.test) = split_dataset(train, c.test_fraction, kTestSplitSeed);
  if (c.validation.empty() && validation_fraction > 0)
    std::tie(train, out.validation) =
        split_dataset(train, validation_fraction, kValidationSplitSeed);
  if (c.standardize == "yes" || (c.standardize == "auto" && schema.format != "idx")) {
    schema.standardizer = FeatureStandardizer::fit(train.inputs);
    schema.standardizer.apply(train.inputs);
    if (out.validation.size() > 0) schema.standardizer.apply(out.validation.inputs);
    if (task.test.size() > 0) schema.standardizer.apply(task.test.inputs);
  }
  if (!c.validation.empty())
    out.validation = read_split<Scalar>(c, c.validation, c.validation_target_file, schema);
  if (!c.test.empty()) task.test = read_split<Scalar>(c, c.test, c.test_target_file, schema);

  const Shape input = train.example_shape ? *train.example_shape : Shape::flat(train.inputs.rows());
  task.model = std::make_unique<Sequential<Scalar>>(
      build_model<Scalar>(c.model, input, *parse_initializer(c.init), seed));
  schema.loss = choose_loss(schema, c.loss, task.model->output_size(), train.targets.rows());
  task.loss = make_loss<Scalar>(schema.loss);

  TaskDescription& d = task.description;
  d.name = c.data;
  d.summary = "own data " + c.data + ": " + c.model;
  d.precision = c.precision;
  d.dataset = c.data;
  const bool small = task.model->num_parameters() <= kLmParameterLimit;
  d.default_optimizer = small ? "lm" : "adam lr=1e-3";
  d.default_batch_size = small ? std::min<Index>(train.size(), kLmBatch) : 64;
  // Full-batch LM takes one step an epoch and converges in tens to hundreds of steps.
  d.default_epochs = small ? (train.size() <= kLmBatch ? 200 : 20) : 10;
  task.train = std::move(train);
  return out;
}

template OwnDataTask<float> make_own_data_task<float>(const OwnDataConfig&, double, std::uint64_t);
template OwnDataTask<double> make_own_data_task<double>(const OwnDataConfig&, double,
                                                        std::uint64_t);

}  // namespace curvopt::cli
