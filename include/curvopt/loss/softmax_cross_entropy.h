#pragma once

#include "curvopt/loss/loss.h"

namespace curvopt {

/// Softmax cross-entropy on logits, ℓ = −Σ_k y_k log softmax(z)_k. Targets are either class indices
/// (1 × batch, integers in [0, classes)) or probability vectors (classes × batch, non-negative,
/// columns summing to 1). Loss Hessian per example scale·(diag p − ppᵀ) with factor Q =
/// √scale·(diag √p − p √pᵀ) and pseudo-residuals r̂ = √scale·(p − y)/√p (p clamped at 1e-12),
/// derived from QQᵀ = H and Q r̂ = ∇ℓ. kMean divides by the number of examples (PyTorch
/// CrossEntropyLoss).
/// @tparam Scalar float or double
template <class Scalar>
class SoftmaxCrossEntropy final : public Loss<Scalar> {
 public:
  using typename Loss<Scalar>::ConstRef;
  using typename Loss<Scalar>::Ref;

  explicit SoftmaxCrossEntropy(Reduction reduction = Reduction::kMean) : Loss<Scalar>(reduction) {}
  std::string type() const override { return "SoftmaxCrossEntropy"; }
  std::unique_ptr<Loss<Scalar>> clone() const override {
    return std::make_unique<SoftmaxCrossEntropy>(*this);
  }

  void check_targets(Index outputs, ConstRef Y) const override;
  Scalar value(ConstRef Z, ConstRef Y) const override;
  void example_values(ConstRef Z, ConstRef Y, VectorRef<Scalar> out) const override;
  void gradient(ConstRef Z, ConstRef Y, Ref dZ) const override;
  void hessian_product(ConstRef Z, ConstRef Y, ConstRef V, Ref HV) const override;
  void residuals(ConstRef Z, ConstRef Y, Ref R) const override;
  void factor_column(ConstRef Z, Index k, Ref U) const override;
  void factor_transpose_product(ConstRef Z, ConstRef V, Ref Out) const override;
  void factor_product(ConstRef Z, ConstRef U, Ref Out) const override;
  void sample_targets(ConstRef Z, Rng& rng, Ref Y) const override;
  void sample_gauss_newton_cotangents(ConstRef Z, Rng& rng, Ref U) const override;

 protected:
  Scalar mean_count(Index b, Index c) const override;

 private:
  /// probs_ = softmax of each column of Z.
  void compute_probabilities(ConstRef Z) const;
  /// One-hot expansion of the targets into targets_ (classes × batch) when given as indices.
  const Matrix<Scalar>& dense_targets(ConstRef Y, Index classes) const;

  mutable Matrix<Scalar> probs_;    // scratch: probabilities of the last Z
  mutable Matrix<Scalar> targets_;  // scratch: one-hot targets
  mutable RowVector<Scalar> dots_;  // scratch: per-example inner products
};

extern template class SoftmaxCrossEntropy<float>;
extern template class SoftmaxCrossEntropy<double>;

}  // namespace curvopt
