#pragma once
/// Powell's dogleg (Powell 1970): the trust-region step on the path from the Cauchy point to the
/// Gauss-Newton step, a descent of the descent × search loop for least squares.

#include <memory>
#include <string_view>

#include "curvopt/optim/descent/descent.h"
#include "curvopt/optim/gauss_newton_descent.h"

namespace curvopt {

/// Scalar: the trust-region radius Δ. At a point, with g = Jᵀr and B = JᵀJ: the Gauss-Newton
/// step s_gn = −B⁻¹g (parameter-space Cholesky, regularized by 1e-12·max diag(B) when B is
/// singular) and the Cauchy point s_c = −(‖g‖²/‖Jg‖²)·g, each formed once. For a radius Δ the
/// step is s_gn when ‖s_gn‖ ≤ Δ, −Δ·g/‖g‖ when ‖s_c‖ ≥ Δ, and otherwise the point of the
/// segment s_c → s_gn at distance Δ. One factorization per point, whatever the number of trials
/// (the advantage over Levenberg-Marquardt, which refactorizes per λ). Oracles: value, gradient
/// and jacobian (or the Gauss-Newton matrix).
/// @tparam Scalar float or double
template <class Scalar>
class DoglegDescent final : public Descent<Scalar> {
 public:
  StepScalar scalar() const override { return StepScalar::kRadius; }
  OracleSet required_oracles() const override { return Oracle::kJacobian; }
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double radius, VectorRef<Scalar> step) override;
  double curvature(ConstVectorRef<Scalar> s) override;
  const Vector<Scalar>& base_step() const override { return step_; }
  void report_times(StepTimes& times) const override;
  void reset() override { solver_.reset(); }

 private:
  std::unique_ptr<GaussNewtonDescent<Scalar>> solver_;
  Vector<Scalar> gauss_newton_, cauchy_, gradient_, step_, ones_;
  double gradient_norm_ = 0;
};

extern template class DoglegDescent<float>;
extern template class DoglegDescent<double>;

}  // namespace curvopt
