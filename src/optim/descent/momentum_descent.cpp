#include "curvopt/optim/descent/momentum_descent.h"

#include <algorithm>
#include <cmath>

#include "curvopt/optim/adaptive_momentum.h"

namespace curvopt {

template <class Scalar>
DescentResult MomentumDescent<Scalar>::step(double lambda, VectorRef<Scalar> step) {
  const DescentResult result = this->inner().step(lambda, step);
  const DescentPoint<Scalar>& point = this->point();
  if (!result.ok || point.previous_step == nullptr) return result;
  const Vector<Scalar>& previous = *point.previous_step;
  const Vector<Scalar>& s = base_.base_step();
  const Vector<Scalar>& d = base_.trial_diagonal();
  // I_FF = prevᵀ(JᵀJ + λD)prev.
  const double i_ff = base_.curvature(previous) +
                      lambda * static_cast<double>((d.array() * previous.array().square()).sum());
  double dp = options_.step_length > 0
                  ? options_.step_length
                  : 0.6 * std::sqrt(2.0 / base_.curvature_problem().loss_terms());
  // Capped, the momentum step is never longer in H's metric than the LM step √(gᵀH⁻¹g) it
  // modifies, so it shrinks as the iterate converges instead of orbiting at δP.
  if (options_.cap)
    dp = std::min(dp, std::sqrt(std::max(0.0, -static_cast<double>(point.gradient.dot(s)))));
  adaptive_momentum_step<Scalar>(s, point.gradient, previous, i_ff, dp, options_.xi, step);
  return result;
}

template class MomentumDescent<float>;
template class MomentumDescent<double>;

}  // namespace curvopt
