#include "curvopt/linalg/cholesky.h"

#include <Eigen/Cholesky>
#include <cmath>
#include <limits>
#include <string>

#include "curvopt/core/errors.h"

// LAPACK's Cholesky as OpenBLAS exports it (its own blocked, threaded implementation, not the
// reference one): the library already links libopenblas, so no LAPACKE wrapper is needed.
extern "C" {
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
}

namespace curvopt {
namespace {

int checked_int(Index value) {
  if (value > std::numeric_limits<int>::max())
    throw ShapeError("Cholesky: a " + std::to_string(value) +
                     "-row matrix exceeds LAPACK's 32-bit index");
  return static_cast<int>(value);
}

/// Eigen's LLT in place on the lower triangle (small sizes): false on a non-positive pivot.
template <class Scalar>
bool eigen_cholesky_lower(MatrixRef<Scalar> a) {
  Eigen::LLT<Eigen::Ref<Matrix<Scalar>>> llt(a);
  return llt.info() == Eigen::Success;
}

}  // namespace

int lapack_cholesky_lower(float* a, Index n, Index lda) {
  const int ni = checked_int(n), ldai = checked_int(lda);
  int info = 0;
  spotrf_("L", &ni, a, &ldai, &info);
  return info;
}

int lapack_cholesky_lower(double* a, Index n, Index lda) {
  const int ni = checked_int(n), ldai = checked_int(lda);
  int info = 0;
  dpotrf_("L", &ni, a, &ldai, &info);
  return info;
}

template <class Scalar>
bool Cholesky<Scalar>::factorize(ConstMatrixRef<Scalar> A, double shift) {
  if (A.rows() != A.cols())
    throw ShapeError("Cholesky: the matrix is " + std::to_string(A.rows()) + "x" +
                     std::to_string(A.cols()) + ", expected square");
  factor_.resize(A.rows(), A.cols());
  factor_.template triangularView<Eigen::Lower>() = A;
  return factorize_in_place(shift);
}

template <class Scalar>
bool Cholesky<Scalar>::factorize_in_place(double shift) {
  const Index n = factor_.rows();
  if (shift != 0) factor_.diagonal().array() += static_cast<Scalar>(shift);
  // potrf stops at the first non-positive pivot but passes NaN through; Eigen's LLT likewise
  // compares pivots with zero. The finiteness check of the diagonal after either catches NaN.
  if (n >= kCholeskyLapackMinSize) {
    ok_ = lapack_cholesky_lower(factor_.data(), n, factor_.outerStride()) == 0;
  } else {
    ok_ = eigen_cholesky_lower<Scalar>(factor_);
  }
  ok_ = ok_ && factor_.diagonal().allFinite();
  return ok_;
}

template <class Scalar>
void Cholesky<Scalar>::solve_in_place(VectorRef<Scalar> b) const {
  const auto L = factor_.template triangularView<Eigen::Lower>();
  L.solveInPlace(b);
  L.transpose().solveInPlace(b);
}

template <class Scalar>
void Cholesky<Scalar>::solve_columns_in_place(MatrixRef<Scalar> B) const {
  const auto L = factor_.template triangularView<Eigen::Lower>();
  L.solveInPlace(B);
  L.transpose().solveInPlace(B);
}

template class Cholesky<float>;
template class Cholesky<double>;

}  // namespace curvopt
