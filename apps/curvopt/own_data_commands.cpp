// `curvopt evaluate` and `curvopt predict` for models trained on the user's own data: the model
// file carries the data schema (columns, classes, standardization), so the file alone reads new
// data the way the training data was read.

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "curvopt/core/atomic_file.h"
#include "curvopt/core/errors.h"
#include "curvopt/core/threads.h"
#include "curvopt/data/example_files.h"
#include "curvopt/loss/loss_factory.h"
#include "curvopt/nn/model_file.h"
#include "curvopt/train/metrics.h"

namespace curvopt::cli {
namespace {

DataSchema schema_of(const std::string& model_file, const ModelFileInfo& info) {
  auto schema = DataSchema::from_metadata(info.metadata, model_file);
  if (!schema)
    throw ConfigError(model_file + ": a model of a built-in task, which stores no data schema; " +
                      "use `curvopt predict --task NAME`");
  return *schema;
}

template <class Scalar>
Dataset<Scalar> read_for_model(const ModelDataConfig& c, const DataSchema& schema,
                               const Sequential<Scalar>& model, bool with_targets) {
  ExampleFiles files;
  files.features = c.data;
  files.targets = c.target_file;
  Dataset<Scalar> data = read_examples<Scalar>(files, schema, with_targets);
  const Shape& want = model.input_shape();
  const bool fits = data.example_shape ? *data.example_shape == want ||
                                             (want.is_flat() && data.inputs.rows() == want.size())
                                       : data.inputs.rows() == want.size();
  if (!fits)
    throw ValueError(
        c.data + ": examples of shape " +
        (data.example_shape ? to_string(*data.example_shape) : std::to_string(data.inputs.rows())) +
        "; the model takes " + to_string(want));
  return data;
}

// One line per example: regression outputs under the target's names; for classes the predicted
// class (its name when the labels were text) and each class's probability.
template <class Scalar>
std::string prediction_csv(Sequential<Scalar>& model, const Dataset<Scalar>& data,
                           const DataSchema& schema) {
  std::ostringstream csv;
  csv << std::setprecision(std::numeric_limits<Scalar>::max_digits10);
  const Index outputs = model.output_size();
  const bool classes = schema.kind != TargetKind::kRegression;
  const auto class_name = [&](Index k) {
    return schema.class_names.empty() ? std::to_string(k)
                                      : schema.class_names[static_cast<std::size_t>(k)];
  };
  if (!classes) {
    for (Index k = 0; k < outputs; ++k) {
      const bool named = schema.target_columns.size() == static_cast<std::size_t>(outputs);
      csv << (named ? schema.target_columns[static_cast<std::size_t>(k)]
                    : "output_" + std::to_string(k))
          << (k + 1 < outputs ? "," : "\n");
    }
  } else {
    csv << "class";
    for (Index k = 0; k < schema.num_classes; ++k) csv << ",p_" << class_name(k);
    csv << "\n";
  }
  model.set_training(false);
  constexpr Index kBatch = 1000;
  std::vector<double> p(static_cast<std::size_t>(std::max<Index>(schema.num_classes, 2)));
  for (Index start = 0; start < data.size(); start += kBatch) {
    const Index b = std::min(kBatch, data.size() - start);
    const Matrix<Scalar>& Z = model.forward(data.inputs.middleCols(start, b));
    for (Index s = 0; s < b; ++s) {
      if (!classes) {
        for (Index k = 0; k < outputs; ++k) csv << Z(k, s) << (k + 1 < outputs ? "," : "\n");
        continue;
      }
      if (outputs == 1) {  // sigmoid
        p[1] = 1 / (1 + std::exp(-static_cast<double>(Z(0, s))));
        p[0] = 1 - p[1];
      } else {  // softmax, shifted by the largest logit
        const double top = static_cast<double>(Z.col(s).maxCoeff());
        double sum = 0;
        for (Index k = 0; k < outputs; ++k)
          sum += p[static_cast<std::size_t>(k)] = std::exp(static_cast<double>(Z(k, s)) - top);
        for (Index k = 0; k < outputs; ++k) p[static_cast<std::size_t>(k)] /= sum;
      }
      Index best = 0;
      if (outputs == 1)
        best = Z(0, s) > 0 ? 1 : 0;  // as evaluate() scores it
      else
        Z.col(s).maxCoeff(&best);
      csv << class_name(best);
      for (Index k = 0; k < schema.num_classes; ++k) csv << ',' << p[static_cast<std::size_t>(k)];
      csv << "\n";
    }
  }
  return csv.str();
}

template <class Scalar>
int evaluate_model(const ModelDataConfig& c, const DataSchema& schema) {
  Sequential<Scalar> model = load_model<Scalar>(c.model_file);
  const Dataset<Scalar> data = read_for_model(c, schema, model, true);
  const auto loss = make_loss<Scalar>(schema.loss);
  const Metrics m = evaluate(model, *loss, model.parameters(), data);
  if (c.json) {
    nlohmann::json j = {{"data", c.data}, {"examples", data.size()}, {"loss", m.loss}};
    if (m.accuracy) j["accuracy"] = *m.accuracy;
    if (m.rmse) j["rmse"] = *m.rmse;
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("%s (%lld examples): %s %.6g", c.data.c_str(), static_cast<long long>(data.size()),
              schema.loss.c_str(), m.loss);
  if (m.accuracy) std::printf(", accuracy %.2f %%", 100 * *m.accuracy);
  if (m.rmse) std::printf(", rmse %.6g", *m.rmse);
  std::printf("\n");
  return 0;
}

template <class Scalar>
int predict_model(const ModelDataConfig& c, const DataSchema& schema) {
  Sequential<Scalar> model = load_model<Scalar>(c.model_file);
  const Dataset<Scalar> data = read_for_model(c, schema, model, false);
  const std::string csv = prediction_csv(model, data, schema);
  if (c.output.empty() || c.output == "-") {
    std::fwrite(csv.data(), 1, csv.size(), stdout);
  } else {
    write_file_atomically(c.output, csv, "predictions");
    std::fprintf(stderr, "curvopt: wrote %lld predictions to %s\n",
                 static_cast<long long>(data.size()), c.output.c_str());
  }
  return 0;
}

}  // namespace

int run_evaluate(const ModelDataConfig& c) {
  if (c.threads > 0) set_num_threads(c.threads);
  const ModelFileInfo info = read_model_info(c.model_file);
  const DataSchema schema = schema_of(c.model_file, info);
  if (info.precision == "float64") return evaluate_model<double>(c, schema);
  return evaluate_model<float>(c, schema);
}

int run_predict_own(const ModelDataConfig& c) {
  if (c.threads > 0) set_num_threads(c.threads);
  const ModelFileInfo info = read_model_info(c.model_file);
  const DataSchema schema = schema_of(c.model_file, info);
  if (info.precision == "float64") return predict_model<double>(c, schema);
  return predict_model<float>(c, schema);
}

}  // namespace curvopt::cli
