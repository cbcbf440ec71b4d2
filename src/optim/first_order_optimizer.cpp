#include "curvopt/optim/first_order_optimizer.h"

#include <cmath>

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(GradientPreconditioner, {GradientPreconditioner::kNone, "none"},
                   {GradientPreconditioner::kKfac, "kfac"})

std::optional<std::string> UpdateControlOptions::validate() const {
  if (auto e = schedule.validate()) return e;
  if (auto e = clipping.validate()) return e;
  // Validated even while off, so that a mistyped kfac_damping=-1 is not silently ignored.
  if (auto e = kfac.validate()) return e;
  return averaging.validate();
}

template <class Scalar>
FirstOrderOptimizer<Scalar>::FirstOrderOptimizer(double learning_rate,
                                                 const UpdateControlOptions& control)
    : learning_rate_(learning_rate), control_(control), averager_(control.averaging) {
  if (control.precondition == GradientPreconditioner::kKfac)
    kfac_ = std::make_unique<KfacPreconditioner<Scalar>>(control.kfac);
}

template <class Scalar>
OracleSet FirstOrderOptimizer<Scalar>::required_oracles() const {
  OracleSet oracles = method_oracles();
  if (kfac_) oracles = oracles | Oracle::kKfacStatistics;
  return oracles;
}

template <class Scalar>
void FirstOrderOptimizer<Scalar>::ensure_size(Index n) {
  if (n_ == n && grad_.size() == n) return;
  grad_.resize(n);
  next_.resize(n);
  if (n_ != n) initialize_state(n);
  averager_.reserve(n);
  n_ = n;
}

template <class Scalar>
StepReport FirstOrderOptimizer<Scalar>::step(Problem<Scalar>& problem, VectorRef<Scalar> params) {
  detail::check_parameter_count(this->name(), params.size(), problem.num_parameters(), n_);
  problem.require(this->required_oracles(), this->name());
  ensure_size(params.size());

  StepReport report;
  detail::PhaseTimer total(report.times.total_seconds);
  report.step = num_steps_++;
  const double lr = scheduled_learning_rate(control_.schedule, learning_rate_, num_updates_);
  report.learning_rate = lr;

  if (!detail::evaluate_gradient<Scalar>(problem, params, grad_, report)) return report;
  {
    detail::PhaseTimer timer(report.times.direction_seconds);
    report.gradient_norm = control_.clipping.enabled()
                               ? clip_gradient<Scalar>(control_.clipping, grad_)
                               : static_cast<double>(grad_.norm());
    if (kfac_) {
      detail::PhaseTimer curvature(report.times.curvature_seconds);
      if (!kfac_->apply(problem, params, lr, grad_)) {
        report.status = StepStatus::kNumericalIssue;
        report.message = "non-finite K-FAC statistics; parameters unchanged";
        return report;
      }
    }
    current_loss_ = report.loss_before;
    current_problem_ = &problem;
    propose(params, grad_, lr, num_updates_ + 1, next_);
    current_problem_ = nullptr;
  }
  if (!next_.allFinite()) {
    if (kfac_) kfac_->rollback();
    report.status = StepStatus::kNumericalIssue;
    report.message = "non-finite update; parameters unchanged";
    return report;
  }
  // The average starts from the iterate before the first averaged update (θ̄₀ = θ₀).
  if (averager_.average() == nullptr) averager_.add(params, num_updates_);
  commit();
  report.step_norm = static_cast<double>((next_ - params).norm());
  params = next_;
  ++num_updates_;
  averager_.add(params, num_updates_);
  return report;
}

template <class Scalar>
void FirstOrderOptimizer<Scalar>::reset() {
  n_ = 0;
  num_steps_ = 0;
  num_updates_ = 0;
  averager_.reset();
  if (kfac_) kfac_->reset();
}

template <class Scalar>
OptimizerState FirstOrderOptimizer<Scalar>::save_state() const {
  OptimizerState state{std::string(this->name())};
  state.put("num_parameters", static_cast<double>(n_));
  state.put("num_steps", static_cast<double>(num_steps_));
  state.put("num_updates", static_cast<double>(num_updates_));
  if (n_ > 0) save_method_state(state);
  averager_.save(state);
  if (kfac_) kfac_->save(state);
  return state;
}

template <class Scalar>
void FirstOrderOptimizer<Scalar>::load_state(const OptimizerState& state) {
  detail::check_state_owner(this->name(), state);
  const auto n = static_cast<Index>(state.get_count("num_parameters"));
  reset();
  if (n > 0) {
    ensure_size(n);
    load_method_state(state, n);
  }
  num_steps_ = state.get_count("num_steps");
  num_updates_ = state.get_count("num_updates");
  averager_.load(state);
  if (kfac_) kfac_->load(state, n);
}

template class FirstOrderOptimizer<float>;
template class FirstOrderOptimizer<double>;

}  // namespace curvopt
