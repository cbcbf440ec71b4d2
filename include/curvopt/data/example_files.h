#pragma once
/// A user's own examples from files: a CSV table (plain or gzipped), NumPy .npy arrays, or idx
/// files (MNIST's format), read into a Dataset with the target's kind decided once, on the
/// training file, and every later file (validation, test, prediction) read the same way.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "curvopt/data/data_schema.h"
#include "curvopt/data/dataset.h"

namespace curvopt {

/// The files of one dataset.
struct ExampleFiles {
  /// A CSV file (gzip-compressed or not), a .npy array (N × features, or N × C × H × W images),
  /// or an idx image file (by its name: "idx" or "ubyte" in it).
  std::filesystem::path features;
  /// The targets of a .npy or idx features file: a .npy array with N rows, or an idx label file.
  /// Empty for CSV files, whose targets are columns.
  std::filesystem::path targets;
  // CSV only:
  bool header = true;
  char delimiter = ',';
  std::vector<std::string> feature_columns;  ///< empty: every column that is not a target
  std::vector<std::string> target_columns;   ///< by name, or 0-based number without a header
};

/// "csv", "npy" or "idx": by the file's first bytes (the .npy and idx magic numbers), and for a
/// gzip file by its name (idx files are named "...-idx3-ubyte.gz"). Throws ValueError naming the
/// file when it cannot be read.
std::string detect_format(const std::filesystem::path& file);

/// Reads a training set and decides, into `schema`, how the data is read: the format, the CSV
/// columns (an empty feature list becomes the explicit list of non-target columns), the target's
/// kind and classes. `kind` forces the kind; otherwise: a CSV column of text labels, integer
/// .npy targets or idx labels are classes; real values are regression, except a single target
/// that is only 0 and 1, which is binary. Classes with two labels are binary. Throws ValueError
/// naming the file (and line or element) for bad data, and for targets that cannot be of `kind`.
/// The standardizer and loss are left for the caller to fill.
template <class Scalar>
Dataset<Scalar> read_training_examples(const ExampleFiles& files, std::optional<TargetKind> kind,
                                       DataSchema& schema);

/// Reads more examples as `schema` says (the same columns, classes and standardization).
/// `with_targets` false reads the features only (targets 0 × N), for prediction: a CSV file then
/// need not have the target columns. A class label the training set did not have, or a file of
/// another shape, throws ValueError naming the file.
template <class Scalar>
Dataset<Scalar> read_examples(const ExampleFiles& files, const DataSchema& schema,
                              bool with_targets);

extern template Dataset<float> read_training_examples<float>(const ExampleFiles&,
                                                             std::optional<TargetKind>,
                                                             DataSchema&);
extern template Dataset<double> read_training_examples<double>(const ExampleFiles&,
                                                               std::optional<TargetKind>,
                                                               DataSchema&);
extern template Dataset<float> read_examples<float>(const ExampleFiles&, const DataSchema&, bool);
extern template Dataset<double> read_examples<double>(const ExampleFiles&, const DataSchema&, bool);

}  // namespace curvopt
