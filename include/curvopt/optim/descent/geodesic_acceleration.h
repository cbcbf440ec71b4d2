#pragma once
/// Geodesic acceleration (Transtrum, Machta & Sethna 2011; Transtrum & Sethna 2012): a
/// second-order correction that decorates any damped Gauss-Newton descent.

#include <memory>

#include "curvopt/core/types.h"
#include "curvopt/optim/descent/damped_gauss_newton.h"
#include "curvopt/optim/descent/descent_decorator.h"
#include "curvopt/optim/gauss_newton_descent.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

struct GeodesicAccelerationOptions {
  /// Finite-difference step h of the directional second derivative r_vv. Default 0.1.
  double h = 0.1;
  /// The corrected step is kept only when 2‖a‖/‖v‖ ≤ ratio. Default 0.75.
  double ratio = 0.75;
};

/// With v the damped Gauss-Newton step at θ, estimates the residuals' second directional
/// derivative r_vv ≈ (2/h)((r(θ + hv) − r(θ))/h − Jv) (as NonlinearSolve.jl and geodesicLM do),
/// solves the same damped system for a = −(JᵀJ + λD)⁻¹ Jᵀr_vv, and corrects the step to v + a/2.
/// Needs the residuals, jvp and vjp oracles. Buffers are sized on first use.
/// @tparam Scalar float or double
template <class Scalar>
class GeodesicAcceleration {
 public:
  explicit GeodesicAcceleration(const GeodesicAccelerationOptions& options = {})
      : options_(options) {}

  /// Adds a/2 to `direction` (which holds v on entry). Returns false, and leaves a trial to be
  /// rejected, when the damped system cannot be solved, the correction is too large or the
  /// result is not finite; `iterations` gains the inner iterations of the solve.
  bool correct(Problem<Scalar>& problem, ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
               GaussNewtonDescent<Scalar>& descent, double lambda, ConstVectorRef<Scalar> d,
               VectorRef<Scalar> direction, int& iterations);

 private:
  GeodesicAccelerationOptions options_;
  Vector<Scalar> r0_, rh_, jv_, shifted_, rhs_, acceleration_;
};

/// Geodesic acceleration as a decorator: corrects the step of `inner` (a damped Gauss-Newton
/// descent, possibly already combined with momentum) with the acceleration of `base`'s damped
/// system at the same λ and diagonal. Adds the residuals, jvp and vjp oracles.
/// @tparam Scalar float or double
template <class Scalar>
class GeodesicDescent final : public DescentDecorator<Scalar> {
 public:
  GeodesicDescent(std::unique_ptr<Descent<Scalar>> inner, DampedGaussNewtonDescent<Scalar>& base,
                  const GeodesicAccelerationOptions& options)
      : DescentDecorator<Scalar>(std::move(inner)), base_(base), acceleration_(options) {}

  OracleSet required_oracles() const override {
    return this->inner().required_oracles() | Oracle::kResiduals | Oracle::kJvp | Oracle::kVjp;
  }
  DescentResult step(double lambda, VectorRef<Scalar> step) override;

 private:
  DampedGaussNewtonDescent<Scalar>& base_;
  GeodesicAcceleration<Scalar> acceleration_;
};

extern template class GeodesicAcceleration<float>;
extern template class GeodesicAcceleration<double>;
extern template class GeodesicDescent<float>;
extern template class GeodesicDescent<double>;

}  // namespace curvopt
