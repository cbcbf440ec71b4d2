#include "curvopt/optim/quasi_newton/sampled_lsr1_descent.h"

#include <algorithm>

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(TrustRegionSolver, {TrustRegionSolver::kSteihaug, "steihaug"},
                   {TrustRegionSolver::kExact, "exact"})

template <class Scalar>
SampledLsr1Descent<Scalar>::SampledLsr1Descent(const SampledLsr1DescentOptions& options)
    : options_(options), sampler_(options.sampler) {
  if (!(options.pair_epsilon >= 0))
    throw ConfigError("SampledLsr1DescentOptions::pair_epsilon = " +
                      std::to_string(options.pair_epsilon) + ": must be >= 0");
}

template <class Scalar>
std::string_view SampledLsr1Descent<Scalar>::begin(Problem<Scalar>&, Index n) {
  if (step_.size() != n) {
    step_.resize(n);
    product_.resize(n);
    lsr1_.resize(n, options_.sampler.memory);
    cg_.resize(n);
    cg_.set_options({.max_iterations = static_cast<int>(std::min<Index>(n, 500)),
                     .relative_tolerance = 0,
                     .absolute_tolerance = 1e-10,
                     .curvature_threshold = 1e-12});
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
  lsr1_.reset(0);  // B₀ = 0: no history, only this point's pairs
  accepted_ = lsr1_.add_pairs(sampler_.S(), sampler_.Y(), options_.pair_epsilon);
  if (accepted_ == 0) lsr1_.reset(1);  // B = I
  return true;
}

template <class Scalar>
DescentResult SampledLsr1Descent<Scalar>::step(double radius, VectorRef<Scalar> step) {
  const Vector<Scalar>& g = point_->gradient;
  DescentResult result;
  double predicted;
  if (options_.solver == TrustRegionSolver::kExact) {
    predicted = lsr1_.solve_trust_region(g, radius, step_).predicted_reduction;
  } else {
    const SteihaugResult r =
        cg_.solve([this](ConstVectorRef<Scalar> v, VectorRef<Scalar> out) { lsr1_.apply(v, out); },
                  g, radius, step_);
    predicted = r.predicted_reduction;
    result.iterations = r.iterations;
  }
  // The solve knows m(s) = gᵀs + ½sᵀBs; keep sᵀBs for curvature() without a product.
  step_curvature_ = 2 * (-predicted - static_cast<double>(g.dot(step_)));
  result.ok = step_.allFinite();
  if (!result.ok) result.message = "non-finite trust-region step; radius shrunk";
  step = step_;
  return result;
}

template <class Scalar>
double SampledLsr1Descent<Scalar>::curvature(ConstVectorRef<Scalar> s) {
  if (s.size() == step_.size() && s == step_) return step_curvature_;
  lsr1_.apply(s, product_);
  return static_cast<double>(s.dot(product_));
}

template class SampledLsr1Descent<float>;
template class SampledLsr1Descent<double>;

}  // namespace curvopt
