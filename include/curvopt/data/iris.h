#pragma once
/// Reader for scikit-learn's bundled iris.csv (Fisher's iris data, 150 × 4, 3 classes).

#include <filesystem>

#include "curvopt/data/dataset.h"

namespace curvopt {

/// Reads iris.csv as shipped with scikit-learn (sklearn/datasets/data/iris.csv): a header line
/// `150,4,setosa,versicolor,virginica` (number of samples, number of features, class names), then
/// one line per sample with the features and an integer label 0 … (number of classes − 1). For
/// iris this gives `inputs` 4 × 150, `targets` 1 × 150 holding class indices and `num_classes` 3;
/// `name` is the file's stem. Files with the same layout (sklearn's wine.csv, breast_cancer.csv)
/// read the same way, with their own counts.
///
/// Throws ValueError naming the file and the 1-based line (and column) for: a missing or empty
/// file, a malformed header (fewer than 3 cells, non-positive counts), a line with the wrong
/// number of cells, a non-numeric or non-finite feature, a label that is not an integer in range,
/// and a number of data lines that differs from the header's count.
/// @tparam Scalar float or double
template <class Scalar>
Dataset<Scalar> read_iris(const std::filesystem::path& path);

extern template Dataset<float> read_iris<float>(const std::filesystem::path&);
extern template Dataset<double> read_iris<double>(const std::filesystem::path&);

}  // namespace curvopt
