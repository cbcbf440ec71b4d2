// Hessian-free's inner work at one point, in Martens' (2010) order: precondition, solve, backtrack
// over the kept iterates, judge the chosen one by ρ and adapt λ for the next point.

#include "curvopt/optim/descent/hessian_free_descent.h"

#include <cmath>
#include <limits>
#include <string>

#include "../option_list.h"
#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(HessianFreePreconditioner, {HessianFreePreconditioner::kAuto, "auto"},
                   {HessianFreePreconditioner::kMartens, "martens"},
                   {HessianFreePreconditioner::kNone, "none"})

std::optional<std::string> HessianFreeDescentOptions::validate() const {
  const char* o = "HessianFreeDescentOptions";
  std::optional<std::string> increase, decrease, band, iterations, refresh, decay, structural;
  if (!(damping_increase >= 1 && std::isfinite(damping_increase)))
    increase = out_of_range(o, "damping_increase", damping_increase, "finite and >= 1");
  if (!(damping_decrease > 0 && damping_decrease <= 1))
    decrease = out_of_range(o, "damping_decrease", damping_decrease, "in (0, 1]");
  if (!(rho_low <= rho_high && std::isfinite(rho_low) && std::isfinite(rho_high)))
    band = out_of_range(o, "rho_low", rho_low, "finite and <= rho_high");
  if (max_cg_iterations < 1)
    iterations = out_of_range(o, "max_cg_iterations", max_cg_iterations, ">= 1");
  if (residual_refresh < 0)
    refresh = out_of_range(o, "residual_refresh", residual_refresh, ">= 0 (0: never)");
  if (!(warm_start_decay >= 0 && warm_start_decay <= 1))
    decay = out_of_range(o, "warm_start_decay", warm_start_decay, "in [0, 1]");
  if (!(structural_damping >= 0 && std::isfinite(structural_damping)))
    structural = out_of_range(o, "structural_damping", structural_damping, "finite and >= 0");
  else if (structural_damping > 0 && curvature == CurvatureProduct::kHessian)
    structural = out_of_range(o, "structural_damping", structural_damping,
                              "0 with curvature=hessian (it damps the Gauss-Newton model)");
  return first_error({require_positive(o, "initial_damping", initial_damping), increase, decrease,
                      band, require_non_negative(o, "min_damping", min_damping), iterations,
                      require_non_negative(o, "cg_epsilon", cg_epsilon),
                      require_non_negative(o, "cg_tolerance", cg_tolerance), refresh, decay,
                      require_positive(o, "preconditioner_exponent", preconditioner_exponent),
                      structural});
}

double next_hessian_free_damping(double lambda, double rho, const HessianFreeDescentOptions& o) {
  if (!(rho >= o.rho_low))  // NaN included
    lambda *= o.damping_increase;
  else if (rho > o.rho_high)
    lambda *= o.damping_decrease;
  return std::max(lambda, o.min_damping);
}

namespace {

CgOptions cg_options(const HessianFreeDescentOptions& o) {
  return {.max_iterations = o.max_cg_iterations,
          .tolerance = o.cg_tolerance,
          .relative_progress = o.cg_epsilon > 0,
          .progress_epsilon = o.cg_epsilon > 0 ? o.cg_epsilon : 5e-4,
          .residual_refresh = o.residual_refresh,
          .keep_history = o.cg_backtracking};
}

}  // namespace

template <class Scalar>
HessianFreeDescent<Scalar>::HessianFreeDescent(const HessianFreeDescentOptions& options)
    : options_((throw_if_invalid(options), options)),
      cg_(cg_options(options)),
      damping_(options.initial_damping) {}

template <class Scalar>
OracleSet HessianFreeDescent<Scalar>::required_oracles() const {
  OracleSet oracles = options_.curvature == CurvatureProduct::kHessian ? Oracle::kHessianProduct
                                                                       : Oracle::kGgnProduct;
  if (options_.structural_damping > 0) oracles = oracles | Oracle::kStructuralDamping;
  return oracles;
}

