// `curvopt tasks`, `curvopt optimizers`, `curvopt data` and `curvopt model describe`.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands.h"
#include "curvopt/core/errors.h"
#include "curvopt/data/data_directory.h"
#include "curvopt/nn/model_spec.h"
#include "curvopt/optim/registry.h"
#include "tasks/task.h"

namespace curvopt::cli {

std::string resolve_data_dir(const std::string& flag) { return resolve_data_directory(flag); }

int run_model_describe(const std::string& spec, const std::string& input) {
  const Sequential<float> model = build_model<float>(spec, parse_shape(input));
  std::printf("%s", describe_model(model).c_str());
  return 0;
}

int run_tasks() {
  for (const TaskDescription& t : task_catalog()) {
    std::printf("%-18s %s\n", t.name.c_str(), t.summary.c_str());
    std::printf("%-18s %s; data: %s; defaults: %lld epochs, batch %lld, optimizer \"%s\"\n", "",
                t.precision.c_str(), t.dataset.empty() ? "synthetic" : t.dataset.c_str(),
                static_cast<long long>(t.default_epochs),
                static_cast<long long>(t.default_batch_size), t.default_optimizer.c_str());
  }
  return 0;
}

int run_optimizers(const std::string& name) {
  const auto print = [](const OptimizerDescription& d) {
    std::printf("%s: %s\n", d.name.c_str(), d.summary.c_str());
    for (const OptionDescription& o : d.options) {
      const std::string key = o.alias.empty() ? o.name : o.name + " (" + o.alias + ")";
      std::printf("  %-28s = %-12s %s\n", key.c_str(), o.default_value.c_str(), o.help.c_str());
    }
  };
  if (!name.empty()) {
    print(describe_optimizer(name));
    return 0;
  }
  for (const OptimizerDescription& d : optimizer_catalog()) print(d);
  return 0;
}

int run_data(const std::string& action, const std::string& data_dir,
             const std::vector<std::string>& datasets) {
  // The set-up script does the downloading (npm pack, apt-get download) and checksums.
  std::string command = std::string("bash '") + CURVOPT_SOURCE_DIR +
                        "/scripts/fetch_data' --data '" + resolve_data_dir(data_dir) + "'";
  if (action == "verify") command += " --verify";
  for (const std::string& d : datasets) command += " '" + d + "'";
  const int status = std::system(command.c_str());
  return status == 0 ? 0 : 1;
}

}  // namespace curvopt::cli
