#pragma once
/// Damped solves with a Kronecker-factored curvature block A ⊗ G, the layer blocks of K-FAC
/// (Martens & Grosse 2015): A (d_in × d_in) the second moment of a layer's inputs (with the
/// homogeneous 1 for the bias), G (d_out × d_out) that of its pre-activation gradients. With
/// column-major vec, (A ⊗ G)⁻¹ vec(V) = vec(G⁻¹ V A⁻¹) for a d_out × d_in weight gradient V.

#include <Eigen/Cholesky>

#include "curvopt/core/types.h"
#include "curvopt/linalg/factor_status.h"
#include "curvopt/linalg/symmetric_eigen.h"

namespace curvopt {

/// π of factored Tikhonov damping (Martens & Grosse 2015), from the undamped factors:
/// π = √((tr A / d_in) / (tr G / d_out)). It splits the damping so that each factor gets the
/// same relative share: A + πγI and G + (γ/π)I. Returns 1 when a trace is not positive.
template <class Scalar>
double kronecker_trace_pi(ConstMatrixRef<Scalar> A, ConstMatrixRef<Scalar> G);

/// Factored Tikhonov damping by Cholesky: U = (G + (γ/π)I)⁻¹ V (A + πγI)⁻¹, i.e. the inverse of
/// (A + πγI) ⊗ (G + (γ/π)I) = A ⊗ G + γ²I + (cross terms πγ I ⊗ G + (γ/π) A ⊗ I), an upper
/// bound of the exact A ⊗ G + γ²I. Martens & Grosse take γ = √(λ + η) for damping λ and ℓ2
/// coefficient η. Only the factors' lower triangles are read (which symmetrizes them).
/// factorize() costs (d_in³ + d_out³)/3, solve() d_in·d_out·(d_in + d_out) by triangular solves.
/// Allocation-free after resize() (or the first call at a size).
/// @tparam Scalar float or double
template <class Scalar>
class KroneckerCholesky {
 public:
  void resize(Index d_in, Index d_out);
  /// Factors both damped factors (γ ≥ 0); kNotPositiveDefinite if either fails.
  FactorStatus factorize(ConstMatrixRef<Scalar> A, ConstMatrixRef<Scalar> G, double gamma);
  /// The same with A = diag(a) (an embedding's one-hot inputs: d_in entries, a d_in³ factor
  /// would be wasted), π = √(mean(a) / (tr G / d_out)); (A + πγI)⁻¹ is then elementwise.
  FactorStatus factorize_diagonal(ConstVectorRef<Scalar> a, ConstMatrixRef<Scalar> G, double gamma);
  double pi() const { return pi_; }
  /// U = (G + (γ/π)I)⁻¹ V (A + πγI)⁻¹ for V of d_out × d_in (U may be V).
  void solve(ConstMatrixRef<Scalar> V, MatrixRef<Scalar> U) const;
  /// The explicit damped inverses (A + πγI)⁻¹ and (G + (γ/π)I)⁻¹ of the last factorize(), into
  /// square matrices of the factors' sizes: 2(d_in³ + d_out³)/3 flops, for a caller that applies
  /// them every step by GEMM. Not for factorize_diagonal().
  void inverses(MatrixRef<Scalar> inverse_a, MatrixRef<Scalar> inverse_g) const;

 private:
  double pi_ = 1;
  bool diagonal_ = false;
  Eigen::LLT<Matrix<Scalar>> llt_a_, llt_g_;
  Vector<Scalar> inverse_a_;  // 1 / (a + πγ) when diagonal_
};

/// The same block through eigendecompositions A = Q_A diag(a) Q_Aᵀ, G = Q_G diag(g) Q_Gᵀ, done
/// once; any damping is then two rotations and an elementwise division:
///   solve_factored: U = Q_G [(Q_Gᵀ V Q_A) ./ ((g + γ/π)(a + πγ)ᵀ)] Q_Aᵀ   (as KroneckerCholesky)
///   solve_exact:    U = Q_G [(Q_Gᵀ V Q_A) ./ (g aᵀ + λ)] Q_Aᵀ = unvec((A ⊗ G + λI)⁻¹ vec V)
/// — the exact Tikhonov-damped inverse, in the Kronecker eigenbasis that George et al. (2018,
/// EKFAC) rescale in. Changing γ or λ (Martens & Grosse adapt γ by trying three values) needs no
/// new decomposition. Eigenvalues below 0 (round-off of PSD factors) are clamped to 0.
/// decompose() costs about 9(d_in³ + d_out³), a solve 2·d_in·d_out·(d_in + d_out) in GEMMs.
/// Allocation-free after resize() (or the first call at a size).
/// @tparam Scalar float or double
template <class Scalar>
class KroneckerEigen {
 public:
  void resize(Index d_in, Index d_out);
  /// Decomposes A and G (lower triangles); false if an eigensolver did not converge.
  bool decompose(ConstMatrixRef<Scalar> A, ConstMatrixRef<Scalar> G);
  double pi() const { return pi_; }
  auto eigenvalues_a() const { return eig_a_.eigenvalues(); }
  auto eigenvalues_g() const { return eig_g_.eigenvalues(); }

  /// Factored Tikhonov damping with strength γ ≥ 0 (U may not alias V).
  void solve_factored(ConstMatrixRef<Scalar> V, double gamma, MatrixRef<Scalar> U);
  /// Exact damping λ > 0: U = unvec((A ⊗ G + λI)⁻¹ vec V) (U may not alias V).
  void solve_exact(ConstMatrixRef<Scalar> V, double lambda, MatrixRef<Scalar> U);
  /// EKFAC (George et al. 2018): U = Q_G [(Q_Gᵀ V Q_A) ./ (S + λ)] Q_Aᵀ, the eigenvalues g aᵀ
  /// replaced by a scaling S (d_out × d_in) estimated in this basis (U may not alias V).
  void solve_scaled(ConstMatrixRef<Scalar> V, ConstMatrixRef<Scalar> S, double lambda,
                    MatrixRef<Scalar> U);
  /// The eigenbases, eigenvectors as columns.
  ConstMatrixMap<Scalar> basis_a() const { return eig_a_.eigenvectors(); }
  ConstMatrixMap<Scalar> basis_g() const { return eig_g_.eigenvectors(); }
  /// S = g aᵀ, K-FAC's own eigenvalues of A ⊗ G (clamped at 0): EKFAC's scaling in a new basis
  /// until statistics have been drawn in it.
  void kronecker_eigenvalues(MatrixRef<Scalar> S) const { S.noalias() = g_ * a_.transpose(); }

 private:
  void rotate_in(ConstMatrixRef<Scalar> V);
  void rotate_out(MatrixRef<Scalar> U);

  double pi_ = 1;
  SymmetricEigen<Scalar> eig_a_, eig_g_;
  Vector<Scalar> a_, g_;           // clamped eigenvalues
  Matrix<Scalar> rotated_, half_;  // Q_Gᵀ V Q_A, and Q_Gᵀ V (or Q_G X) on the way
};

extern template double kronecker_trace_pi<float>(ConstMatrixRef<float>, ConstMatrixRef<float>);
extern template double kronecker_trace_pi<double>(ConstMatrixRef<double>, ConstMatrixRef<double>);
extern template class KroneckerCholesky<float>;
extern template class KroneckerCholesky<double>;
extern template class KroneckerEigen<float>;
extern template class KroneckerEigen<double>;

}  // namespace curvopt
