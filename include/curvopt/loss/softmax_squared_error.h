#pragma once

#include "curvopt/loss/loss.h"

namespace curvopt {

/// Squared error between the softmax of the logits and the targets (the Iris setting of
/// Brust 2021): p = softmax(z) per column, loss = scale · Σ_s ‖p_s − y_s‖². kMean divides by
/// all b·c elements (Keras "mse" on a softmax output, ‖r‖²/L with L = b·c); kSum and kHalfSum as
/// for SquaredError.
///
/// r = p − y is a true residual of θ, so, with J = diag p − ppᵀ (the symmetric softmax Jacobian)
/// and k = scale: pseudo-residuals r̂ = √(2k)(p − y) (loss = ½‖r̂‖² exactly, and ∂r̂/∂θ is the
/// Jacobian of the least-squares face), factor Q = Qᵀ = √(2k)·J, so Q r̂ = 2k·J(p − y) = ∇_z loss
/// and Q Qᵀ = 2k·J² is the Gauss-Newton block of the loss in z. The loss is not convex in z:
/// hessian_product() is the exact Hessian 2k·(J² + second-order terms in r), which differs from
/// Q Qᵀ; gauss_newton_product() gives Q Qᵀ V.
///
/// Targets: class indices (1 × batch, integers in [0, classes)), expanded to one-hot on the fly,
/// or dense columns (classes × batch, finite values in [0, 1]; one-hot or probabilities, the
/// column sums are not checked). sample_targets() draws y ~ N(p, I), SquaredError's convention
/// applied to p.
/// @tparam Scalar float or double
template <class Scalar>
class SoftmaxSquaredError final : public Loss<Scalar> {
 public:
  using typename Loss<Scalar>::ConstRef;
  using typename Loss<Scalar>::Ref;

  explicit SoftmaxSquaredError(Reduction reduction = Reduction::kMean) : Loss<Scalar>(reduction) {}
  std::string type() const override { return "SoftmaxSquaredError"; }
  std::unique_ptr<Loss<Scalar>> clone() const override {
    return std::make_unique<SoftmaxSquaredError>(*this);
  }
  bool residuals_are_exact() const override { return true; }

  void check_targets(Index outputs, ConstRef Y) const override;
  Scalar value(ConstRef Z, ConstRef Y) const override;
  void example_values(ConstRef Z, ConstRef Y, VectorRef<Scalar> out) const override;
  void gradient(ConstRef Z, ConstRef Y, Ref dZ) const override;
  /// Exact: HV_s = 2k·[J dp + dp ⊙ r − dp (pᵀr) − p (dpᵀr)], dp = J V_s, r = p − y.
  void hessian_product(ConstRef Z, ConstRef Y, ConstRef V, Ref HV) const override;
  /// Gauss-Newton block: GV_s = Q_s Q_sᵀ V_s = 2k·J J V_s (positive semi-definite).
  void gauss_newton_product(ConstRef Z, ConstRef Y, ConstRef V, Ref GV) const override;
  void residuals(ConstRef Z, ConstRef Y, Ref R) const override;
  void factor_column(ConstRef Z, Index k, Ref U) const override;
  void factor_transpose_product(ConstRef Z, ConstRef V, Ref Out) const override;
  void factor_product(ConstRef Z, ConstRef U, Ref Out) const override;
  void sample_targets(ConstRef Z, Rng& rng, Ref Y) const override;

 protected:
  Scalar mean_count(Index b, Index c) const override;

 private:
  /// probs_ = softmax of each column of Z (the column maximum subtracted first).
  void compute_probabilities(ConstRef Z) const;
  /// One-hot expansion of the targets into targets_ (classes × batch) when given as indices.
  const Matrix<Scalar>& dense_targets(ConstRef Y, Index classes) const;
  /// Out = J V per column (J = diag p − ppᵀ of probs_), unscaled.
  void jacobian_product(ConstRef V, Ref Out) const;

  mutable Matrix<Scalar> probs_;    // scratch: probabilities of the last Z
  mutable Matrix<Scalar> targets_;  // scratch: one-hot targets
  mutable Matrix<Scalar> work_;     // scratch: J V and friends
  mutable RowVector<Scalar> dots_;  // scratch: per-example inner products
};

extern template class SoftmaxSquaredError<float>;
extern template class SoftmaxSquaredError<double>;

}  // namespace curvopt
