#include "curvopt/optim/descent/geodesic_acceleration.h"

namespace curvopt {

template <class Scalar>
bool GeodesicAcceleration<Scalar>::correct(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                                           ConstVectorRef<Scalar> v,
                                           GaussNewtonDescent<Scalar>& descent, double lambda,
                                           ConstVectorRef<Scalar> d, VectorRef<Scalar> direction,
                                           int& iterations) {
  // The residual buffers keep the largest m seen, so that alternating batch sizes (an epoch's
  // short last batch) reuse them instead of reallocating.
  const Index m = problem.num_residuals(), n = params.size();
  if (r0_.size() < m) {
    r0_.resize(m);
    rh_.resize(m);
    jv_.resize(m);
  }
  if (shifted_.size() != n) {
    shifted_.resize(n);
    rhs_.resize(n);
    acceleration_.resize(n);
  }
  auto r0 = r0_.head(m), rh = rh_.head(m), jv = jv_.head(m);
  const auto h = static_cast<Scalar>(options_.h);
  problem.residuals(params, r0);
  problem.jvp(params, v, jv);
  shifted_ = params + h * v;
  problem.residuals(shifted_, rh);
  rh = (Scalar(2) / h) * ((rh - r0) / h - jv);
  problem.vjp(params, rh, rhs_);
  rhs_ = -rhs_;
  if (!descent.solve(lambda, d, rhs_, acceleration_, iterations)) return false;
  const double v_norm = static_cast<double>(v.norm());
  if (!(2 * static_cast<double>(acceleration_.norm()) <= options_.ratio * v_norm)) return false;
  direction += Scalar(0.5) * acceleration_;
  return direction.allFinite();
}

template <class Scalar>
DescentResult GeodesicDescent<Scalar>::step(double lambda, VectorRef<Scalar> step) {
  DescentResult result = this->inner().step(lambda, step);
  if (!result.ok) return result;
  const DescentPoint<Scalar>& point = this->point();
  int iterations = 0;
  result.ok = acceleration_.correct(point.problem, point.params, base_.base_step(), base_.solver(),
                                    lambda, base_.trial_diagonal(), step, iterations);
  result.iterations += iterations;
  if (!result.ok) result.message = "geodesic correction too large; damping increased";
  return result;
}

template class GeodesicAcceleration<float>;
template class GeodesicAcceleration<double>;
template class GeodesicDescent<float>;
template class GeodesicDescent<double>;

}  // namespace curvopt
