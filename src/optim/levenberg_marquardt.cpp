#include "curvopt/optim/levenberg_marquardt.h"

#include <cmath>
#include <limits>

#include "curvopt/core/errors.h"
#include "option_list.h"

namespace curvopt {

std::string_view to_string(DampingMatrix m) {
  switch (m) {
    case DampingMatrix::kIdentity:
      return "identity";
    case DampingMatrix::kMarquardt:
      return "marquardt";
    case DampingMatrix::kMaxDiagonal:
      return "max-diagonal";
  }
  return "unknown";
}

bool parse_enum(std::string_view text, DampingMatrix& out) {
  for (DampingMatrix m :
       {DampingMatrix::kIdentity, DampingMatrix::kMarquardt, DampingMatrix::kMaxDiagonal}) {
    if (text == to_string(m)) {
      out = m;
      return true;
    }
  }
  return false;
}

std::string enum_choices(DampingMatrix) { return "identity, marquardt, max-diagonal"; }

std::optional<std::string> LevenbergMarquardtOptions::validate() const {
  const char* o = "LevenbergMarquardtOptions";
  std::optional<std::string> trials, cg;
  if (max_trials < 1)
    trials =
        "LevenbergMarquardtOptions::max_trials = " + std::to_string(max_trials) + ": must be >= 1";
  if (cg_max_iterations < 1)
    cg = "LevenbergMarquardtOptions::cg_max_iterations = " + std::to_string(cg_max_iterations) +
         ": must be >= 1";
  return first_error({require_positive(o, "memory_budget_bytes", memory_budget_bytes),
                      damping.validate(),
                      require_non_negative(o, "initial_diagonal", initial_diagonal),
                      require_positive(o, "min_diagonal", min_diagonal),
                      require_positive(o, "learning_rate", learning_rate), trials,
                      require_non_negative(o, "gradient_tolerance", gradient_tolerance), cg,
                      require_positive(o, "cg_tolerance", cg_tolerance)});
}

template <class Scalar>
LevenbergMarquardt<Scalar>::LevenbergMarquardt(const Options& options, std::string_view name)
    : options_((throw_if_invalid(options), options)), name_(name), search_(options.damping) {}

template <class Scalar>
const OptionFields<LevenbergMarquardtOptions>& LevenbergMarquardt<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(option_field<Options>(
        "form", "auto, parameter-space, data-space, cg (auto)",
        [](auto& o) -> auto& { return o.form; }));
    f.push_back(option_field<Options>(
        "memory_budget_bytes", "memory for explicit J and factors (1 GiB)",
        [](auto& o) -> auto& { return o.memory_budget_bytes; }));
    f.push_back(option_field<Options>(
        "damping_matrix", "identity, marquardt, max-diagonal (identity)",
        [](auto& o) -> auto& { return o.damping_matrix; }));
    f.push_back(option_field<Options>(
        "rule", "classic, delayed-gratification, gain-ratio, nielsen, trust-region (classic)",
        [](auto& o) -> auto& { return o.damping.rule; }));
    f.push_back(option_field<Options>(
        "damping", "initial lambda (1)", [](auto& o) -> auto& { return o.damping.initial_damping; },
        "lambda"));
    f.push_back(option_field<Options>(
        "min_damping", "lower bound of lambda (1e-12)",
        [](auto& o) -> auto& { return o.damping.min_damping; }));
    f.push_back(option_field<Options>(
        "max_damping", "upper bound; reaching it stops (1e10)",
        [](auto& o) -> auto& { return o.damping.max_damping; }));
    f.push_back(option_field<Options>(
        "decrease_factor", "classic rule: lambda /= this on accept (10)",
        [](auto& o) -> auto& { return o.damping.classic_decrease; }));
    f.push_back(option_field<Options>(
        "increase_factor", "classic rule: lambda *= this on reject (10)",
        [](auto& o) -> auto& { return o.damping.classic_increase; }));
    f.push_back(option_field<Options>(
        "initial_diagonal", "max-diagonal: starting d (0.01)",
        [](auto& o) -> auto& { return o.initial_diagonal; }));
    f.push_back(option_field<Options>(
        "min_diagonal", "floor of d (1e-8)", [](auto& o) -> auto& { return o.min_diagonal; }));
    f.push_back(learning_rate_field<Options>("step scale > 0 (1)"));
    f.push_back(option_field<Options>(
        "max_trials", "trial steps per call (20)", [](auto& o) -> auto& { return o.max_trials; }));
    f.push_back(option_field<Options>(
        "gradient_tolerance", "converged when max|g| <= this (0)",
        [](auto& o) -> auto& { return o.gradient_tolerance; }));
    f.push_back(option_field<Options>(
        "cg_max_iterations", "CG form: iteration limit (250)",
        [](auto& o) -> auto& { return o.cg_max_iterations; }));
    f.push_back(option_field<Options>(
        "cg_tolerance", "CG form: relative residual (1e-10)",
        [](auto& o) -> auto& { return o.cg_tolerance; }));
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> LevenbergMarquardt<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
OracleSet LevenbergMarquardt<Scalar>::required_oracles() const {
  if (options_.form == GaussNewtonForm::kConjugateGradient)
    return Oracle::kValue | Oracle::kGradient | Oracle::kGgnProduct;
  return Oracle::kValue | Oracle::kGradient | Oracle::kResiduals | Oracle::kJacobian;
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::ensure_descent(const Problem<Scalar>& problem, Index n) {
  const Index m = problem.num_residuals();
  if (descent_ && descent_m_ == m) return;
  GaussNewtonForm form = options_.form;
  if (form == GaussNewtonForm::kAuto)
    form = choose_gauss_newton_form(m, n, sizeof(Scalar), options_.memory_budget_bytes,
                                    options_.damping_matrix != DampingMatrix::kIdentity);
  if (form == GaussNewtonForm::kConjugateGradient &&
      options_.damping_matrix != DampingMatrix::kIdentity)
    throw ConfigError(name_ +
                      ": damping_matrix = " + std::string(to_string(options_.damping_matrix)) +
                      " needs diag(JᵀJ), which the matrix-free CG form cannot give; use identity "
                      "damping or raise memory_budget_bytes so that J fits");
  descent_ =
      make_gauss_newton_descent<Scalar>(form, options_.cg_max_iterations, options_.cg_tolerance);
  descent_m_ = m;
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::update_damping_diagonal() {
  const auto floor = static_cast<Scalar>(options_.min_diagonal);
  const Vector<Scalar>* diagonal = descent_->jtj_diagonal();
  switch (options_.damping_matrix) {
    case DampingMatrix::kIdentity:
      d_trial_.setOnes();
      break;
    case DampingMatrix::kMarquardt:
      d_trial_ = diagonal->cwiseMax(floor);
      break;
    case DampingMatrix::kMaxDiagonal:
      d_trial_ = d_.cwiseMax(*diagonal).cwiseMax(floor);
      break;
  }
}

template <class Scalar>
StepReport LevenbergMarquardt<Scalar>::step(Problem<Scalar>& problem, VectorRef<Scalar> params) {
  detail::check_parameter_count(name(), params.size(), problem.num_parameters(), n_);
  const Index n = params.size();
  if (n_ != n) {
    n_ = n;
    grad_.resize(n);
    s_.resize(n);
    trial_.resize(n);
    neg_grad_.resize(n);
    d_trial_.resize(n);
    d_.setConstant(n, static_cast<Scalar>(options_.initial_diagonal));
  }
  ensure_descent(problem, n);
  problem.require(required_oracles(), name());
  StepReport report;
  detail::PhaseTimer total(report.times.total_seconds);
  report.step = num_steps_++;
  report.learning_rate = options_.learning_rate;
  report.solver = to_string(descent_->form());

  Scalar loss;
  {
    detail::PhaseTimer timer(report.times.gradient_seconds);
    loss = problem.gradient(params, grad_);
  }
  report.num_gradient_evaluations = 1;
  report.loss_before = static_cast<double>(loss);
  if (!std::isfinite(loss) || !grad_.allFinite()) {
    report.status = StepStatus::kNumericalIssue;
    report.message = "non-finite loss or gradient; parameters unchanged";
    return report;
  }
  report.gradient_norm = static_cast<double>(grad_.norm());
  if (options_.gradient_tolerance > 0 &&
      static_cast<double>(grad_.cwiseAbs().maxCoeff()) <= options_.gradient_tolerance) {
    report.converged = true;
    report.loss_after = report.loss_before;
    report.damping = search_.damping();
    report.message = "gradient tolerance met";
    return report;
  }
  bool prepared;
  {
    detail::PhaseTimer timer(report.times.curvature_seconds);
    prepared = descent_->prepare(problem, params);
  }
  if (!prepared) {
    report.status = StepStatus::kNumericalIssue;
    report.message = "non-finite Jacobian; parameters unchanged";
    return report;
  }
  update_damping_diagonal();
  neg_grad_ = -grad_;
  const double f_old = report.loss_before;
  int inner = 0;
  report.num_trials = 0;
  report.status = StepStatus::kRejected;
  report.message = "no trial decreased the loss within max_trials; damping increased";
  for (int trial = 0; trial < options_.max_trials; ++trial) {
    ++report.num_trials;
    const double lambda = search_.damping();
    int iterations = 0;
    bool solved;
    {
      detail::PhaseTimer timer(report.times.direction_seconds);
      solved = descent_->solve(lambda, d_trial_, neg_grad_, s_, iterations);
    }
    inner += iterations;
    double f_new = std::numeric_limits<double>::quiet_NaN(), rho = -1;
    if (solved) {
      detail::PhaseTimer timer(report.times.search_seconds);
      trial_ = params + static_cast<Scalar>(options_.learning_rate) * s_;
      if (trial_.allFinite()) {
        f_new = static_cast<double>(problem.value(trial_));
        ++report.num_value_evaluations;
        // Predicted reduction of ½‖r‖² by the linear model: −(gᵀs + ½‖Js‖²).
        const double predicted =
            -(static_cast<double>(grad_.dot(s_)) + 0.5 * descent_->jacobian_norm_squared(s_));
        rho = predicted > 0 ? (f_old - f_new) / predicted : -1;
      }
    }
    if (search_.accepts(f_old, f_new, rho)) {
      report.status = StepStatus::kAccepted;
      report.message = {};
      report.damping = lambda;
      report.loss_after = f_new;
      report.step_norm = static_cast<double>((trial_ - params).norm());
      params = trial_;
      d_.swap(d_trial_);
      search_.accepted(f_old, f_new, rho);
      break;
    }
    if (!search_.rejected(f_old, f_new, rho)) {
      report.status = StepStatus::kNoConvergence;
      report.stop_training = true;
      report.message =
          "damping reached its maximum (max_damping) without a step that decreases "
          "the loss; stopping";
      break;
    }
  }
  if (report.status != StepStatus::kAccepted) report.damping = search_.damping();
  report.inner_iterations = inner;
  return report;
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::reset() {
  n_ = 0;
  num_steps_ = 0;
  search_.reset();
  descent_.reset();
  descent_m_ = -1;
}

template <class Scalar>
OptimizerState LevenbergMarquardt<Scalar>::save_state() const {
  OptimizerState state{std::string(name())};
  state.put("num_parameters", static_cast<double>(n_));
  state.put("num_steps", static_cast<double>(num_steps_));
  state.put("damping", search_.damping());
  state.put("nu", search_.nu());
  if (n_ > 0) state.put("damping_diagonal", d_);
  return state;
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::load_state(const OptimizerState& state) {
  detail::check_state_owner(name(), state);
  reset();
  const auto n = static_cast<Index>(state.get_scalar("num_parameters"));
  num_steps_ = static_cast<std::int64_t>(state.get_scalar("num_steps"));
  search_.set_damping(state.get_scalar("damping"));
  search_.set_nu(state.get_scalar("nu"));
  if (n > 0) {
    n_ = n;
    grad_.resize(n);
    s_.resize(n);
    trial_.resize(n);
    neg_grad_.resize(n);
    d_trial_.resize(n);
    d_.resize(n);
    state.get_into("damping_diagonal", d_);
  }
}

template class LevenbergMarquardt<float>;
template class LevenbergMarquardt<double>;

}  // namespace curvopt
