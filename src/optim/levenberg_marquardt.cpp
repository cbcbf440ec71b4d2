#include "curvopt/optim/levenberg_marquardt.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "curvopt/core/errors.h"
#include "curvopt/optim/adaptive_momentum.h"
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

std::string_view to_string(LmCurvature c) {
  return c == LmCurvature::kGaussNewton ? "gauss-newton" : "empirical-fisher";
}

bool parse_enum(std::string_view text, LmCurvature& out) {
  for (LmCurvature c : {LmCurvature::kGaussNewton, LmCurvature::kEmpiricalFisher}) {
    if (text == to_string(c)) {
      out = c;
      return true;
    }
  }
  return false;
}

std::string enum_choices(LmCurvature) { return "gauss-newton, empirical-fisher"; }

std::string_view to_string(LrSearchGrid g) { return g == LrSearchGrid::kS1 ? "s1" : "halving"; }

bool parse_enum(std::string_view text, LrSearchGrid& out) {
  for (LrSearchGrid g : {LrSearchGrid::kS1, LrSearchGrid::kHalving}) {
    if (text == to_string(g)) {
      out = g;
      return true;
    }
  }
  return false;
}

std::string enum_choices(LrSearchGrid) { return "s1, halving"; }

std::optional<std::string> LevenbergMarquardtOptions::validate() const {
  const char* o = "LevenbergMarquardtOptions";
  std::optional<std::string> trials, cg, geodesic_fisher;
  if (geodesic && curvature == LmCurvature::kEmpiricalFisher)
    geodesic_fisher =
        "LevenbergMarquardtOptions::geodesic = true: geodesic acceleration needs second "
        "derivatives of the residuals, which the empirical Fisher (constant residuals) lacks; "
        "use curvature = gauss-newton";
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
                      require_non_negative(o, "gradient_tolerance", gradient_tolerance),
                      require_non_negative(o, "function_tolerance", function_tolerance),
                      require_non_negative(o, "step_tolerance", step_tolerance), cg,
                      require_positive(o, "cg_tolerance", cg_tolerance),
                      require_non_negative(o, "momentum_step_length", momentum_step_length),
                      momentum_xi > 0 && momentum_xi < 1
                          ? std::nullopt
                          : out_of_range(o, "momentum_xi", momentum_xi, "in (0, 1)"),
                      require_positive(o, "uphill_exponent", uphill_exponent),
                      require_positive(o, "geodesic_h", geodesic_h),
                      require_positive(o, "geodesic_ratio", geodesic_ratio), geodesic_fisher});
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
        "curvature", "gauss-newton, empirical-fisher (gauss-newton)",
        [](auto& o) -> auto& { return o.curvature; }));
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
        "function_tolerance", "converged when |df| <= this * f (0)",
        [](auto& o) -> auto& { return o.function_tolerance; }));
    f.push_back(option_field<Options>(
        "step_tolerance", "converged when |dx| <= this * (|x| + this) (0)",
        [](auto& o) -> auto& { return o.step_tolerance; }));
    f.push_back(option_field<Options>(
        "cg_max_iterations", "CG form: iteration limit (250)",
        [](auto& o) -> auto& { return o.cg_max_iterations; }));
    f.push_back(option_field<Options>(
        "cg_tolerance", "CG form: relative residual (1e-10)",
        [](auto& o) -> auto& { return o.cg_tolerance; }));
    f.push_back(option_field<Options>(
        "momentum", "adaptive momentum (false)", [](auto& o) -> auto& { return o.momentum; }));
    f.push_back(option_field<Options>(
        "momentum_step_length", "momentum: dP in H's metric; 0 = 0.6*sqrt(2/m) (0)",
        [](auto& o) -> auto& { return o.momentum_step_length; }));
    f.push_back(option_field<Options>(
        "momentum_cap", "momentum: dP at most the LM step's H-length (true)",
        [](auto& o) -> auto& { return o.momentum_cap; }));
    f.push_back(option_field<Options>(
        "momentum_xi", "momentum: xi in (0, 1) (0.9)",
        [](auto& o) -> auto& { return o.momentum_xi; }));
    f.push_back(option_field<Options>(
        "lr_search", "learning-rate grid search on failure (false)",
        [](auto& o) -> auto& { return o.lr_search; }));
    f.push_back(option_field<Options>(
        "lr_search_grid", "s1 (72-point grid), halving (1/2..1/64, first decrease) (s1)",
        [](auto& o) -> auto& { return o.lr_search_grid; }));
    f.push_back(option_field<Options>(
        "uphill", "uphill step acceptance (false)", [](auto& o) -> auto& { return o.uphill; }));
    f.push_back(option_field<Options>(
        "uphill_exponent", "uphill: exponent b (2)",
        [](auto& o) -> auto& { return o.uphill_exponent; }));
    f.push_back(option_field<Options>(
        "uphill_from_best", "uphill: compare with the best loss, not the current (true)",
        [](auto& o) -> auto& { return o.uphill_from_best; }));
    f.push_back(option_field<Options>(
        "geodesic", "geodesic acceleration (false)", [](auto& o) -> auto& { return o.geodesic; }));
    f.push_back(option_field<Options>(
        "geodesic_h", "geodesic: finite-difference step (0.1)",
        [](auto& o) -> auto& { return o.geodesic_h; }));
    f.push_back(option_field<Options>(
        "geodesic_ratio", "geodesic: max 2|a|/|v| (0.75)",
        [](auto& o) -> auto& { return o.geodesic_ratio; }));
    f.push_back(option_field<Options>(
        "keep_best", "full batch: evaluate on the best iterate seen (false)",
        [](auto& o) -> auto& { return o.keep_best; }));
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
  if (options_.curvature == LmCurvature::kEmpiricalFisher)
    return Oracle::kValue | Oracle::kGradient | Oracle::kPerExampleGradients;
  OracleSet set = options_.form == GaussNewtonForm::kConjugateGradient
                      ? Oracle::kValue | Oracle::kGradient | Oracle::kGgnProduct
                      : Oracle::kValue | Oracle::kGradient | Oracle::kResiduals | Oracle::kJacobian;
  if (options_.geodesic) set = set | Oracle::kResiduals | Oracle::kJvp | Oracle::kVjp;
  return set;
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::ensure_descent(const Problem<Scalar>& problem, Index n) {
  const Index m = problem.num_residuals();
  if (descent_ && descent_m_ == m) return;
  GaussNewtonForm form = options_.form;
  if (form == GaussNewtonForm::kAuto)
    form = choose_gauss_newton_form(m, n, sizeof(Scalar), options_.memory_budget_bytes,
                                    problem.num_jacobian_blocks());
  if (form == GaussNewtonForm::kConjugateGradient &&
      options_.damping_matrix != DampingMatrix::kIdentity)
    throw ConfigError(name_ +
                      ": damping_matrix = " + std::string(to_string(options_.damping_matrix)) +
                      " needs diag(JᵀJ), which the matrix-free CG form cannot give; use identity "
                      "damping or raise memory_budget_bytes so that J fits");
  // Identity damping needs no diag(JᵀJ): the data-space form can then take JJᵀ from the
  // problem's Gram oracle (cheap identities for Dense layers) without forming J.
  const OracleSet gram_path = Oracle::kGram | Oracle::kJvp | Oracle::kVjp;
  const bool use_gram_oracle =
      options_.damping_matrix == DampingMatrix::kIdentity && problem.oracles().contains(gram_path);
  descent_ =
      make_gauss_newton_descent<Scalar>(form, options_.cg_max_iterations, options_.cg_tolerance,
                                        options_.memory_budget_bytes, use_gram_oracle);
  descent_m_ = m;
}