template <class Scalar>
std::string_view HessianFreeDescent<Scalar>::begin(Problem<Scalar>& problem, Index n) {
  // Martens' preconditioner needs the empirical Fisher diagonal: from per-example gradients, or
  // as a reduced oracle of its own (data-parallel training).
  const bool has_diagonal = problem.oracles().contains(Oracle::kPerExampleGradients) ||
                            problem.oracles().contains(Oracle::kEmpiricalFisherDiagonal);
  if (options_.preconditioner == HessianFreePreconditioner::kMartens && !has_diagonal)
    problem.require(Oracle::kPerExampleGradients, "hessian-free preconditioner=martens");
  use_preconditioner_ = options_.preconditioner == HessianFreePreconditioner::kMartens ||
                        (options_.preconditioner == HessianFreePreconditioner::kAuto &&
                         has_diagonal && problem.batch_size() > 0);
  if (solution_.size() != n) {
    for (Vector<Scalar>* v : {&solution_, &rhs_, &direction_, &step_, &trial_}) v->resize(n);
    if (warm_start_.size() != n) {
      warm_start_.resize(n);
      has_warm_start_ = false;
    }
    cg_.resize(n);
  }
  if (use_preconditioner_ && fisher_diagonal_.size() != n) fisher_diagonal_.resize(n);
  return use_preconditioner_ ? "preconditioned-cg" : "cg";
}

template <class Scalar>
void HessianFreeDescent<Scalar>::product(ConstVectorRef<Scalar> v, VectorRef<Scalar> out) {
  ++products_;
  if (options_.curvature == CurvatureProduct::kHessian)
    point_->problem.hessian_vector_product(point_->params, v, out);
  else if (options_.structural_damping > 0)
    point_->problem.structurally_damped_ggn_product(
        point_->params, v, static_cast<Scalar>(options_.structural_damping * solve_damping_), out);
  else
    point_->problem.ggn_vector_product(point_->params, v, out);
  out += static_cast<Scalar>(solve_damping_) * v;
}

