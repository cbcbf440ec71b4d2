#pragma once
// Helpers shared by the softmax losses (private to src/).

#include "curvopt/core/types.h"

namespace curvopt::detail {

/// P(:, s) = softmax(Z(:, s)), stabilized by subtracting each column's maximum.
template <class Scalar>
void softmax_columns(const Eigen::Ref<const Matrix<Scalar>>& Z, Matrix<Scalar>& P) {
  P.resize(Z.rows(), Z.cols());
  for (Index s = 0; s < Z.cols(); ++s) {
    const Scalar top = Z.col(s).maxCoeff();
    P.col(s) = (Z.col(s).array() - top).exp();
    P.col(s) /= P.col(s).sum();
  }
}

/// T = Y when Y already holds one column of `classes` probabilities per example; otherwise Y is
/// a 1 × b row of class indices and T their one-hot columns.
template <class Scalar>
const Matrix<Scalar>& dense_class_targets(const Eigen::Ref<const Matrix<Scalar>>& Y, Index classes,
                                          Matrix<Scalar>& T) {
  T.resize(classes, Y.cols());
  if (Y.rows() == classes && classes != 1) {
    T = Y;
  } else {
    T.setZero();
    for (Index s = 0; s < Y.cols(); ++s) T(static_cast<Index>(Y(0, s)), s) = Scalar(1);
  }
  return T;
}

}  // namespace curvopt::detail
