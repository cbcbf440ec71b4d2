#pragma once
/// A Problem built from plain callables: for functions that are not networks (test functions,
/// user objectives with hand-written gradients).

#include <functional>

#include "curvopt/problem/problem.h"

namespace curvopt {

/// f, ∇f and optionally ∇²f v given as callables: the value and gradient oracles, and the
/// Hessian-product oracle when its callable is given.
/// @tparam Scalar float or double
template <class Scalar>
class FunctionProblem final : public Problem<Scalar> {
 public:
  /// Returns f(θ).
  using ValueFunction = std::function<Scalar(ConstVectorRef<Scalar> params)>;
  /// Writes ∇f(θ) into grad and returns f(θ).
  using GradientFunction =
      std::function<Scalar(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad)>;

  /// Writes ∇²f(θ) v into out.
  using HessianProductFunction = std::function<void(
      ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v, VectorRef<Scalar> out)>;

  /// Throws ConfigError when num_parameters < 1 or the value or gradient callable is empty.
  FunctionProblem(Index num_parameters, ValueFunction value, GradientFunction gradient,
                  HessianProductFunction hessian_product = {});

  Index num_parameters() const override { return num_parameters_; }
  OracleSet oracles() const override;
  void hessian_vector_product(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                              VectorRef<Scalar> out) override;
  Scalar value(ConstVectorRef<Scalar> params) override;
  Scalar gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) override;

  /// Counts of oracle calls since construction (for tests and reports).
  Index num_value_calls() const { return num_value_calls_; }
  Index num_gradient_calls() const { return num_gradient_calls_; }

 private:
  void check(const char* what, Index size) const;

  Index num_parameters_;
  ValueFunction value_;
  GradientFunction gradient_;
  HessianProductFunction hessian_product_;
  Index num_value_calls_ = 0;
  Index num_gradient_calls_ = 0;
};

extern template class FunctionProblem<float>;
extern template class FunctionProblem<double>;

}  // namespace curvopt
