#pragma once
/// The empirical-Fisher least-squares face of a problem (Pooladzandi & Zhou 2022,
/// eq. 7): curvature from
/// per-example gradients instead of the model's output Hessian.

#include "curvopt/problem/problem.h"

namespace curvopt {

/// Presents a problem with per-example gradients rows gₛ (Σₛ gₛ = ∇f, b examples) as the
/// least-squares problem Ĵ = √b·[g₁ᵀ; …; g_bᵀ] (b × n), r̂ = (1/√b)·1, so that Ĵᵀr̂ = ∇f and
/// ĴᵀĴ = b·Σₛ gₛgₛᵀ, which for a mean-reduced loss is (1/b)Σₛ∇ℓₛ∇ℓₛᵀ, the empirical Fisher.
/// Every Gauss-Newton form then applies with m = b. value() and gradient() are the wrapped
/// problem's; Ĵ is formed once per (θ, data) and reused by jvp, vjp, gram and GGN products.
/// The wrapped problem must outlive this adapter and provide per-example gradients.
/// @tparam Scalar float or double
template <class Scalar>
class EmpiricalFisherProblem final : public Problem<Scalar> {
 public:
  /// Throws curvopt::Error when `inner` lacks per-example gradients.
  explicit EmpiricalFisherProblem(Problem<Scalar>& inner);

  Index num_parameters() const override { return inner_->num_parameters(); }
  OracleSet oracles() const override;
  Scalar value(ConstVectorRef<Scalar> params) override;
  Scalar gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) override;
  Index num_residuals() const override { return inner_->batch_size(); }
  Index batch_size() const override { return inner_->batch_size(); }
  void residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) override;
  void jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> J) override;
  void jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v, VectorRef<Scalar> out) override;
  void vjp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> u, VectorRef<Scalar> out) override;
  void gram(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) override;
  void ggn_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                          VectorRef<Scalar> out) override;
  void per_example_gradients(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) override;

 private:
  /// Ĵ at params, recomputed only when θ or the wrapped problem's data changed.
  const Matrix<Scalar>& fisher_jacobian(ConstVectorRef<Scalar> params);
  /// Mirrors the wrapped problem's data version into this one's.
  void sync();

  Problem<Scalar>* inner_;
  Matrix<Scalar> jacobian_;
  Vector<Scalar> cached_params_, product_;
  std::uint64_t inner_version_ = 0;
  bool cached_ = false;
};

extern template class EmpiricalFisherProblem<float>;
extern template class EmpiricalFisherProblem<double>;

}  // namespace curvopt
