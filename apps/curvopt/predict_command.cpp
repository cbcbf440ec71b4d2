// `curvopt predict`: evaluates a saved model (a run directory's model.bin) on a task's data and
// optionally writes its outputs, one CSV row per example.

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "commands.h"
#include "curvopt/core/atomic_file.h"
#include "curvopt/core/errors.h"
#include "curvopt/core/threads.h"
#include "curvopt/nn/model_file.h"
#include "curvopt/train/metrics.h"
#include "tasks/task.h"

namespace curvopt::cli {
namespace {

template <class Scalar>
void write_outputs(const std::filesystem::path& file, Sequential<Scalar>& model,
                   const Dataset<Scalar>& data) {
  std::ostringstream csv;
  csv << std::setprecision(9);
  const Index outputs = model.output_size();
  if (data.num_classes > 0) csv << "predicted_class,";
  for (Index k = 0; k < outputs; ++k) csv << "output_" << k << (k + 1 < outputs ? "," : "\n");
  model.set_training(false);
  constexpr Index kBatch = 1000;
  for (Index start = 0; start < data.size(); start += kBatch) {
    const Index b = std::min(kBatch, data.size() - start);
    const Matrix<Scalar>& Z = model.forward(data.inputs.middleCols(start, b));
    for (Index s = 0; s < b; ++s) {
      if (data.num_classes > 0) {
        Index best = 0;
        if (outputs == 1)
          best = Z(0, s) > 0 ? 1 : 0;
        else
          Z.col(s).maxCoeff(&best);
        csv << best << ',';
      }
      for (Index k = 0; k < outputs; ++k) csv << Z(k, s) << (k + 1 < outputs ? "," : "\n");
    }
  }
  write_file_atomically(file, csv.str(), "predictions");
}

template <class Scalar>
int predict(const PredictConfig& config) {
  Task<Scalar> task = make_task<Scalar>(config.task, config.data_dir, config.seed);
  // The task's architecture must be the file's; its freshly initialized weights are replaced.
  load_model_parameters(config.model_file, *task.model);
  const bool on_test = config.split == "test";
  if (on_test && task.test.size() == 0)
    throw ConfigError("task " + config.task + " has no test set; use --split train");
  const Dataset<Scalar>& data = on_test ? task.test : task.train;
  const Metrics m = evaluate(*task.model, *task.loss, task.model->parameters(), data);
  std::printf("%s %s (%lld examples): loss %.6g", config.task.c_str(), config.split.c_str(),
              static_cast<long long>(data.size()), m.loss);
  if (m.accuracy) std::printf(", accuracy %.2f %%", 100 * *m.accuracy);
  if (m.rmse) std::printf(", rmse %.6g", *m.rmse);
  std::printf("\n");
  if (!config.output.empty()) {
    write_outputs(config.output, *task.model, data);
    std::fprintf(stderr, "curvopt: wrote %lld predictions to %s\n",
                 static_cast<long long>(data.size()), config.output.c_str());
  }
  return 0;
}

}  // namespace

int run_predict(PredictConfig config) {
  if (config.task.empty()) throw ConfigError("--task is required (see `curvopt tasks`)");
  if (config.model_file.empty()) throw ConfigError("--model-file is required");
  if (config.threads > 0) set_num_threads(config.threads);
  config.data_dir = resolve_data_dir(config.data_dir);
  const std::string precision = describe_task(config.task).precision;
  if (precision == "float64") return predict<double>(config);
  return predict<float>(config);
}

}  // namespace curvopt::cli
