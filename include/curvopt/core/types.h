#pragma once
/// Scalar-generic Eigen aliases shared by every part of curvopt.
///
/// Data are column-major with one example per column ("features × batch"), so each example's
/// features are contiguous and a batch is a single GEMM operand.

#include <Eigen/Core>
#include <cstdint>

namespace curvopt {

using Index = Eigen::Index;

template <class Scalar>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
template <class Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
template <class Scalar>
using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

/// Non-owning views accepted by non-template signatures (Eigen's recommendation for
/// functions taking Eigen types: no copies for matrices, maps and contiguous-column blocks).
template <class Scalar>
using MatrixRef = Eigen::Ref<Matrix<Scalar>>;
template <class Scalar>
using ConstMatrixRef = Eigen::Ref<const Matrix<Scalar>>;
template <class Scalar>
using VectorRef = Eigen::Ref<Vector<Scalar>>;
template <class Scalar>
using ConstVectorRef = Eigen::Ref<const Vector<Scalar>>;

template <class Scalar>
using MatrixMap = Eigen::Map<Matrix<Scalar>>;
template <class Scalar>
using ConstMatrixMap = Eigen::Map<const Matrix<Scalar>>;
template <class Scalar>
using VectorMap = Eigen::Map<Vector<Scalar>>;
template <class Scalar>
using ConstVectorMap = Eigen::Map<const Vector<Scalar>>;

}  // namespace curvopt
