#include "curvopt/optim/accept/keep_best.h"

#include <cmath>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
KeepBest<Scalar>::KeepBest(std::unique_ptr<Optimizer<Scalar>> inner) : inner_(std::move(inner)) {
  if (!inner_) throw ConfigError("KeepBest: no optimizer to wrap");
}

template <class Scalar>
StepReport KeepBest<Scalar>::step(Problem<Scalar>& problem, VectorRef<Scalar> params) {
  start_ = params;  // same size after the first step: no allocation
  const StepReport report = inner_->step(problem, params);
  if (std::isfinite(report.loss_before))
    best_.observe_start(problem.data_version(), report.loss_before, start_);
  if (report.accepted() && report.loss_after && std::isfinite(*report.loss_after))
    best_.observe_accepted(*report.loss_after, params);
  return report;
}

template <class Scalar>
const Vector<Scalar>* KeepBest<Scalar>::evaluation_parameters() const {
  const Vector<Scalar>* best = best_.better_than_current();
  return best ? best : inner_->evaluation_parameters();
}

template <class Scalar>
void KeepBest<Scalar>::reset() {
  inner_->reset();
  best_.reset();
}

template <class Scalar>
OptimizerState KeepBest<Scalar>::save_state() const {
  OptimizerState state = inner_->save_state();
  best_.save(state, "keep_best.");
  return state;
}

template <class Scalar>
void KeepBest<Scalar>::load_state(const OptimizerState& state) {
  inner_->load_state(state);
  best_.reset();
  best_.load(state, static_cast<Index>(state.get_count("num_parameters")), "keep_best.");
}

template class KeepBest<float>;
template class KeepBest<double>;

}  // namespace curvopt
