#pragma once
/// A problem plus an ℓ2 penalty ½η‖θ‖², with every derivative consistent: the weight decay of a
/// second-order method, whose quadratic model and reduction ratio must see the same objective.

#include <cstdint>
#include <vector>

#include "curvopt/problem/problem.h"

namespace curvopt {

/// f(θ) + ½η‖θ‖² over a wrapped problem: value and gradient (+ ηθ), Gauss-Newton and Hessian
/// products (+ ηv), K-FAC statistics unchanged (the factors approximate the data term; K-FAC adds
/// η to its damping instead, as Martens & Grosse 2015 do). Offers the wrapped problem's oracles
/// among those; data_version() and batch_size() are the wrapped problem's. Allocation-free.
/// @tparam Scalar float or double
template <class Scalar>
class L2Regularized final : public Problem<Scalar> {
 public:
  /// η ≥ 0 (finite). The problem is referenced, not copied.
  L2Regularized(Problem<Scalar>& inner, double coefficient);

  Index num_parameters() const override { return inner_.num_parameters(); }
  OracleSet oracles() const override;
  std::uint64_t data_version() const override { return inner_.data_version(); }
  Index batch_size() const override { return inner_.batch_size(); }

  Scalar value(ConstVectorRef<Scalar> params) override;
  Scalar gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) override;
  void ggn_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                          VectorRef<Scalar> out) override;
  void hessian_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                              VectorRef<Scalar> out) override;
  void ggn_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                          MatrixRef<Scalar> out) override;
  void hessian_matrix_product(ConstVectorRef<Scalar> params, ConstMatrixRef<Scalar> V,
                              MatrixRef<Scalar> out) override;
  void kfac_statistics(ConstVectorRef<Scalar> params, KfacTargets targets, Rng& rng,
                       std::vector<KfacFactors<Scalar>>& out) override {
    inner_.kfac_statistics(params, targets, rng, out);
  }

 private:
  Scalar penalty(ConstVectorRef<Scalar> params) const;

  Problem<Scalar>& inner_;
  Scalar eta_;
};

extern template class L2Regularized<float>;
extern template class L2Regularized<double>;

}  // namespace curvopt
