// `curvopt compare`: the user's own problem trained by several optimizers over seeds, as run
// directories with the benchmark suite's report and plots.

#include <cstdio>
#include <sstream>

#include "bench_suites.h"
#include "commands.h"
#include "curvopt/core/errors.h"
#include "curvopt/optim/registry.h"
#include "own_data_flags.h"
#include "own_data_task.h"

namespace curvopt::cli {
namespace {

std::vector<std::string> split_optimizers(const std::string& text) {
  std::vector<std::string> specs;
  std::stringstream ss(text);
  for (std::string spec; std::getline(ss, spec, ';');) {
    const auto first = spec.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    spec = spec.substr(first, spec.find_last_not_of(' ') - first + 1);
    parse_optimizer_spec(spec);  // an unknown optimizer or option fails before any run
    specs.push_back(spec);
  }
  if (specs.empty())
    throw ConfigError("--optimizers: name optimizers separated by ';', e.g. \"lm;adam;lbfgs\"");
  return specs;
}

}  // namespace

int run_compare(const CompareConfig& c) {
  if (!c.own.active()) throw ConfigError("compare: --model and --data are required");
  validate_own_data(c.own);
  if (c.seeds < 1) throw ConfigError("--seeds = " + std::to_string(c.seeds) + ": must be >= 1");
  BenchExperiment e;
  e.own = c.own;
  e.id = "compare";
  e.seeds = c.seeds;
  e.epochs = c.epochs;
  e.batch_size = c.batch_size;
  e.time_budget_seconds = c.time_budget_seconds;
  e.validation_fraction = c.validation_fraction;
  for (const std::string& spec : split_optimizers(c.optimizers)) {
    BenchMethod m;
    m.label = spec;
    m.spec = spec;
    e.methods.push_back(m);
  }
  // The data once, to know what to compare on: accuracy for classes, RMSE for regression, on
  // the test set when there is one, else the validation set, else the training set.
  const OwnDataTask<float> task = make_own_data_task<float>(c.own, c.validation_fraction, 1);
  const bool classes = task.schema.kind != TargetKind::kRegression;
  const std::string split = task.task.test.size() > 0    ? "test"
                            : task.validation.size() > 0 ? "validation"
                                                         : "train";
  e.evaluate_train = split == "train";
  e.metric = split + (classes ? "_accuracy" : "_rmse");
  e.metric_label = (split == "train" ? "training" : split) + (classes ? " accuracy" : " RMSE");
  e.higher_is_better = classes;
  if (e.epochs < 0) e.epochs = task.task.description.default_epochs;
  e.title = c.own.model + " on " + c.own.data + " (" + std::to_string(task.task.train.size()) +
            " training examples, " + std::to_string(task.task.model->num_parameters()) +
            " parameters)";
  e.notes =
      "Every optimizer starts from the same initial weights for a seed; the stochastic "
      "first-order methods take batches of 32 examples, the others full batches of up to "
      "1000 (unless --batch-size). Loss: " +
      task.schema.loss + ".";
  std::string command = "curvopt compare" + own_data_flags_text(c.own) + " --optimizers \"" +
                        c.optimizers + "\" --seeds " + std::to_string(c.seeds);
  if (c.epochs > 0) command += " --epochs " + std::to_string(c.epochs);
  if (c.validation_fraction > 0) {
    std::ostringstream f;
    f << c.validation_fraction;
    command += " --validation-fraction " + f.str();
  }
  return run_bench_experiments({e}, c.out.empty() ? "runs/compare" : c.out, "your problem", command,
                               "", c.threads, c.rerun);
}

}  // namespace curvopt::cli
