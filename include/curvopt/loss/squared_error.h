#pragma once

#include "curvopt/loss/loss.h"

namespace curvopt {

/// Squared error, loss = scale · Σ (z − y)². Residuals r̂ = √(2·scale)(z − y), so loss = ½‖r̂‖²
/// exactly and Q = √(2·scale) I. kMean divides by all elements (PyTorch MSELoss); kHalfSum gives
/// the classic ½‖z − y‖². Targets: outputs × batch, finite.
/// @tparam Scalar float or double
template <class Scalar>
class SquaredError final : public Loss<Scalar> {
 public:
  using typename Loss<Scalar>::ConstRef;
  using typename Loss<Scalar>::Ref;

  explicit SquaredError(Reduction reduction = Reduction::kMean) : Loss<Scalar>(reduction) {}
  std::string type() const override { return "SquaredError"; }
  std::unique_ptr<Loss<Scalar>> clone() const override {
    return std::make_unique<SquaredError>(*this);
  }
  bool residuals_are_exact() const override { return true; }

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

 protected:
  Scalar mean_count(Index b, Index c) const override;
};

extern template class SquaredError<float>;
extern template class SquaredError<double>;

}  // namespace curvopt