template <class Scalar>
Problem<Scalar>& LevenbergMarquardt<Scalar>::curvature_problem(Problem<Scalar>& problem) {
  if (options_.curvature == LmCurvature::kGaussNewton) return problem;
  if (!fisher_ || fisher_inner_ != &problem) {
    fisher_ = std::make_unique<EmpiricalFisherProblem<Scalar>>(problem);
    fisher_inner_ = &problem;
  }
  return *fisher_;
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::track_best_before(const Problem<Scalar>& problem, double f,
                                                   ConstVectorRef<Scalar> params) {
  if (!tracks_best()) return;
  if (problem.data_version() != best_version_ && !std::exchange(adopt_version_, false))
    has_best_ = false;
  best_version_ = problem.data_version();
  current_loss_ = f;
  if (!has_best_ || f < best_loss_) {
    best_ = params;
    best_loss_ = f;
    has_best_ = true;
  }
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::track_best_after(double f, ConstVectorRef<Scalar> params) {
  if (!tracks_best()) return;
  current_loss_ = f;
  if (f < best_loss_) {
    best_ = params;
    best_loss_ = f;
  }
}

template <class Scalar>
const Vector<Scalar>* LevenbergMarquardt<Scalar>::evaluation_parameters() const {
  return options_.keep_best && has_best_ && best_loss_ < current_loss_ ? &best_ : nullptr;
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
    direction_.resize(n);
    previous_.resize(n);
    work_.resize(n);
    has_previous_ = false;
    d_.setConstant(n, static_cast<Scalar>(options_.initial_diagonal));
  }
  problem.require(required_oracles(), name());
  Problem<Scalar>& curvature = curvature_problem(problem);
  ensure_descent(curvature, n);
  descent_->times() = {};
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
  track_best_before(problem, report.loss_before, params);
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
    prepared = descent_->prepare(curvature, params);
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
      solved = descent_->solve(lambda, d_trial_, neg_grad_, s_, iterations);  // v = −H⁻¹g
      direction_ = s_;
      if (solved && options_.momentum && has_previous_) {
        // I_FF = prevᵀ(JᵀJ + λD)prev.
        const double i_ff =
            descent_->jacobian_norm_squared(previous_) +
            lambda * static_cast<double>((d_trial_.array() * previous_.array().square()).sum());
        double dp = options_.momentum_step_length > 0
                        ? options_.momentum_step_length
                        : 0.6 * std::sqrt(2.0 / static_cast<double>(curvature.num_residuals()));
        // Capped, the momentum step is never longer in H's metric than the LM step √(gᵀH⁻¹g)
        // it modifies, so it shrinks as the iterate converges instead of orbiting at δP.
        if (options_.momentum_cap)
          dp = std::min(dp, std::sqrt(std::max(0.0, -static_cast<double>(grad_.dot(s_)))));
        adaptive_momentum_step<Scalar>(s_, grad_, previous_, i_ff, dp, options_.momentum_xi,
                                       direction_);
      }
      if (solved && options_.geodesic) {
        int geodesic_iterations = 0;
        solved = geodesic_correction(problem, params, lambda, geodesic_iterations);
        iterations += geodesic_iterations;
        if (!solved) report.message = "geodesic correction too large; damping increased";
      }
    }
    inner += iterations;
    double f_new = std::numeric_limits<double>::quiet_NaN(), rho = -1;
    bool accept = false, accepted_by_search = false;
    if (solved) {
      detail::PhaseTimer timer(report.times.search_seconds);
      const double lr = options_.learning_rate;
      f_new = evaluate_trial(problem, params, lr, report);
      // Predicted reduction of ½‖r‖² by the linear model: −(gᵀs + ½‖Js‖²), s = lr·direction.
      const double predicted = -(lr * static_cast<double>(grad_.dot(direction_)) +
                                 0.5 * lr * lr * descent_->jacobian_norm_squared(direction_));
      rho = predicted > 0 ? (f_old - f_new) / predicted : -1;
      accept = search_.accepts(f_old, f_new, rho);
      if (!accept && options_.uphill && has_previous_ && std::isfinite(f_new)) {
        // β = cos(v, previous update) (Pooladzandi & Zhou's code); the factor never exceeds 1
        // (geodesicLM).
        const double denominator = static_cast<double>(s_.norm() * previous_.norm());
        const double beta =
            denominator > 0 ? static_cast<double>(s_.dot(previous_)) / denominator : 0.0;
        const double factor = std::min(1.0, 1 - beta);
        const double reference = options_.uphill_from_best && has_best_ ? best_loss_ : f_old;
        accept = std::pow(factor, options_.uphill_exponent) * f_new <= reference;
        if (accept) report.message = "uphill step accepted";
      }
      if (!accept && options_.lr_search) {
        // On the same batch: the grid of Pooladzandi & Zhou (2022), lr_j = 1e-6 + 0.125 j
        // (j = 0..71), best of all; or
        // halving from 1/2, stopping at the first decrease.
        double best_f = std::numeric_limits<double>::infinity(), best_lr = 0;
        if (options_.lr_search_grid == LrSearchGrid::kS1) {
          for (int k = 0; k < 72; ++k) {
            const double candidate = 1e-6 + 0.125 * k;
            const double f = evaluate_trial(problem, params, candidate, report);
            if (f < best_f) best_f = f, best_lr = candidate;
          }
        } else {
          for (double candidate = 0.5; candidate >= 1.0 / 64 && !(best_f < f_old); candidate /= 2) {
            const double f = evaluate_trial(problem, params, candidate, report);
            if (f < best_f) best_f = f, best_lr = candidate;
          }
        }
        if (best_f < f_old) {
          f_new = evaluate_trial(problem, params, best_lr, report);
          accept = true;
          accepted_by_search = true;
          report.learning_rate = best_lr;
          report.message = "accepted after the learning-rate search";
        }
      }
    }
    if (accept) {
      report.status = StepStatus::kAccepted;
      if (report.message.find("damping") != std::string_view::npos) report.message = {};
      report.damping = lambda;
      report.loss_after = f_new;
      previous_ = trial_ - params;
      report.step_norm = static_cast<double>(previous_.norm());
      has_previous_ = true;
      params = trial_;
      track_best_after(f_new, params);
      d_.swap(d_trial_);
      // A step saved by the learning-rate search with lr* < 1 says the full step was too long:
      // λ rises as after a rejection, else the search would keep accepting negligible steps
      // (lr* = 1e-6) with λ stuck. With lr* ≥ 1 the step was short: λ falls as after an accept
      // (the paper leaves this open).
      if (accepted_by_search && report.learning_rate < 1.0) {
        search_.rejected(f_old, f_new, rho);
      } else {
        search_.accepted(f_old, f_new, rho);
      }
      const double tol_f = options_.function_tolerance, tol_x = options_.step_tolerance;
      if (tol_f > 0 && std::abs(f_old - f_new) <= tol_f * f_old) {
        report.converged = true;
        report.message = "function tolerance met";
      } else if (tol_x > 0 &&
                 report.step_norm <= tol_x * (static_cast<double>(params.norm()) + tol_x)) {
        report.converged = true;
        report.message = "step tolerance met";
      }
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
  const StepTimes& phases = descent_->times();
  report.times.jacobian_seconds = phases.jacobian_seconds;
  report.times.matrix_seconds = phases.matrix_seconds;
  report.times.factorization_seconds = phases.factorization_seconds;
  return report;
}

template <class Scalar>
double LevenbergMarquardt<Scalar>::evaluate_trial(Problem<Scalar>& problem,
                                                  ConstVectorRef<Scalar> params, double lr,
                                                  StepReport& report) {
  trial_ = params + static_cast<Scalar>(lr) * direction_;
  if (!trial_.allFinite()) return std::numeric_limits<double>::quiet_NaN();
  ++report.num_value_evaluations;
  return static_cast<double>(problem.value(trial_));
}

template <class Scalar>
bool LevenbergMarquardt<Scalar>::geodesic_correction(Problem<Scalar>& problem,
                                                     ConstVectorRef<Scalar> params, double lambda,
                                                     int& iterations) {
  // r_vv ≈ (2/h)((r(θ + hv) − r(θ))/h − Jv) (NonlinearSolve.jl, geodesicLM), then
  // a = solve(−Jᵀr_vv).
  const Index m = problem.num_residuals();
  if (r0_.size() != m) {
    r0_.resize(m);
    rh_.resize(m);
    jv_.resize(m);
  }
  const auto h = static_cast<Scalar>(options_.geodesic_h);
  problem.residuals(params, r0_);
  problem.jvp(params, s_, jv_);
  work_ = params + h * s_;
  problem.residuals(work_, rh_);
  rh_ = (Scalar(2) / h) * ((rh_ - r0_) / h - jv_);
  problem.vjp(params, rh_, work_);
  work_ = -work_;
  if (acceleration_.size() != work_.size()) acceleration_.resize(work_.size());
  if (!descent_->solve(lambda, d_trial_, work_, acceleration_, iterations)) return false;
  const double v_norm = static_cast<double>(s_.norm());
  if (!(2 * static_cast<double>(acceleration_.norm()) <= options_.geodesic_ratio * v_norm))
    return false;
  direction_ += Scalar(0.5) * acceleration_;
  return direction_.allFinite();
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::reset() {
  n_ = 0;
  num_steps_ = 0;
  search_.reset();
  descent_.reset();
  has_previous_ = false;
  descent_m_ = -1;
  has_best_ = false;
  adopt_version_ = false;
  current_loss_ = std::numeric_limits<double>::quiet_NaN();
  best_loss_ = std::numeric_limits<double>::infinity();
}

template <class Scalar>
OptimizerState LevenbergMarquardt<Scalar>::save_state() const {
  OptimizerState state{std::string(name())};
  state.put("num_parameters", static_cast<double>(n_));
  state.put("num_steps", static_cast<double>(num_steps_));
  state.put("damping", search_.damping());
  state.put("nu", search_.nu());
  state.put("has_previous_step", has_previous_ ? 1.0 : 0.0);
  if (n_ > 0) state.put("damping_diagonal", d_);
  if (has_previous_) state.put("previous_step", previous_);
  if (tracks_best()) {
    state.put("current_loss", current_loss_);
    state.put("has_best", has_best_ ? 1.0 : 0.0);
    if (has_best_) {
      state.put("best_loss", best_loss_);
      state.put("best_parameters", best_);
    }
  }
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
    direction_.resize(n);
    has_previous_ = state.get_scalar("has_previous_step") != 0;
    if (has_previous_) {
      previous_.resize(n);
      state.get_into("previous_step", previous_);
    }
  }
  if (tracks_best()) {
    current_loss_ = state.get_scalar("current_loss");
    has_best_ = state.get_scalar("has_best") != 0;
    adopt_version_ = true;  // the state continues on the data it was saved with
    if (has_best_) {
      best_loss_ = state.get_scalar("best_loss");
      best_.resize(n);
      state.get_into("best_parameters", best_);
    }
  }
}

template class LevenbergMarquardt<float>;
template class LevenbergMarquardt<double>;

}  // namespace curvopt
