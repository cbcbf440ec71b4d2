// The descent × search loop. step() reads as its phases; each phase is a few lines below it.

#include "curvopt/optim/descent_search_minimizer.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "curvopt/core/errors.h"
#include "option_list.h"

namespace curvopt {

std::optional<std::string> DescentSearchOptions::validate() const {
  const char* o = "DescentSearchOptions";
  std::optional<std::string> trials, uphill_exponent;
  if (max_trials < 1)
    trials = "DescentSearchOptions::max_trials = " + std::to_string(max_trials) + ": must be >= 1";
  if (uphill) uphill_exponent = require_positive(o, "uphill.exponent", uphill->exponent);
  return first_error({require_positive(o, "learning_rate", learning_rate), trials,
                      require_non_negative(o, "gradient_tolerance", gradient_tolerance),
                      require_non_negative(o, "function_tolerance", function_tolerance),
                      require_non_negative(o, "step_tolerance", step_tolerance),
                      require_non_negative(o, "change_tolerance", change_tolerance),
                      uphill_exponent});
}

template <class Scalar>
DescentSearchMinimizer<Scalar>::DescentSearchMinimizer(std::string name,
                                                       std::unique_ptr<Descent<Scalar>> descent,
                                                       std::unique_ptr<Search> search,
                                                       const DescentSearchOptions& options)
    : name_(std::move(name)),
      descent_(std::move(descent)),
      search_(std::move(search)),
      options_(options) {
  throw_if_invalid(options);
  if (descent_->scalar() != search_->scalar_kind())
    throw ConfigError(name_ + ": the descent takes a " +
                      std::string(to_string(descent_->scalar())) + " but the search chooses a " +
                      std::string(to_string(search_->scalar_kind())));
}

template <class Scalar>
OracleSet DescentSearchMinimizer<Scalar>::required_oracles() const {
  return Oracle::kValue | Oracle::kGradient | descent_->required_oracles();
}

template <class Scalar>
StepReport DescentSearchMinimizer<Scalar>::step(Problem<Scalar>& problem,
                                                VectorRef<Scalar> params) {
  detail::check_parameter_count(name(), params.size(), problem.num_parameters(), n_);
  resize(params.size());
  problem.require(required_oracles(), name());
  StepReport report;
  report.solver = descent_->begin(problem, params.size());
  detail::PhaseTimer total(report.times.total_seconds);
  report.step = num_steps_++;
  report.learning_rate = options_.learning_rate;

  if (!evaluate_gradient(problem, params, report) || gradient_converged(report) ||
      !prepare(problem, params, report))
    return report;
  search_->begin_step(step_start(report));
  int inner = 0;
  report.num_trials = 0;
  report.status = StepStatus::kRejected;
  report.message = search_->rejected_message();
  for (int k = 0; k < options_.max_trials; ++k) {
    ++report.num_trials;
    const Trial trial = try_step(problem, params, report);
    inner += trial.iterations;
    if (trial.verdict != Verdict::kRejected) {
      commit(problem, trial, params, report);
      break;
    }
    if (trial.non_finite_gradient) {
      report.status = StepStatus::kNumericalIssue;
      report.message = "non-finite gradient at the accepted step; parameters unchanged";
      break;
    }
    if (refused_within_function_tolerance(trial.outcome)) {
      // As Ceres tests its candidate: a refused trial that moves the loss by less than the
      // tolerance ends the fit too. With strict-decrease acceptance a loss at 0 (or at its
      // rounding floor) is never lowered again, and only this test reports it converged.
      report.converged = true;
      report.loss_after = report.loss_before;
      report.message = "function tolerance met by a refused trial; parameters unchanged";
      break;
    }
    if (!search_->rejected(trial.outcome)) {
      report.status = StepStatus::kNoConvergence;
      report.stop_training = search_->exhaustion_stops_training();
      report.message = search_->exhausted_message();
      break;
    }
  }
  if (report.status != StepStatus::kAccepted) descent_->step_failed();
  finish(report, inner);
  return report;
}

template <class Scalar>
void DescentSearchMinimizer<Scalar>::resize(Index n) {
  if (n_ == n) return;
  n_ = n;
  for (Vector<Scalar>* v : {&grad_, &trial_, &direction_, &previous_}) v->resize(n);
  if (reuses_gradients()) {
    trial_gradient_.resize(n);
    cached_params_.resize(n);
  }
  has_previous_ = false;
  cached_problem_ = nullptr;
}

// Phase 1: loss and gradient at θ (reused when the last step ended here on the same data); a
// non-finite one ends the step with θ untouched.
template <class Scalar>
bool DescentSearchMinimizer<Scalar>::evaluate_gradient(Problem<Scalar>& problem,
                                                       ConstVectorRef<Scalar> params,
                                                       StepReport& report) {
  const bool reuse = cached_problem_ == &problem && cached_version_ == problem.data_version() &&
                     std::memcmp(cached_params_.data(), params.data(),
                                 sizeof(Scalar) * static_cast<std::size_t>(n_)) == 0;
  if (reuse) {
    if (!detail::accept_gradient<Scalar>(static_cast<Scalar>(cached_value_), grad_, report))
      return false;
  } else {
    if (!detail::evaluate_gradient<Scalar>(problem, params, grad_, report)) return false;
    if (reuses_gradients()) remember(problem, params, report.loss_before);
  }
  if (tracks_best()) best_.observe_start(problem.data_version(), report.loss_before, params);
  report.gradient_norm = static_cast<double>(grad_.norm());
  return true;
}

template <class Scalar>
bool DescentSearchMinimizer<Scalar>::gradient_converged(StepReport& report) const {
  if (!(options_.gradient_tolerance > 0 &&
        static_cast<double>(grad_.cwiseAbs().maxCoeff()) <= options_.gradient_tolerance))
    return false;
  report.converged = true;
  report.loss_after = report.loss_before;
  report_scalar(report, search_->scalar());
  report.message = "gradient tolerance met";
  return true;
}

// Phase 2: the descent's once-per-point work.
template <class Scalar>
bool DescentSearchMinimizer<Scalar>::prepare(Problem<Scalar>& problem,
                                             ConstVectorRef<Scalar> params, StepReport& report) {
  point_.reset();
  point_.emplace(DescentPoint<Scalar>{problem, params, grad_, report.loss_before,
                                      has_previous_ ? &previous_ : nullptr});
  return descent_->prepare(*point_, report);
}

// What the search is told at the start of its trials: f(θ), the descent's first scalar, and for
// a direction p the slope gᵀp and ‖p‖∞.
template <class Scalar>
StepStart DescentSearchMinimizer<Scalar>::step_start(const StepReport& report) const {
  StepStart start;
  start.value = report.loss_before;
  start.suggested_scalar = descent_->suggested_scalar();
  if (const Vector<Scalar>* p = descent_->direction()) {
    start.slope = static_cast<double>(grad_.dot(*p));
    start.direction_max_abs = static_cast<double>(p->cwiseAbs().maxCoeff());
  } else if (search_->needs_trial_gradient()) {
    throw ConfigError(name_ + ": the search measures slopes along a direction, and the descent " +
                      "does not have one");
  }
  return start;
}

// Phases 3 and 4 for the search's scalar: the step, then the trial and its verdict.
template <class Scalar>
typename DescentSearchMinimizer<Scalar>::Trial DescentSearchMinimizer<Scalar>::try_step(
    Problem<Scalar>& problem, ConstVectorRef<Scalar> params, StepReport& report) {
  Trial t;
  t.scalar = search_->scalar();
  trial_scalar_ = t.scalar;
  TrialOutcome& o = t.outcome;
  o.f_old = report.loss_before;
  {
    detail::PhaseTimer timer(report.times.direction_seconds);
    const DescentResult result = descent_->step(t.scalar, direction_);
    t.iterations = result.iterations;
    if (!result.ok) {
      if (!result.message.empty()) report.message = result.message;
      return t;
    }
  }
  detail::PhaseTimer timer(report.times.search_seconds);
  const double lr = options_.learning_rate;
  o.scalar = t.scalar;
  trial_gradient_fresh_ = false;
  if (search_->needs_trial_gradient()) {
    o.f_new = evaluate_trial_gradient(problem, params, lr, report);
    if (trial_gradient_fresh_)
      o.trial_slope = static_cast<double>(trial_gradient_.dot(*descent_->direction()));
  } else if (search_->needs_trial_value()) {
    o.f_new = evaluate_trial(problem, params, lr, report);
  } else {
    form_trial(params, lr);
    o.evaluated = false;
    o.f_new = std::numeric_limits<double>::quiet_NaN();
  }
  o.finite = o.evaluated ? std::isfinite(o.f_new) : static_cast<bool>(trial_.allFinite());
  // The model's predicted reduction for the trial step lr·s: −(lr·gᵀs + ½lr²·sᵀBs).
  const double slope = static_cast<double>(grad_.dot(direction_));
  const double curvature = search_->uses_prediction() ? descent_->curvature(direction_) : 0.0;
  o.predicted = -(lr * slope + 0.5 * lr * lr * curvature);
  o.rho = gain_ratio(o.f_old, o.f_new, o.predicted);
  o.slope = lr * slope;
  o.step_norm = lr * static_cast<double>(direction_.norm());
  if (search_->uses_prediction()) {
    report.predicted_reduction = o.predicted;
    report.gain_ratio = o.rho;
  }
  if (search_->accepts(o)) {
    t.verdict = Verdict::kAccepted;
  } else {
    second_chance(problem, params, t, report);
  }
  if (t.verdict != Verdict::kRejected && descent_->needs_accepted_gradient() &&
      !gradient_for_descent(problem, t, report)) {
    t.verdict = Verdict::kRejected;
    t.non_finite_gradient = true;
  }
  return t;
}

// The accepted trial's gradient on the step's data, for a descent that learns from it (the
// trial's own when the search asked for it, unless the rescue moved the trial).
template <class Scalar>
bool DescentSearchMinimizer<Scalar>::gradient_for_descent(Problem<Scalar>& problem, Trial& t,
                                                          StepReport& report) {
  if (t.verdict == Verdict::kRescued) trial_gradient_fresh_ = false;
  if (!trial_gradient_fresh_) {
    t.outcome.f_new = static_cast<double>(problem.gradient(trial_, trial_gradient_));
    ++report.num_gradient_evaluations;
    trial_gradient_fresh_ = true;
  }
  return std::isfinite(t.outcome.f_new) && trial_gradient_.allFinite();
}

// A trial the search refused may still be taken as an uphill step that continues the previous
// one, or rescued by a search over the learning rate along its direction.
template <class Scalar>
bool DescentSearchMinimizer<Scalar>::second_chance(Problem<Scalar>& problem,
                                                   ConstVectorRef<Scalar> params, Trial& t,
                                                   StepReport& report) {
  const double f_old = t.outcome.f_old;
  if (options_.uphill && has_previous_) {
    const double reference =
        options_.uphill_from_best && best_.has_best() ? best_.best_loss() : f_old;
    if (options_.uphill->accepts<Scalar>(t.outcome.f_new, reference, descent_->base_step(),
                                         previous_)) {
      t.verdict = Verdict::kUphill;
      return true;
    }
  }
  if (!options_.rescue) return false;
  const auto rescue = options_.rescue->search(
      [&](double rate) { return evaluate_trial(problem, params, rate, report); }, f_old);
  if (!rescue.found) return false;
  t.outcome.f_new = evaluate_trial(problem, params, rescue.learning_rate, report);  // trial_ at lr*
  t.learning_rate = rescue.learning_rate;
  t.verdict = Verdict::kRescued;
  return true;
}

// θ + lr·s; along a descent's direction p as θ + (lr·α)·p, one rounding per coordinate.
template <class Scalar>
void DescentSearchMinimizer<Scalar>::form_trial(ConstVectorRef<Scalar> params, double lr) {
  if (const Vector<Scalar>* p = descent_->direction())
    trial_ = params + static_cast<Scalar>(lr * trial_scalar_) * *p;
  else
    trial_ = params + static_cast<Scalar>(lr) * direction_;
}

template <class Scalar>
double DescentSearchMinimizer<Scalar>::evaluate_trial(Problem<Scalar>& problem,
                                                      ConstVectorRef<Scalar> params, double lr,
                                                      StepReport& report) {
  form_trial(params, lr);
  if (!trial_.allFinite()) return std::numeric_limits<double>::quiet_NaN();
  ++report.num_value_evaluations;
  return static_cast<double>(problem.value(trial_));
}

template <class Scalar>
double DescentSearchMinimizer<Scalar>::evaluate_trial_gradient(Problem<Scalar>& problem,
                                                               ConstVectorRef<Scalar> params,
                                                               double lr, StepReport& report) {
  form_trial(params, lr);
  if (!trial_.allFinite()) return std::numeric_limits<double>::quiet_NaN();
  ++report.num_gradient_evaluations;
  trial_gradient_fresh_ = true;
  return static_cast<double>(problem.gradient(trial_, trial_gradient_));
}

// Phase 5: move to the trial, update the search, the descent and the records.
template <class Scalar>
void DescentSearchMinimizer<Scalar>::commit(Problem<Scalar>& problem, const Trial& trial,
                                            VectorRef<Scalar> params, StepReport& report) {
  const double f_new = trial.outcome.f_new;
  report.status = StepStatus::kAccepted;
  report.message = trial.verdict == Verdict::kUphill    ? "uphill step accepted"
                   : trial.verdict == Verdict::kRescued ? "accepted after the learning-rate search"
                                                        : std::string_view();
  report_scalar(report, trial.scalar);
  if (trial.outcome.evaluated) report.loss_after = f_new;
  if (trial.verdict == Verdict::kRescued) report.learning_rate = trial.learning_rate;
  previous_ = trial_ - params;
  report.step_norm = static_cast<double>(previous_.norm());
  has_previous_ = true;
  params = trial_;
  if (tracks_best() && trial.outcome.evaluated) best_.observe_accepted(f_new, params);
  descent_->accepted();
  if (descent_->needs_accepted_gradient()) descent_->learn(previous_, grad_, trial_gradient_);
  if (trial_gradient_fresh_ && reuses_gradients()) {
    grad_.swap(trial_gradient_);
    trial_gradient_fresh_ = false;
    remember(problem, params, f_new);
  }
  // A step saved by the learning-rate search with lr* < 1 says the full step was too long: the
  // search moves as after a rejection (λ rises), else it would keep accepting negligible steps
  // (lr* = 1e-6) with its scalar stuck. With lr* ≥ 1 the step was short: as after an accept
  // (Pooladzandi & Zhou 2022 leave this open).
  if (trial.verdict == Verdict::kRescued && trial.learning_rate < 1.0)
    search_->rejected(trial.outcome);
  else
    search_->accepted(trial.outcome);
  test_convergence(trial, params, report);
}

template <class Scalar>
bool DescentSearchMinimizer<Scalar>::refused_within_function_tolerance(
    const TrialOutcome& outcome) const {
  const double tol_f = options_.function_tolerance;
  return tol_f > 0 && outcome.evaluated && std::isfinite(outcome.f_new) &&
         std::abs(outcome.f_old - outcome.f_new) <= tol_f * outcome.f_old;
}

template <class Scalar>
void DescentSearchMinimizer<Scalar>::test_convergence(const Trial& trial,
                                                      ConstVectorRef<Scalar> params,
                                                      StepReport& report) const {
  const double f_old = trial.outcome.f_old, f_new = trial.outcome.f_new;
  const double tol_f = options_.function_tolerance, tol_x = options_.step_tolerance;
  const double tol_change = options_.change_tolerance;
  if (tol_f > 0 && std::abs(f_old - f_new) <= tol_f * f_old) {
    report.converged = true;
    report.message = "function tolerance met";
  } else if (tol_x > 0 &&
             report.step_norm <= tol_x * (static_cast<double>(params.norm()) + tol_x)) {
    report.converged = true;
    report.message = "step tolerance met";
  } else if (tol_change > 0 &&
             (std::abs(f_new - f_old) < tol_change ||
              static_cast<double>(previous_.cwiseAbs().maxCoeff()) <= tol_change)) {
    report.converged = true;
    report.message = "change tolerance met";
  } else if (report.step_norm == 0) {
    // An accepted step too small to change any parameter: every later step from here is the
    // same, so this is a stationary point to working precision, whatever the tolerances say.
    report.converged = true;
    report.message = "the step leaves the parameters unchanged (converged to working precision)";
  }
}

template <class Scalar>
void DescentSearchMinimizer<Scalar>::remember(const Problem<Scalar>& problem,
                                              ConstVectorRef<Scalar> params, double value) {
  cached_params_ = params;
  cached_value_ = value;
  cached_version_ = problem.data_version();
  cached_problem_ = &problem;
}

template <class Scalar>
void DescentSearchMinimizer<Scalar>::finish(StepReport& report, int inner_iterations) const {
  if (report.status != StepStatus::kAccepted && search_->scalar_kind() == StepScalar::kDamping)
    report.damping = search_->scalar();
  report.inner_iterations = inner_iterations;
  descent_->report_times(report.times);
  report.num_curvature_products += descent_->curvature_products();
}

template <class Scalar>
void DescentSearchMinimizer<Scalar>::report_scalar(StepReport& report, double scalar) const {
  switch (search_->scalar_kind()) {
    case StepScalar::kDamping:
      report.damping = scalar;
      break;
    case StepScalar::kStepSize:
      report.step_length = scalar;
      break;
    case StepScalar::kRadius:  // the step's norm says how far it went
      break;
  }
}

template <class Scalar>
const Vector<Scalar>* DescentSearchMinimizer<Scalar>::evaluation_parameters() const {
  return options_.keep_best ? best_.better_than_current() : nullptr;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> DescentSearchMinimizer<Scalar>::options() const {
  const auto text = [](double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    return std::string(buffer);
  };
  return {{"learning_rate", text(options_.learning_rate)},
          {"max_trials", std::to_string(options_.max_trials)},
          {"gradient_tolerance", text(options_.gradient_tolerance)},
          {"function_tolerance", text(options_.function_tolerance)},
          {"step_tolerance", text(options_.step_tolerance)},
          {"change_tolerance", text(options_.change_tolerance)}};
}

template <class Scalar>
void DescentSearchMinimizer<Scalar>::reset() {
  n_ = 0;
  num_steps_ = 0;
  search_->reset();
  descent_->reset();
  has_previous_ = false;
  cached_problem_ = nullptr;
  best_.reset();
}

template <class Scalar>
OptimizerState DescentSearchMinimizer<Scalar>::save_state() const {
  OptimizerState state{std::string(name())};
  state.put("num_parameters", static_cast<double>(n_));
  state.put("num_steps", static_cast<double>(num_steps_));
  state.put("has_previous_step", has_previous_ ? 1.0 : 0.0);
  if (has_previous_) state.put("previous_step", previous_);
  search_->save(state);
  descent_->save(state);
  if (tracks_best()) best_.save(state);
  return state;
}

template <class Scalar>
void DescentSearchMinimizer<Scalar>::load_state(const OptimizerState& state) {
  detail::check_state_owner(name(), state);
  reset();
  const auto n = static_cast<Index>(state.get_count("num_parameters"));
  num_steps_ = state.get_count("num_steps");
  search_->load(state);
  if (n > 0) {
    resize(n);
    has_previous_ = state.get_scalar("has_previous_step") != 0;
    if (has_previous_) state.get_into("previous_step", previous_);
  }
  descent_->load(state, n);
  if (tracks_best()) best_.load(state, n);  // the record continues on the data it was saved with
}

template class DescentSearchMinimizer<float>;
template class DescentSearchMinimizer<double>;

}  // namespace curvopt
