#pragma once
/// Dense Cholesky factorization K = L Lᵀ of a symmetric positive definite matrix, by LAPACK's
/// potrf from the OpenBLAS the library links (a blocked, multithreaded factorization) when the
/// matrix is large enough for that to beat Eigen's LLT, and by Eigen's LLT below that size.

#include "curvopt/core/types.h"

namespace curvopt {

/// Sizes from which potrf is used; below them Eigen's LLT. Measured on a Zen 3 (AVX2) with
/// OpenBLAS 0.3.21's Haswell kernels, one thread (`curvopt_micro_bench
/// --benchmark_filter=Cholesky`): potrf is 1.1x Eigen's speed at n = 8, 1.3x at 16, 1.5x at 64,
/// 1.6x at 256 and 512, 1.3x at 1000 (4.2 ms, 79 GFLOP/s, 0.84 of the sgemm peak). At 8 the two
/// tie within noise, so the tiniest factors (K-FAC's bias-only blocks) skip the LAPACK call.
inline constexpr Index kCholeskyLapackMinSize = 16;

/// Holds the factor of K = A + shift·I for a symmetric A of which only the lower triangle is
/// read. Storage is the factor itself (n²); allocation-free after the first factorization at a
/// size. Deterministic for a fixed thread count (OpenBLAS partitions the blocks by thread count).
/// @tparam Scalar float or double
template <class Scalar>
class Cholesky {
 public:
  /// Factors the lower triangle of A + shift·I. False when K is not positive definite in this
  /// precision (a non-positive or non-finite pivot); then ok() is false until the next success.
  bool factorize(ConstMatrixRef<Scalar> A, double shift = 0);
  /// Factors its own storage in place: fill matrix() (lower triangle) first.
  bool factorize_in_place(double shift = 0);
  /// The storage: before factorize_in_place() the matrix to factor, after it L (lower triangle).
  Matrix<Scalar>& matrix() { return factor_; }
  bool ok() const { return ok_; }
  Index size() const { return factor_.rows(); }

  /// b ← K⁻¹ b (after a successful factorization).
  void solve_in_place(VectorRef<Scalar> b) const;
  /// B ← K⁻¹ B, column by column (after a successful factorization).
  void solve_columns_in_place(MatrixRef<Scalar> B) const;
  /// The lower-triangular factor L (its strict upper triangle is not meaningful).
  const Matrix<Scalar>& factor() const { return factor_; }

 private:
  Matrix<Scalar> factor_;
  bool ok_ = false;
};

/// The raw potrf call on the lower triangle of a column-major n × n block with leading dimension
/// lda; returns LAPACK's info (0: success, k > 0: the leading minor of order k is not positive
/// definite). For callers that factor views in place.
int lapack_cholesky_lower(float* a, Index n, Index lda);
int lapack_cholesky_lower(double* a, Index n, Index lda);

extern template class Cholesky<float>;
extern template class Cholesky<double>;

}  // namespace curvopt
