#include "curvopt/optim/lbfgs.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "curvopt/core/errors.h"
#include "option_list.h"

namespace curvopt {

std::optional<std::string> LbfgsOptions::validate() const {
  const char* o = "LbfgsOptions";
  std::optional<std::string> memory_error;
  if (memory < 1)
    memory_error = "LbfgsOptions::memory = " + std::to_string(memory) + ": must be >= 1";
  return first_error({require_positive(o, "learning_rate", learning_rate), memory_error,
                      line_search.validate(),
                      require_non_negative(o, "curvature_epsilon", curvature_epsilon),
                      require_non_negative(o, "gradient_tolerance", gradient_tolerance),
                      require_non_negative(o, "change_tolerance", change_tolerance)});
}

template <class Scalar>
Lbfgs<Scalar>::Lbfgs(const Options& options)
    : options_((throw_if_invalid(options), options)), line_search_(options.line_search) {}

template <class Scalar>
const OptionFields<LbfgsOptions>& Lbfgs<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(learning_rate_field<Options>("first trial step scale > 0 (1)"));
    f.push_back(option_field<Options>(
        "memory", "curvature pairs kept >= 1 (100)", [](auto& o) -> auto& { return o.memory; },
        "history_size"));
    f.push_back(option_field<Options>(
        "line_search", "none, armijo, strong-wolfe (strong-wolfe)",
        [](auto& o) -> auto& { return o.line_search.kind; }));
    f.push_back(option_field<Options>(
        "c1", "sufficient-decrease constant (1e-4)",
        [](auto& o) -> auto& { return o.line_search.c1; }));
    f.push_back(option_field<Options>(
        "c2", "strong-Wolfe curvature constant (0.9)",
        [](auto& o) -> auto& { return o.line_search.c2; }));
    f.push_back(option_field<Options>(
        "backtrack_factor", "Armijo step shrink factor in (0, 1) (0.5)",
        [](auto& o) -> auto& { return o.line_search.backtrack_factor; }));
    f.push_back(option_field<Options>(
        "max_evaluations", "line-search evaluations per step (25)",
        [](auto& o) -> auto& { return o.line_search.max_evaluations; }, "max_ls"));
    f.push_back(option_field<Options>(
        "min_step", "Armijo gives up below this step (1e-25)",
        [](auto& o) -> auto& { return o.line_search.min_step; }));
    f.push_back(option_field<Options>(
        "bracket_tolerance", "zoom stops below this bracket width (1e-9)",
        [](auto& o) -> auto& { return o.line_search.bracket_tolerance; }));
    f.push_back(option_field<Options>(
        "curvature_epsilon", "pair test s'y > eps |s||y| (1e-8)",
        [](auto& o) -> auto& { return o.curvature_epsilon; }));
    f.push_back(option_field<Options>(
        "gradient_tolerance", "converged when max|g| <= this (1e-7)",
        [](auto& o) -> auto& { return o.gradient_tolerance; }));
    f.push_back(option_field<Options>(
        "change_tolerance", "converged when a step changes f or theta less (1e-9)",
        [](auto& o) -> auto& { return o.change_tolerance; }));
    f.push_back(option_field<Options>(
        "reset_on_failure", "drop the pairs after a failed line search (true)",
        [](auto& o) -> auto& { return o.reset_on_failure; }));
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Lbfgs<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
void Lbfgs<Scalar>::ensure_size(Index n) {
  if (n_ == n) return;
  memory_.resize(n, options_.memory);
  grad_.resize(n);
  direction_.resize(n);
  s_.resize(n);
  y_.resize(n);
  cached_params_.resize(n);
  cached_problem_ = nullptr;
  n_ = n;
}

template <class Scalar>
StepReport Lbfgs<Scalar>::step(Problem<Scalar>& problem, VectorRef<Scalar> params) {
  detail::check_parameter_count(name(), params.size(), problem.num_parameters(), n_);
  ensure_size(params.size());
  StepReport report;
  detail::PhaseTimer total(report.times.total_seconds);
  report.step = num_steps_++;
  report.learning_rate = options_.learning_rate;

  Scalar value;
  if (!evaluate_gradient(problem, params, value, report) || gradient_converged(report))
    return report;
  double slope, initial_step;
  {
    detail::PhaseTimer timer(report.times.direction_seconds);
    slope = two_loop_direction(initial_step);
  }
  LineSearchResult<Scalar> result;
  {
    detail::PhaseTimer timer(report.times.search_seconds);
    result = line_search_.search(problem, params, direction_, value, slope, initial_step);
  }
  last_outcome_ = result.outcome;
  report.num_value_evaluations = result.num_value_evaluations;
  report.num_gradient_evaluations += result.num_gradient_evaluations;
  report.inner_iterations = result.num_evaluations();
  report.num_trials = std::max(1, result.num_evaluations());
  if (!result.success()) {
    report.status = result.non_finite ? StepStatus::kNumericalIssue : StepStatus::kNoConvergence;
    report.message = result.message;
    if (options_.reset_on_failure) memory_.clear();
    return report;
  }
  commit(problem, params, value, result, report);
  return report;
}

template <class Scalar>
bool Lbfgs<Scalar>::evaluate_gradient(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                                      Scalar& value, StepReport& report) {
  {
    detail::PhaseTimer timer(report.times.gradient_seconds);
    const bool reuse = cached_problem_ == &problem && cached_version_ == problem.data_version() &&
                       std::memcmp(cached_params_.data(), params.data(),
                                   sizeof(Scalar) * static_cast<std::size_t>(n_)) == 0;
    if (reuse) {
      value = cached_value_;
    } else {
      value = problem.gradient(params, grad_);
      report.num_gradient_evaluations = 1;
      remember(problem, params, value);
    }
  }
  if (!detail::accept_gradient<Scalar>(value, grad_, report)) return false;
  report.gradient_norm = static_cast<double>(grad_.norm());
  return true;
}

template <class Scalar>
bool Lbfgs<Scalar>::gradient_converged(StepReport& report) const {
  if (!(static_cast<double>(grad_.cwiseAbs().maxCoeff()) <= options_.gradient_tolerance))
    return false;
  report.converged = true;
  report.loss_after = report.loss_before;
  report.message = "gradient tolerance met";
  return true;
}

template <class Scalar>
double Lbfgs<Scalar>::two_loop_direction(double& initial_step) {
  memory_.apply(grad_, direction_);
  direction_ = -direction_;
  double slope = static_cast<double>(grad_.dot(direction_));
  if (!(slope < 0) || !std::isfinite(slope)) {
    // Round-off can make H lose positive definiteness; restart from steepest descent.
    memory_.clear();
    direction_ = -grad_;
    slope = -static_cast<double>(grad_.squaredNorm());
  }
  initial_step = options_.learning_rate;
  if (memory_.empty())
    initial_step *= std::min(1.0, 1.0 / static_cast<double>(grad_.template lpNorm<1>()));
  return slope;
}

// Move to the accepted point, store the new curvature pair and test the change tolerance.
template <class Scalar>
void Lbfgs<Scalar>::commit(Problem<Scalar>& problem, VectorRef<Scalar> params, Scalar value,
                           const LineSearchResult<Scalar>& result, StepReport& report) {
  const Vector<Scalar>& point = line_search_.point();
  s_ = point - params;
  y_ = line_search_.gradient() - grad_;
  memory_.push(s_, y_, options_.curvature_epsilon);

  report.step_length = result.step_length;
  report.step_norm = static_cast<double>(s_.norm());
  report.loss_after = static_cast<double>(result.value);
  if (std::abs(static_cast<double>(result.value) - static_cast<double>(value)) <
          options_.change_tolerance ||
      static_cast<double>(s_.cwiseAbs().maxCoeff()) <= options_.change_tolerance) {
    report.converged = true;
    report.message = "change tolerance met";
  }
  params = point;
  grad_ = line_search_.gradient();
  remember(problem, point, result.value);
}

template <class Scalar>
void Lbfgs<Scalar>::remember(const Problem<Scalar>& problem, ConstVectorRef<Scalar> point,
                             Scalar value) {
  cached_params_ = point;
  cached_value_ = value;
  cached_version_ = problem.data_version();
  cached_problem_ = &problem;
}

template <class Scalar>
void Lbfgs<Scalar>::reset() {
  n_ = 0;
  num_steps_ = 0;
  memory_.clear();
  cached_problem_ = nullptr;
  last_outcome_ = LineSearchOutcome::kFailed;
}

template <class Scalar>
OptimizerState Lbfgs<Scalar>::save_state() const {
  OptimizerState state{std::string(name())};
  state.put("num_parameters", static_cast<double>(n_));
  state.put("num_steps", static_cast<double>(num_steps_));
  state.put("num_pairs", static_cast<double>(memory_.size()));
  Matrix<Scalar> s(n_, memory_.size()), y(n_, memory_.size());
  for (int i = 0; i < memory_.size(); ++i) {
    s.col(i) = memory_.s(i);
    y.col(i) = memory_.y(i);
  }
  state.put("pairs_s", s);
  state.put("pairs_y", y);
  return state;
}

template <class Scalar>
void Lbfgs<Scalar>::load_state(const OptimizerState& state) {
  detail::check_state_owner(name(), state);
  const auto n = static_cast<Index>(state.get_count("num_parameters"));
  const std::int64_t stored_pairs = state.get_count("num_pairs");  // compared before narrowing
  if (stored_pairs > options_.memory)
    throw ValueError("lbfgs: state holds " + std::to_string(stored_pairs) +
                     " pairs, more than memory = " + std::to_string(options_.memory));
  const auto pairs = static_cast<int>(stored_pairs);
  reset();
  num_steps_ = state.get_count("num_steps");
  if (n == 0) return;
  ensure_size(n);
  Matrix<Scalar> s(n, pairs), y(n, pairs);
  state.get_into("pairs_s", s);
  state.get_into("pairs_y", y);
  // The stored pairs passed the curvature test once; keep all of them.
  for (int i = 0; i < pairs; ++i) memory_.push(s.col(i), y.col(i), 0.0);
}

template class Lbfgs<float>;
template class Lbfgs<double>;

}  // namespace curvopt
