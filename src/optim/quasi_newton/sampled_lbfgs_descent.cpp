#include "curvopt/optim/quasi_newton/sampled_lbfgs_descent.h"

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
SampledLbfgsDescent<Scalar>::SampledLbfgsDescent(const SampledLbfgsDescentOptions& options)
    : options_(options), sampler_(options.sampler) {
  if (!(options.pair_epsilon >= 0))
    throw ConfigError("SampledLbfgsDescentOptions::pair_epsilon = " +
                      std::to_string(options.pair_epsilon) + ": must be >= 0");
}

template <class Scalar>
std::string_view SampledLbfgsDescent<Scalar>::begin(Problem<Scalar>&, Index n) {
  if (direction_.size() != n) {
    direction_.resize(n);
    step_.resize(n);
    memory_.resize(n, options_.sampler.memory);
  }
  return {};
}

template <class Scalar>
bool SampledLbfgsDescent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport& report) {
  {
    detail::PhaseTimer timer(report.times.curvature_seconds);
    if (!sampler_.sample(point.problem, point.params, point.gradient, report)) {
      report.status = StepStatus::kNumericalIssue;
      report.message = "non-finite sampled curvature pair; parameters unchanged";
      return false;
    }
  }
  detail::PhaseTimer timer(report.times.direction_seconds);
  memory_.clear();  // no history: only this point's pairs
  const Matrix<Scalar>& S = sampler_.S();
  const Matrix<Scalar>& Y = sampler_.Y();
  for (Index i = 0; i < S.cols(); ++i) memory_.push(S.col(i), Y.col(i), options_.pair_epsilon);
  memory_.apply(point.gradient, direction_);  // H g, with H = I when no pair passed
  direction_ = -direction_;
  return true;
}

template <class Scalar>
DescentResult SampledLbfgsDescent<Scalar>::step(double alpha, VectorRef<Scalar> step) {
  step_ = static_cast<Scalar>(alpha) * direction_;
  step = step_;
  return {};
}

template class SampledLbfgsDescent<float>;
template class SampledLbfgsDescent<double>;

}  // namespace curvopt
