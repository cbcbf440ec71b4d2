#pragma once
/// A diagonal preconditioner z = D⁻¹ r for ConjugateGradient, including the one of Martens'
/// (2010) Hessian-free optimization.

#include "curvopt/core/types.h"

namespace curvopt {

/// Holds D⁻¹ for a positive diagonal D and applies it as an operator; pass it straight to
/// ConjugateGradient::solve as the preconditioner. set_*() allocate only when n changes.
/// @tparam Scalar float or double
template <class Scalar>
class DiagonalPreconditioner {
 public:
  /// D = diag(d), every d_i > 0 (not checked: a zero gives Inf, which CG reports as non-finite).
  void set_diagonal(ConstVectorRef<Scalar> d);
  /// Martens (2010): D = (s + λ)^exponent elementwise, with s = Σ_i ∇ℓ_i ⊙ ∇ℓ_i the sum of squared
  /// per-example gradients and λ ≥ 0 the damping; the exponent 0.75 "tempers" the empirical
  /// Fisher diagonal, which is a poor curvature estimate on its own.
  void set_martens(ConstVectorRef<Scalar> squared_gradient_sum, double lambda,
                   double exponent = 0.75);

  /// z = D⁻¹ r (z may alias r).
  void operator()(ConstVectorRef<Scalar> r, VectorRef<Scalar> z) const {
    z = inverse_.cwiseProduct(r);
  }
  const Vector<Scalar>& inverse_diagonal() const { return inverse_; }

 private:
  Vector<Scalar> inverse_;
};

extern template class DiagonalPreconditioner<float>;
extern template class DiagonalPreconditioner<double>;

}  // namespace curvopt
