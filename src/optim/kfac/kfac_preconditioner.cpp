#include "curvopt/optim/kfac/kfac_preconditioner.h"

#include <algorithm>
#include <cmath>

#include "../option_list.h"

namespace curvopt {

std::optional<std::string> KfacPreconditionerOptions::validate() const {
  const char* o = "KfacPreconditionerOptions";
  std::optional<std::string> stats, inverse;
  if (statistics_period < 1)
    stats = out_of_range(o, "statistics_period", statistics_period, ">= 1");
  if (inverse_period < 1) inverse = out_of_range(o, "inverse_period", inverse_period, ">= 1");
  return first_error({curvature.validate(), require_positive(o, "damping", damping), stats, inverse,
                      require_non_negative(o, "kl_clip", kl_clip)});
}

template <class Scalar>
KfacPreconditioner<Scalar>::KfacPreconditioner(const KfacPreconditionerOptions& options)
    : options_((throw_if_invalid(options), options)), curvature_(options.curvature) {}

template <class Scalar>
bool KfacPreconditioner<Scalar>::apply(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                                       double lr, VectorRef<Scalar> grad) {
  const bool draw = steps_ % options_.statistics_period == 0 || !curvature_.has_statistics();
  const bool invert = steps_ % options_.inverse_period == 0 || !curvature_.has_inverses();
  // Only a step that changes the factors or inverses needs a way back (a copy of every factor,
  // megabytes for a CNN, is not free); the others leave nothing to undo.
  if (draw || invert)
    curvature_.snapshot();
  else
    curvature_.drop_snapshot();
  if ((draw && !curvature_.update(problem, params)) ||
      (invert && !curvature_.invert(std::sqrt(options_.damping), &problem) &&
       !curvature_.has_inverses())) {
    curvature_.restore();
    return false;
  }
  ++steps_;
  preconditioned_.resize(grad.size());
  curvature_.precondition(grad, preconditioned_);
  nu_ = 1;
  if (options_.kl_clip > 0) {
    const double vg = lr * lr * static_cast<double>(preconditioned_.dot(grad));
    if (vg > options_.kl_clip) nu_ = std::sqrt(options_.kl_clip / vg);
  }
  grad = static_cast<Scalar>(nu_) * preconditioned_;
  return true;
}

template <class Scalar>
void KfacPreconditioner<Scalar>::rollback() {
  curvature_.restore();
  --steps_;
}

template <class Scalar>
void KfacPreconditioner<Scalar>::reset() {
  curvature_.reset();
  steps_ = 0;
  nu_ = 1;
}

template <class Scalar>
void KfacPreconditioner<Scalar>::save(OptimizerState& state) const {
  curvature_.save(state);
  state.put("kfac_steps", static_cast<double>(steps_));
}

template <class Scalar>
void KfacPreconditioner<Scalar>::load(const OptimizerState& state, Index n) {
  curvature_.load(state, n);
  steps_ = state.get_count("kfac_steps");
  preconditioned_.resize(n);
}

template class KfacPreconditioner<float>;
template class KfacPreconditioner<double>;

}  // namespace curvopt
