#pragma once
// A run on the user's own data: the files of OwnDataConfig read into datasets, standardized, and
// the described network with the loss its target calls for, as a Task the trainer takes.

#include <cstdint>
#include <string>

#include "curvopt/data/data_schema.h"
#include "curvopt/data/example_files.h"
#include "run_config.h"
#include "tasks/task.h"

namespace curvopt::cli {

template <class Scalar>
struct OwnDataTask {
  Task<Scalar> task;           // train, test (may be empty), model, loss, defaults
  Dataset<Scalar> validation;  // empty when none was asked for
  DataSchema schema;           // how more data is read (stored in model.bin)
};

/// Throws ConfigError naming the flag for an invalid setting (kind, loss, standardize, init,
/// precision, delimiter, test fraction, a missing target).
void validate_own_data(const OwnDataConfig& config);

/// Reads and prepares everything. The validation set is `validation` if given, else
/// `validation_fraction` of the training file; the test set `test`, else `test_fraction` of it
/// (held out first). The fractions are drawn by fixed seeds, the same for every run seed.
/// Standardization is fitted on what remains for training. Throws ValueError naming the file or the
/// word of the model description at fault, and when the network's output does not fit the target
/// (naming both).
template <class Scalar>
OwnDataTask<Scalar> make_own_data_task(const OwnDataConfig& config, double validation_fraction,
                                       std::uint64_t seed);

/// The batch size of an own-data run with `optimizer` when none is given: minibatches of 32 for
/// the stochastic first-order methods (sgd, adam, ...), else the description's (full batches up
/// to 1000 examples for the curvature methods).
Index own_data_batch_size(const TaskDescription& description, const std::string& optimizer,
                          Index examples);

/// The files of one dataset as the config names them.
ExampleFiles example_files(const OwnDataConfig& config, const std::string& data,
                           const std::string& target_file);

/// The loss for `schema` and a network of `outputs` outputs: the config's if given (checked),
/// else squared error (regression), softmax cross-entropy (classes, two-output binary) or
/// sigmoid cross-entropy (one-output binary). Throws ValueError saying which outputs the data
/// needs.
std::string choose_loss(const DataSchema& schema, const std::string& requested, Index outputs,
                        Index target_rows);

extern template OwnDataTask<float> make_own_data_task<float>(const OwnDataConfig&, double,
                                                             std::uint64_t);
extern template OwnDataTask<double> make_own_data_task<double>(const OwnDataConfig&, double,
                                                               std::uint64_t);

}  // namespace curvopt::cli
