#pragma once
/// In-memory datasets: one example per column, as the models take them.

#include <optional>
#include <string>
#include <vector>

#include "curvopt/core/shape.h"
#include "curvopt/core/types.h"

namespace curvopt {

/// Examples as columns: `inputs` is (input size × N) and `targets` is (target size × N), in the
/// layout the losses expect (class indices as a 1 × N row for SoftmaxCrossEntropy, values for
/// SquaredError). Integer features (embedding indices, class labels) are stored exactly in the
/// scalar type.
/// @tparam Scalar float or double
template <class Scalar>
struct Dataset {
  std::string name;        ///< for messages and logs ("mnist/train")
  Matrix<Scalar> inputs;   ///< input size × N
  Matrix<Scalar> targets;  ///< target size × N
  /// Number of classes when the targets are class indices, else 0.
  Index num_classes = 0;
  /// The classes' names in index order, when the file named them (a CSV column of labels such as
  /// "setosa"); empty when the classes are only numbers.
  std::vector<std::string> class_names;
  /// The shape of one example as the file stored it (1×28×28 for MNIST), when the format says;
  /// a network taking images checks it, not only the pixel count (14×56 is not 28×28).
  std::optional<Shape> example_shape;

  Index size() const { return inputs.cols(); }
  /// The examples at `indices`, in that order.
  Dataset subset(const std::vector<Index>& indices, const std::string& subset_name) const;
};

extern template struct Dataset<float>;
extern template struct Dataset<double>;

}  // namespace curvopt