template <class Scalar>
bool HessianFreeDescent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport& report) {
  point_ = &point;
  products_ = 0;
  fresh_point_ = true;
  solve_damping_ = damping_;
  report.damping = solve_damping_;
  auto refuse = [&](std::string_view message) {
    damping_ = next_hessian_free_damping(damping_, -1, options_);
    has_warm_start_ = false;
    report.status = StepStatus::kNumericalIssue;
    report.message = message;
    return false;
  };
  if (use_preconditioner_) {
    detail::PhaseTimer timer(report.times.curvature_seconds);
    point.problem.empirical_fisher_diagonal(point.params, fisher_diagonal_);
    if (!fisher_diagonal_.allFinite())
      return refuse("non-finite per-example gradients; parameters unchanged");
    preconditioner_.set_martens(fisher_diagonal_, solve_damping_, options_.preconditioner_exponent);
  }
  {
    detail::PhaseTimer timer(report.times.direction_seconds);
    rhs_ = -point.gradient;
    const bool warm = has_warm_start_ && options_.warm_start_decay > 0;
    if (warm) solution_ = static_cast<Scalar>(options_.warm_start_decay) * warm_start_;
    auto A = [this](ConstVectorRef<Scalar> v, VectorRef<Scalar> out) { product(v, out); };
    cg_result_ =
        use_preconditioner_
            ? cg_.solve(
                  A, rhs_, solution_,
                  [this](ConstVectorRef<Scalar> r, VectorRef<Scalar> z) { preconditioner_(r, z); },
                  warm)
            : cg_.solve(A, rhs_, solution_, warm);
  }
  if (cg_result_.termination == CgTermination::kNonFinite || !solution_.allFinite())
    return refuse("non-finite curvature product in CG; parameters unchanged");
  warm_start_ = solution_;  // the final iterate, not the backtracked one (Martens 2010)
  has_warm_start_ = true;

  detail::PhaseTimer timer(report.times.search_seconds);
  const double f_new = backtrack(report);
  double model = options_.cg_backtracking ? cg_.history_quadratic(chosen_) : cg_result_.quadratic;
  if (!options_.damped_model)
    model -= 0.5 * solve_damping_ * static_cast<double>(direction_.squaredNorm());
  // A predicted decrease within the loss's rounding says nothing: the step is at convergence
  // and its ratio is noise, which would otherwise raise λ without bound. λ is kept.
  const double rounding = 16 * std::numeric_limits<Scalar>::epsilon() * std::abs(point.value);
  if (model < 0 && -model <= rounding) {
    rho_ = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // Both changes are negative for a good step; a model that predicts no decrease fails.
  rho_ = model < 0 ? (f_new - point.value) / model : -1;
  damping_ = next_hessian_free_damping(damping_, rho_, options_);
  if (options_.reset_on_negative_rho && !(rho_ >= 0)) has_warm_start_ = false;
  return true;
}

template <class Scalar>
double HessianFreeDescent<Scalar>::trial_value(ConstVectorRef<Scalar> p, StepReport& report) {
  trial_ = point_->params + p;
  if (!trial_.allFinite()) return std::numeric_limits<double>::infinity();
  ++report.num_value_evaluations;
  const auto f = static_cast<double>(point_->problem.value(trial_));
  return std::isfinite(f) ? f : std::numeric_limits<double>::infinity();
}

template <class Scalar>
double HessianFreeDescent<Scalar>::backtrack(StepReport& report) {
  if (!options_.cg_backtracking) {
    chosen_ = 0;
    direction_ = solution_;
    return trial_value(direction_, report);
  }
  // From the last kept iterate backwards while the loss does not get worse.
  int j = cg_.history_size() - 1;
  double best = trial_value(cg_.history_iterate(j), report);
  chosen_ = j;
  while (--j >= 0) {
    const double f = trial_value(cg_.history_iterate(j), report);
    if (!(f <= best)) break;
    best = f;
    chosen_ = j;
  }
  direction_ = cg_.history_iterate(chosen_);
  return best;
}

template <class Scalar>
DescentResult HessianFreeDescent<Scalar>::step(double alpha, VectorRef<Scalar> step) {
  step_ = static_cast<Scalar>(alpha) * direction_;
  step = step_;
  DescentResult r{.iterations = fresh_point_ ? cg_result_.iterations : 0};
  fresh_point_ = false;
  return r;
}

template <class Scalar>
void HessianFreeDescent<Scalar>::reset() {
  damping_ = options_.initial_damping;
  has_warm_start_ = false;
  products_ = 0;
}

template <class Scalar>
void HessianFreeDescent<Scalar>::save(OptimizerState& state) const {
  state.put("hf_damping", damping_);
  state.put("hf_has_warm_start", has_warm_start_ ? 1.0 : 0.0);
  if (has_warm_start_) state.put("hf_warm_start", warm_start_);
}

template <class Scalar>
void HessianFreeDescent<Scalar>::load(const OptimizerState& state, Index n) {
  reset();
  damping_ = state.get_scalar("hf_damping");
  // A corrupt λ would make every later solve NaN or undamped; refuse it by name.
  if (!(damping_ > 0 && std::isfinite(damping_)))
    throw ValueError("hessian-free: state entry hf_damping = " + std::to_string(damping_) +
                     " is not a positive finite damping");
  has_warm_start_ = state.get_scalar("hf_has_warm_start") != 0;
  if (has_warm_start_) {
    warm_start_.resize(n);
    state.get_into("hf_warm_start", warm_start_);
  }
}

template class HessianFreeDescent<float>;
template class HessianFreeDescent<double>;

}  // namespace curvopt
