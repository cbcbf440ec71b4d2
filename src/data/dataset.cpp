#include "curvopt/data/dataset.h"

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
Dataset<Scalar> Dataset<Scalar>::subset(const std::vector<Index>& indices,
                                        const std::string& subset_name) const {
  Dataset out;
  out.name = subset_name;
  out.num_classes = num_classes;
  out.class_names = class_names;
  out.example_shape = example_shape;
  out.inputs.resize(inputs.rows(), static_cast<Index>(indices.size()));
  out.targets.resize(targets.rows(), static_cast<Index>(indices.size()));
  for (std::size_t j = 0; j < indices.size(); ++j) {
    const Index i = indices[j];
    if (i < 0 || i >= size())
      throw ValueError(name + ": example index " + std::to_string(i) + " out of range [0, " +
                       std::to_string(size()) + ")");
    out.inputs.col(static_cast<Index>(j)) = inputs.col(i);
    out.targets.col(static_cast<Index>(j)) = targets.col(i);
  }
  return out;
}

template struct Dataset<float>;
template struct Dataset<double>;

}  // namespace curvopt
