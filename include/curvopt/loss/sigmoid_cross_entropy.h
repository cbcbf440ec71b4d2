#pragma once

#include "curvopt/loss/loss.h"

namespace curvopt {

/// Independent sigmoid (binary) cross-entropy on logits, ℓ = Σ_k softplus(z_k) − y_k z_k, computed
/// stably. Targets in [0, 1], outputs × batch. Loss Hessian scale·diag(σ(1 − σ)), factor Q = its
/// square root, pseudo-residuals r̂ = √scale·(σ − y)/√(σ(1 − σ)) (clamped at 1e-12). kMean divides
/// by all elements (PyTorch BCEWithLogitsLoss).
/// @tparam Scalar float or double
template <class Scalar>
class SigmoidCrossEntropy final : public Loss<Scalar> {
 public:
  using typename Loss<Scalar>::ConstRef;
  using typename Loss<Scalar>::Ref;

  explicit SigmoidCrossEntropy(Reduction reduction = Reduction::kMean) : Loss<Scalar>(reduction) {}
  std::string type() const override { return "SigmoidCrossEntropy"; }
  std::unique_ptr<Loss<Scalar>> clone() const override {
    return std::make_unique<SigmoidCrossEntropy>(*this);
  }

  void check_targets(Index outputs, ConstRef Y) const override;
  Scalar value(ConstRef Z, ConstRef Y) const override;
  void example_values(ConstRef Z, ConstRef Y, VectorRef<Scalar> out) const override;
  void gradient(ConstRef Z, ConstRef Y, Ref dZ) const override;
  void hessian_product(ConstRef Z, ConstRef Y, ConstRef V, Ref HV) const override;
  /// P = σ(Z), the predicted probabilities.
  void predictions(ConstRef Z, Ref P) const override;
  void residuals(ConstRef Z, ConstRef Y, Ref R) const override;
  void factor_column(ConstRef Z, Index k, Ref U) const override;
  void factor_transpose_product(ConstRef Z, ConstRef V, Ref Out) const override;
  void factor_product(ConstRef Z, ConstRef U, Ref Out) const override;
  void sample_targets(ConstRef Z, Rng& rng, Ref Y) const override;
  void sample_gauss_newton_cotangents(ConstRef Z, Rng& rng, Ref U) const override;

 protected:
  Scalar mean_count(Index b, Index c) const override;

 private:
  /// probs_ = σ(Z) element-wise.
  void compute_probabilities(ConstRef Z) const;
  mutable Matrix<Scalar> probs_;  // scratch
};

extern template class SigmoidCrossEntropy<float>;
extern template class SigmoidCrossEntropy<double>;

}  // namespace curvopt
