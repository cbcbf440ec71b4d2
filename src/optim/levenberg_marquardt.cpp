// Levenberg-Marquardt as a composition: a damped Gauss-Newton descent (one of three forms, cached
// by the number of residuals) decorated by adaptive momentum and geodesic acceleration, × the
// damping search, with downhill, uphill and learning-rate-rescue acceptance and a best-iterate
// record. step() reads as its phases; each phase is a few lines below it.

#include "curvopt/optim/levenberg_marquardt.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "curvopt/core/errors.h"
#include "curvopt/optim/accept/uphill_acceptance.h"
#include "curvopt/optim/adaptive_momentum.h"
#include "curvopt/optim/search/learning_rate_rescue.h"
#include "option_list.h"

namespace curvopt {
namespace {
// Descents kept for different residual counts: the full batches and the short last batch of an
// epoch (and a validation-sized batch) each keep theirs, so no step reallocates after warm-up.
constexpr std::size_t kCachedDescents = 4;
}  // namespace

template <class Scalar>
LevenbergMarquardt<Scalar>::LevenbergMarquardt(const Options& options, std::string_view name)
    : options_((throw_if_invalid(options), options)),
      name_(name),
      search_(options.damping),
      geodesic_({.h = options.geodesic_h, .ratio = options.geodesic_ratio}) {}

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
StepReport LevenbergMarquardt<Scalar>::step(Problem<Scalar>& problem, VectorRef<Scalar> params) {
  detail::check_parameter_count(name(), params.size(), problem.num_parameters(), n_);
  resize(params.size());
  problem.require(required_oracles(), name());
  Problem<Scalar>& curvature = curvature_problem(problem);
  descent_ = &descent_for(curvature, params.size());
  descent_->times() = {};
  StepReport report;
  detail::PhaseTimer total(report.times.total_seconds);
  report.step = num_steps_++;
  report.learning_rate = options_.learning_rate;
  report.solver = to_string(descent_->form());

  if (!evaluate_gradient(problem, params, report) || gradient_converged(report) ||
      !prepare_curvature(curvature, params, report))
    return report;
  int inner = 0;
  report.num_trials = 0;
  report.status = StepStatus::kRejected;
  report.message = "no trial decreased the loss within max_trials; damping increased";
  for (int k = 0; k < options_.max_trials; ++k) {
    ++report.num_trials;
    const double lambda = search_.damping();
    const Trial trial = try_step(problem, curvature, params, lambda, report);
    inner += trial.iterations;
    if (trial.verdict != Verdict::kRejected) {
      commit(trial, lambda, params, report);
      break;
    }
    if (!search_.rejected(report.loss_before, trial.f_new, trial.rho)) {
      report.status = StepStatus::kNoConvergence;
      report.stop_training = true;
      report.message =
          "damping reached its maximum (max_damping) without a step that decreases "
          "the loss; stopping";
      break;
    }
  }
  finish(report, inner);
  return report;
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::resize(Index n) {
  if (n_ == n) return;
  n_ = n;
  for (Vector<Scalar>* v : {&grad_, &s_, &trial_, &neg_grad_, &d_trial_, &direction_, &previous_})
    v->resize(n);
  has_previous_ = false;
  d_.setConstant(n, static_cast<Scalar>(options_.initial_diagonal));
}

template <class Scalar>
GaussNewtonDescent<Scalar>& LevenbergMarquardt<Scalar>::descent_for(const Problem<Scalar>& problem,
                                                                    Index n) {
  const Index m = problem.num_residuals();
  for (auto& [rows, descent] : descents_)
    if (rows == m) return *descent;
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
  if (descents_.size() == kCachedDescents) descents_.erase(descents_.begin());
  descents_.emplace_back(
      m, make_gauss_newton_descent<Scalar>(form, options_.cg_max_iterations, options_.cg_tolerance,
                                           options_.memory_budget_bytes, use_gram_oracle));
  return *descents_.back().second;
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

// Phase 1: loss and gradient at θ; a non-finite one ends the step with θ untouched.
template <class Scalar>
bool LevenbergMarquardt<Scalar>::evaluate_gradient(Problem<Scalar>& problem,
                                                   ConstVectorRef<Scalar> params,
                                                   StepReport& report) {
  if (!detail::evaluate_gradient<Scalar>(problem, params, grad_, report)) return false;
  if (tracks_best()) best_.observe_start(problem.data_version(), report.loss_before, params);
  report.gradient_norm = static_cast<double>(grad_.norm());
  return true;
}

template <class Scalar>
bool LevenbergMarquardt<Scalar>::gradient_converged(StepReport& report) const {
  if (!(options_.gradient_tolerance > 0 &&
        static_cast<double>(grad_.cwiseAbs().maxCoeff()) <= options_.gradient_tolerance))
    return false;
  report.converged = true;
  report.loss_after = report.loss_before;
  report.damping = search_.damping();
  report.message = "gradient tolerance met";
  return true;
}

// Phase 2: the descent's once-per-point work (J, JᵀJ or the Gram) and the damping diagonal.
template <class Scalar>
bool LevenbergMarquardt<Scalar>::prepare_curvature(Problem<Scalar>& curvature,
                                                   ConstVectorRef<Scalar> params,
                                                   StepReport& report) {
  bool prepared;
  {
    detail::PhaseTimer timer(report.times.curvature_seconds);
    prepared = descent_->prepare(curvature, params);
  }
  if (!prepared) {
    report.status = StepStatus::kNumericalIssue;
    report.message = "non-finite Jacobian; parameters unchanged";
    return false;
  }
  update_damping_diagonal();
  neg_grad_ = -grad_;
  return true;
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

// Phases 3 and 4 for one λ: the direction, then the trial and its verdict.
template <class Scalar>
typename LevenbergMarquardt<Scalar>::Trial LevenbergMarquardt<Scalar>::try_step(
    Problem<Scalar>& problem, const Problem<Scalar>& curvature, ConstVectorRef<Scalar> params,
    double lambda, StepReport& report) {
  Trial t;
  {
    detail::PhaseTimer timer(report.times.direction_seconds);
    if (!propose(problem, curvature, params, lambda, report, t.iterations)) return t;
  }
  detail::PhaseTimer timer(report.times.search_seconds);
  const double f_old = report.loss_before, lr = options_.learning_rate;
  t.f_new = evaluate_trial(problem, params, lr, report);
  // Predicted reduction of ½‖r‖² by the linear model: −(gᵀs + ½‖Js‖²), s = lr·direction.
  const double predicted = -(lr * static_cast<double>(grad_.dot(direction_)) +
                             0.5 * lr * lr * descent_->jacobian_norm_squared(direction_));
  t.rho = predicted > 0 ? (f_old - t.f_new) / predicted : -1;
  if (search_.accepts(f_old, t.f_new, t.rho)) {
    t.verdict = Verdict::kDownhill;
  } else if (options_.uphill && has_previous_ &&
             UphillAcceptance{options_.uphill_exponent}.accepts<Scalar>(
                 t.f_new, uphill_reference(f_old), s_, previous_)) {
    t.verdict = Verdict::kUphill;
  } else if (options_.lr_search) {
    const auto rescue = LearningRateRescue{options_.lr_search_grid}.search(
        [&](double rate) { return evaluate_trial(problem, params, rate, report); }, f_old);
    if (rescue.found) {
      t.f_new = evaluate_trial(problem, params, rescue.learning_rate, report);  // trial_ at lr*
      t.learning_rate = rescue.learning_rate;
      t.verdict = Verdict::kRescued;
    }
  }
  return t;
}

// Phase 3: v = −(JᵀJ + λD)⁻¹g, combined with the previous step (momentum) and corrected for the
// residuals' curvature (geodesic acceleration) when those are on. The direction is direction_.
template <class Scalar>
bool LevenbergMarquardt<Scalar>::propose(Problem<Scalar>& problem, const Problem<Scalar>& curvature,
                                         ConstVectorRef<Scalar> params, double lambda,
                                         StepReport& report, int& iterations) {
  bool solved = descent_->solve(lambda, d_trial_, neg_grad_, s_, iterations);
  direction_ = s_;
  if (solved && options_.momentum && has_previous_) combine_momentum(curvature, lambda);
  if (solved && options_.geodesic) {
    int geodesic_iterations = 0;
    solved = geodesic_.correct(problem, params, s_, *descent_, lambda, d_trial_, direction_,
                               geodesic_iterations);
    iterations += geodesic_iterations;
    if (!solved) report.message = "geodesic correction too large; damping increased";
  }
  return solved;
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::combine_momentum(const Problem<Scalar>& curvature, double lambda) {
  // I_FF = prevᵀ(JᵀJ + λD)prev.
  const double i_ff =
      descent_->jacobian_norm_squared(previous_) +
      lambda * static_cast<double>((d_trial_.array() * previous_.array().square()).sum());
  double dp = options_.momentum_step_length > 0
                  ? options_.momentum_step_length
                  : 0.6 * std::sqrt(2.0 / static_cast<double>(curvature.num_residuals()));
  // Capped, the momentum step is never longer in H's metric than the LM step √(gᵀH⁻¹g) it
  // modifies, so it shrinks as the iterate converges instead of orbiting at δP.
  if (options_.momentum_cap)
    dp = std::min(dp, std::sqrt(std::max(0.0, -static_cast<double>(grad_.dot(s_)))));
  adaptive_momentum_step<Scalar>(s_, grad_, previous_, i_ff, dp, options_.momentum_xi, direction_);
}

template <class Scalar>
double LevenbergMarquardt<Scalar>::uphill_reference(double f_old) const {
  return options_.uphill_from_best && best_.has_best() ? best_.best_loss() : f_old;
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

// Phase 5: move to the trial, update λ, the damping diagonal and the records, test convergence.
template <class Scalar>
void LevenbergMarquardt<Scalar>::commit(const Trial& trial, double lambda, VectorRef<Scalar> params,
                                        StepReport& report) {
  const double f_old = report.loss_before, f_new = trial.f_new;
  report.status = StepStatus::kAccepted;
  report.message = trial.verdict == Verdict::kUphill    ? "uphill step accepted"
                   : trial.verdict == Verdict::kRescued ? "accepted after the learning-rate search"
                                                        : std::string_view();
  report.damping = lambda;
  report.loss_after = f_new;
  if (trial.verdict == Verdict::kRescued) report.learning_rate = trial.learning_rate;
  previous_ = trial_ - params;
  report.step_norm = static_cast<double>(previous_.norm());
  has_previous_ = true;
  params = trial_;
  if (tracks_best()) best_.observe_accepted(f_new, params);
  d_.swap(d_trial_);
  // A step saved by the learning-rate search with lr* < 1 says the full step was too long: λ
  // rises as after a rejection, else the search would keep accepting negligible steps
  // (lr* = 1e-6) with λ stuck. With lr* ≥ 1 the step was short: λ falls as after an accept
  // (the paper leaves this open).
  if (trial.verdict == Verdict::kRescued && trial.learning_rate < 1.0)
    search_.rejected(f_old, f_new, trial.rho);
  else
    search_.accepted(f_old, f_new, trial.rho);
  const double tol_f = options_.function_tolerance, tol_x = options_.step_tolerance;
  if (tol_f > 0 && std::abs(f_old - f_new) <= tol_f * f_old) {
    report.converged = true;
    report.message = "function tolerance met";
  } else if (tol_x > 0 &&
             report.step_norm <= tol_x * (static_cast<double>(params.norm()) + tol_x)) {
    report.converged = true;
    report.message = "step tolerance met";
  }
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::finish(StepReport& report, int inner_iterations) const {
  if (report.status != StepStatus::kAccepted) report.damping = search_.damping();
  report.inner_iterations = inner_iterations;
  const StepTimes& phases = descent_->times();
  report.times.jacobian_seconds = phases.jacobian_seconds;
  report.times.matrix_seconds = phases.matrix_seconds;
  report.times.factorization_seconds = phases.factorization_seconds;
}

template <class Scalar>
const Vector<Scalar>* LevenbergMarquardt<Scalar>::evaluation_parameters() const {
  return options_.keep_best ? best_.better_than_current() : nullptr;
}

template <class Scalar>
void LevenbergMarquardt<Scalar>::reset() {
  n_ = 0;
  num_steps_ = 0;
  search_.reset();
  descents_.clear();
  descent_ = nullptr;
  has_previous_ = false;
  best_.reset();
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
  if (tracks_best()) best_.save(state);
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
    resize(n);
    state.get_into("damping_diagonal", d_);
    has_previous_ = state.get_scalar("has_previous_step") != 0;
    if (has_previous_) state.get_into("previous_step", previous_);
  }
  if (tracks_best()) best_.load(state, n);  // the record continues on the data it was saved with
}

template class LevenbergMarquardt<float>;
template class LevenbergMarquardt<double>;

}  // namespace curvopt
