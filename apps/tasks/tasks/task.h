#pragma once
/// Named bundles of data, model and loss: the published experiments of Brust (2021), Pooladzandi &
/// Zhou (2022) and Berahas et al. (2022), ready to train.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/data/dataset.h"
#include "curvopt/loss/loss.h"
#include "curvopt/nn/sequential.h"

namespace curvopt {

/// What a task is, without loading it.
struct TaskDescription {
  std::string name;
  std::string summary;
  std::string precision;          ///< "float32" or "float64": the Scalar the task trains in
  std::string dataset;            ///< the data it needs ("mnist", … ; empty for synthetic data)
  std::int64_t default_epochs;    ///< the published setting's epochs
  Index default_batch_size;       ///< the published batch size (the training-set size = full batch)
  std::string default_optimizer;  ///< a registry spec that trains it well
};

/// A loaded task: data, an initialized model and its loss.
template <class Scalar>
struct Task {
  TaskDescription description;
  Dataset<Scalar> train;
  Dataset<Scalar> test;  ///< empty (size 0) when the task has no test set
  std::unique_ptr<Sequential<Scalar>> model;
  std::unique_ptr<Loss<Scalar>> loss;
};

/// Every task, in the order help texts list them.
std::vector<TaskDescription> task_catalog();
/// The description of `name`; throws ConfigError for an unknown name, listing the known ones.
TaskDescription describe_task(std::string_view name);

/// Loads task `name`: reads its dataset from `data_dir` (see scripts/fetch_data for the layout;
/// a missing file throws ValueError naming it and the fetch command), builds the model and
/// initializes it with `seed`. Scalar must match the task's precision (ConfigError otherwise).
template <class Scalar>
Task<Scalar> make_task(std::string_view name, const std::filesystem::path& data_dir,
                       std::uint64_t seed);

extern template Task<float> make_task<float>(std::string_view, const std::filesystem::path&,
                                             std::uint64_t);
extern template Task<double> make_task<double>(std::string_view, const std::filesystem::path&,
                                               std::uint64_t);

}  // namespace curvopt
