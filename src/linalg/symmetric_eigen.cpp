#include "curvopt/linalg/symmetric_eigen.h"

#include <Eigen/Eigenvalues>

namespace curvopt {

template <class Scalar>
void SymmetricEigen<Scalar>::resize(Index max_size) {
  max_size_ = max_size;
  vectors_.resize(max_size * max_size);
  values_.resize(max_size);
  subdiagonal_.resize(max_size);
  householder_.resize(max_size);
  workspace_.resize(max_size);
  n_ = 0;
}

template <class Scalar>
bool SymmetricEigen<Scalar>::compute(ConstMatrixRef<Scalar> A) {
  const Index n = A.rows();
  if (n > max_size_) resize(n);
  n_ = n;
  if (n == 0) return true;
  MatrixMap<Scalar> q(vectors_.data(), n, n);
  VectorMap<Scalar> diagonal(values_.data(), n);
  if (n == 1) {
    diagonal(0) = A(0, 0);
    q(0, 0) = 1;
    return true;
  }
  // SelfAdjointEigenSolver::compute, step by step: scale into [−1, 1] against over- and
  // underflow, tridiagonalize in place, accumulate Q in place (here with our workspace), then
  // QR-iterate on the tridiagonal matrix, rotating Q along, and sort ascending.
  q = A.template triangularView<Eigen::Lower>();
  Scalar scale = q.cwiseAbs().maxCoeff();
  if (scale == Scalar(0)) scale = Scalar(1);
  q.template triangularView<Eigen::Lower>() /= scale;
  VectorMap<Scalar> subdiagonal(subdiagonal_.data(), n - 1),
      householder(householder_.data(), n - 1), workspace(workspace_.data(), n);
  Eigen::internal::tridiagonalization_inplace(q, householder);
  diagonal = q.diagonal();
  subdiagonal = q.template diagonal<-1>();
  Eigen::HouseholderSequence<MatrixMap<Scalar>, VectorMap<Scalar>>(q, householder)
      .setLength(n - 1)
      .setShift(1)
      .evalTo(q, workspace);
  constexpr Index kMaxIterations = 30;  // per eigenvalue, as SelfAdjointEigenSolver
  const Eigen::ComputationInfo info =
      Eigen::internal::computeFromTridiagonal_impl(diagonal, subdiagonal, kMaxIterations, true, q);
  diagonal *= scale;
  return info == Eigen::Success;
}

template class SymmetricEigen<float>;
template class SymmetricEigen<double>;

}  // namespace curvopt
