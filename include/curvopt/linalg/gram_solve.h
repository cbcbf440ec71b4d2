#pragma once
/// Cholesky solves of damped Gauss-Newton systems (JᵀJ + λD) s = b: through the m × m Gram
/// matrix J D⁻¹ Jᵀ by the Sherman-Morrison-Woodbury identity (the data-space or minimum-norm
/// form, for m < n), and through the n × n matrix JᵀJ itself (the parameter-space form).

#include <Eigen/Cholesky>

#include "curvopt/core/types.h"
#include "curvopt/linalg/cholesky.h"
#include "curvopt/linalg/factor_status.h"
#include "curvopt/linalg/linear_operator.h"

namespace curvopt {

/// Data space: K = J D⁻¹ Jᵀ + λI (m × m), then
///   (JᵀJ + λD)⁻¹ b = (λD)⁻¹ (b − Jᵀ K⁻¹ J D⁻¹ b)            (Woodbury; Hager 1989)
///   (JᵀJ + λI)⁻¹ Jᵀ r = Jᵀ (JJᵀ + λI)⁻¹ r                    (push-through identity)
/// — the minimum-norm Levenberg-Marquardt step as λ → 0. Costs O(m²n) for the Gram, O(m³/3) for
/// the factor and O(mn) per solve, never an n × n matrix. The first form divides the
/// cancellation b − Jᵀ(…) by λ: its error grows with κ(J D⁻¹ Jᵀ + λI) ≥ ‖J D⁻¹ Jᵀ‖/λ when
/// m > n, so for tall J and small λ the parameter-space form is the accurate one.
///
/// The operation sequence (a rank-k update of the lower triangle for the Gram, LLT of G + λI,
/// in-place triangular solves) is the one the Levenberg-Marquardt data-space descent and the
/// full-Jacobian NLLS baseline use, so either can switch to this class without a change in bits.
/// Storage: the Gram and its factor (m² each), J D^(-1/2) when D is given (m × n), O(m + n).
/// Allocation-free after resize() (or the first call at a size).
/// @tparam Scalar float or double
template <class Scalar>
class GramSolver {
 public:
  /// Storage for m rows (residuals) and n columns (parameters; the explicit-J paths only).
  void resize(Index m, Index n);
  Index rows() const { return gram_.rows(); }

  /// G = J Jᵀ (m × m) for an explicit m × n J: the lower triangle, by a symmetric rank-k update.
  void set_gram(ConstMatrixRef<Scalar> J);
  /// G = J D⁻¹ Jᵀ with D = diag(d), d > 0; D is kept for solve_damped().
  void set_gram(ConstMatrixRef<Scalar> J, ConstVectorRef<Scalar> d);
  /// The Gram for a caller to fill (a Gram oracle, or to rescale it); only its lower triangle is
  /// read. Any call marks the factorization stale; D is reset to I.
  Matrix<Scalar>& gram();

  /// Cholesky of K = G + λI (λ ≥ 0), skipped when λ and G are unchanged since the last success.
  FactorStatus factorize(double lambda);
  double lambda() const { return lambda_; }
  /// t ← K⁻¹ t (after a successful factorize).
  void solve_in_place(VectorRef<Scalar> t) const { cholesky_.solve_in_place(t); }

  /// s = Jᵀ K⁻¹ r, i.e. (JᵀJ + λI)⁻¹ Jᵀ r, with G = JJᵀ (set_gram(J)). False if not finite.
  bool solve_minimum_norm(ConstMatrixRef<Scalar> J, ConstVectorRef<Scalar> r, VectorRef<Scalar> s);
  /// s = (JᵀJ + λD)⁻¹ b for the J and D of set_gram (D = I after set_gram(J) or gram()), λ > 0.
  bool solve_damped(ConstMatrixRef<Scalar> J, ConstVectorRef<Scalar> b, VectorRef<Scalar> s);
  /// The same with D = I and J only as products: jvp(v, out) writes J v (length m), vjp(u, out)
  /// writes Jᵀ u (length n). For G from a Gram oracle, without ever forming J.
  bool solve_damped(LinearOperatorRef<Scalar> jvp, LinearOperatorRef<Scalar> vjp,
                    ConstVectorRef<Scalar> b, VectorRef<Scalar> s);

 private:
  Matrix<Scalar> gram_, scaled_;  // G; J D^(-1/2)
  Vector<Scalar> inverse_d_, t_, db_, jt_;
  bool identity_d_ = true;
  bool factored_ = false;  // cholesky_ holds G + lambda_·I
  double lambda_ = 0;
  Cholesky<Scalar> cholesky_;  // its storage is K itself: no separate copy of G + λI
};

/// Parameter space: (JᵀJ + λ·diag(d)) s = b with the n × n matrix JᵀJ, by Cholesky, falling back to
/// a pivoted LDLT when float round-off makes a nearly singular system fail LLT. The sequence
/// (rank-k updates J_kᵀJ_k of the lower triangle, system = JᵀJ + λ·diag(d), LLT, LDLT on
/// failure) is the Levenberg-Marquardt parameter-space descent's. Storage 3n² (+ n² for the
/// fallback); allocation-free after resize() (or the first call at a size).
/// @tparam Scalar float or double
template <class Scalar>
class NormalEquationsSolver {
 public:
  void resize(Index n);
  Index size() const { return jtj_.rows(); }

  /// JᵀJ ← 0, then accumulate() once per row block of J (or set_jacobian() for a whole J).
  void clear();
  void accumulate(ConstMatrixRef<Scalar> J_block);
  void set_jacobian(ConstMatrixRef<Scalar> J);
  /// JᵀJ for a caller to fill (lower triangle read); marks the factorization stale.
  Matrix<Scalar>& normal_matrix();
  /// JᵀJ as filled (only its lower triangle is meaningful), without marking anything stale.
  const Matrix<Scalar>& lower_triangle() const { return jtj_; }
  /// diag(JᵀJ), e.g. for Marquardt's scaling.
  auto diagonal() const { return jtj_.diagonal(); }

  /// Factors JᵀJ + λ·diag(d); skipped when λ, d and JᵀJ are unchanged since the last call.
  FactorStatus factorize(double lambda, ConstVectorRef<Scalar> d);
  /// s = (JᵀJ + λ·diag(d))⁻¹ b after a successful factorize; false if s is not finite.
  bool solve(ConstVectorRef<Scalar> b, VectorRef<Scalar> s) const;

 private:
  Matrix<Scalar> jtj_, system_;  // system_: the LDLT fallback's copy of JᵀJ + λ·diag(d)
  Vector<Scalar> d_;
  bool factored_ = false;  // status_ is that of jtj_ + lambda_·diag(d_)
  double lambda_ = 0;
  FactorStatus status_ = FactorStatus::kNotPositiveDefinite;
  Cholesky<Scalar> cholesky_;  // of JᵀJ + λ·diag(d), in its own storage
  Eigen::LDLT<Matrix<Scalar>> ldlt_;
};

extern template class GramSolver<float>;
extern template class GramSolver<double>;
extern template class NormalEquationsSolver<float>;
extern template class NormalEquationsSolver<double>;

}  // namespace curvopt
