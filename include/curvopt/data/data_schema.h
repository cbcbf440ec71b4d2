#pragma once
/// What a model trained on a user's own data needs to read more data the same way: the columns,
/// the kind of target and its classes, and the feature standardization fitted on the training
/// set. Stored in the model file's metadata, so a model file alone can evaluate and predict.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "curvopt/core/types.h"

namespace curvopt {

/// What the target of a dataset is, and so which loss and metrics apply.
enum class TargetKind {
  kRegression,  ///< real values, one row per target column: squared error, RMSE
  kClasses,     ///< class indices 0..K-1 (K > 2): softmax cross-entropy, accuracy
  kBinary,      ///< two classes 0/1: sigmoid cross-entropy (one output), accuracy
};
std::string to_string(TargetKind kind);
/// "regression", "classes" or "binary".
std::optional<TargetKind> parse_target_kind(std::string_view name);

/// The per-feature affine map x → (x − mean) / scale, fitted on a training set (scale is the
/// population standard deviation; a constant feature keeps scale 1, so it maps to 0). Computed
/// in double and rounded once to the data's Scalar, so training and prediction see the same bits.
struct FeatureStandardizer {
  std::vector<double> mean;
  std::vector<double> scale;

  bool empty() const { return mean.empty(); }
  /// Fits to `inputs` (features × N, N ≥ 1).
  template <class Scalar>
  static FeatureStandardizer fit(const Matrix<Scalar>& inputs);
  /// Standardizes `inputs` in place; throws ValueError when its row count is not the fitted one.
  template <class Scalar>
  void apply(Matrix<Scalar>& inputs) const;
};

/// How the examples of a user's dataset were read, and how to read more of them.
struct DataSchema {
  std::string format;                        ///< "csv", "npy" or "idx"
  std::vector<std::string> feature_columns;  ///< CSV: the columns, by name or 0-based number
  std::vector<std::string> target_columns;   ///< CSV: the target columns
  bool header = true;                        ///< CSV: whether the first line names the columns
  char delimiter = ',';                      ///< CSV: the cell separator
  TargetKind kind = TargetKind::kRegression;
  /// "numbers" (values read as numbers) or "labels" (a column of class labels: numbers or text).
  std::string target_encoding = "numbers";
  Index num_classes = 0;                 ///< classes and binary: the class count
  std::vector<std::string> class_names;  ///< when the labels were text, in index order
  std::string loss;                      ///< the loss the model was trained with (loss_names())
  FeatureStandardizer standardizer;      ///< empty: the features are used as read

  /// The schema as model-file metadata entries ("data.kind" → "classes", ...).
  std::vector<std::pair<std::string, std::string>> to_metadata() const;
  /// Reads the entries to_metadata() writes; nullopt when there are none (a model of a built-in
  /// task). Throws ValueError "<source>: metadata '<key>': why" for a malformed entry.
  static std::optional<DataSchema> from_metadata(
      const std::vector<std::pair<std::string, std::string>>& metadata, const std::string& source);
};

extern template FeatureStandardizer FeatureStandardizer::fit<float>(const Matrix<float>&);
extern template FeatureStandardizer FeatureStandardizer::fit<double>(const Matrix<double>&);
extern template void FeatureStandardizer::apply<float>(Matrix<float>&) const;
extern template void FeatureStandardizer::apply<double>(Matrix<double>&) const;

}  // namespace curvopt
