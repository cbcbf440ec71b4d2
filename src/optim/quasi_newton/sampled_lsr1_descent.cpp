#include "curvopt/optim/quasi_newton/sampled_lsr1_descent.h"

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
SampledLsr1Descent<Scalar>::SampledLsr1Descent(const SampledLsr1DescentOptions& options)
    : options_(options), sampler_(options.sampler), region_(options.solver) {
  if (!(options.pair_epsilon >= 0))
    throw ConfigError("SampledLsr1DescentOptions::pair_epsilon = " +
                      std::to_string(options.pair_epsilon) + ": must be >= 0");
}

template <class Scalar>
std::string_view SampledLsr1Descent<Scalar>::begin(Problem<Scalar>&, Index n) {
  if (n_ != n) {
    n_ = n;
    region_.resize(n, options_.sampler.memory);
  }
  return to_string(options_.solver);
}

template <class Scalar>
bool SampledLsr1Descent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport& report) {
  point_ = &point;
  {
    detail::PhaseTimer timer(report.times.curvature_seconds);
    if (!sampler_.sample(point.problem, point.params, point.gradient, report)) {
      report.status = StepStatus::kNumericalIssue;
      report.message = "non-finite sampled curvature pair; parameters unchanged";
      return false;
    }
  }
  detail::PhaseTimer timer(report.times.direction_seconds);
  CompactLsr1<Scalar>& B = region_.matrix();
  B.reset(0);  // B₀ = 0: no history, only this point's pairs
  accepted_ = B.add_pairs(sampler_.S(), sampler_.Y(), options_.pair_epsilon);
  if (accepted_ == 0) B.reset(1);  // B = I
  return true;
}

template <class Scalar>
DescentResult SampledLsr1Descent<Scalar>::step(double radius, VectorRef<Scalar> step) {
  const DescentResult result = region_.solve(point_->gradient, radius);
  step = region_.step();
  return result;
}

template class SampledLsr1Descent<float>;
template class SampledLsr1Descent<double>;

}  // namespace curvopt
