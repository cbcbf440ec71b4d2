#pragma once
/// Adaptive momentum (Ampazis & Perantonis 2000) as a decorator of the damped Gauss-Newton
/// descent: the direction combiner of Pooladzandi & Zhou's (2022) modified Levenberg-Marquardt.

#include <memory>

#include "curvopt/optim/descent/damped_gauss_newton.h"
#include "curvopt/optim/descent/descent_decorator.h"

namespace curvopt {

struct MomentumDescentOptions {
  /// δP in the metric of H = JᵀJ + λD; 0 = 0.6·√(2/m) (see LevenbergMarquardtOptions).
  double step_length = 0;
  /// δP ≤ √(gᵀH⁻¹g): never longer in H's metric than the undecorated step.
  bool cap = true;
  double xi = 0.9;
};

/// Combines the damped Gauss-Newton step with the previous accepted step (when there is one) by
/// adaptive_momentum_step, with I_FF = prevᵀ(JᵀJ + λD)prev from the base descent.
/// @tparam Scalar float or double
template <class Scalar>
class MomentumDescent final : public DescentDecorator<Scalar> {
 public:
  /// `base` is the damped Gauss-Newton descent at the bottom of `inner` (often `inner` itself).
  MomentumDescent(std::unique_ptr<Descent<Scalar>> inner, DampedGaussNewtonDescent<Scalar>& base,
                  const MomentumDescentOptions& options)
      : DescentDecorator<Scalar>(std::move(inner)), base_(base), options_(options) {}

  DescentResult step(double lambda, VectorRef<Scalar> step) override;

 private:
  DampedGaussNewtonDescent<Scalar>& base_;
  MomentumDescentOptions options_;
};

extern template class MomentumDescent<float>;
extern template class MomentumDescent<double>;

}  // namespace curvopt
