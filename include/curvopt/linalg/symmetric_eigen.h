#pragma once
/// A symmetric eigendecomposition A = V diag(w) Vᵀ that allocates nothing after resize(), for
/// the solvers that redo one every few iterations (Kronecker factors, compact L-SR1).

#include "curvopt/core/types.h"

namespace curvopt {

/// The algorithm of Eigen's SelfAdjointEigenSolver (Householder tridiagonalization, implicit
/// symmetric QR with Wilkinson shifts; Golub & Van Loan 2013, §8.3), run on storage sized once
/// for the largest n. Eigen's class itself heap-allocates a workspace on every compute() (when it
/// forms Q) and reallocates whenever n changes; this one calls the same internal steps on
/// preallocated buffers, so its results equal SelfAdjointEigenSolver's. It depends on Eigen 3.4
/// internals (tridiagonalization_inplace, computeFromTridiagonal_impl), all in its .cpp file.
/// @tparam Scalar float or double
template <class Scalar>
class SymmetricEigen {
 public:
  /// Storage for matrices up to max_size × max_size.
  void resize(Index max_size);
  Index max_size() const { return max_size_; }

  /// Decomposes the symmetric matrix whose lower triangle is A's (n ≤ max_size; grows the
  /// storage otherwise). Returns false when the QR iteration did not converge.
  bool compute(ConstMatrixRef<Scalar> A);

  Index size() const { return n_; }
  /// Eigenvalues, ascending.
  ConstVectorMap<Scalar> eigenvalues() const { return ConstVectorMap<Scalar>(values_.data(), n_); }
  /// Orthonormal eigenvectors, column j for eigenvalue j.
  ConstMatrixMap<Scalar> eigenvectors() const {
    return ConstMatrixMap<Scalar>(vectors_.data(), n_, n_);
  }

 private:
  Index max_size_ = 0, n_ = 0;
  Vector<Scalar> vectors_;  // n × n, contiguous (the QR sweeps assume leading dimension n)
  Vector<Scalar> values_, subdiagonal_, householder_, workspace_;
};

extern template class SymmetricEigen<float>;
extern template class SymmetricEigen<double>;

}  // namespace curvopt
