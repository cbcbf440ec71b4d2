#include "curvopt/solve/solver.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/optim/descent/dogleg_descent.h"
#include "curvopt/optim/levenberg_marquardt.h"
#include "curvopt/optim/option_fields.h"
#include "curvopt/optim/search/trust_region_search.h"
#include "scaled_bounded_problem.h"

namespace curvopt {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Powell's dogleg × the classical radius rule, with the solver's radii.
std::unique_ptr<DescentSearchMinimizer<double>> make_dogleg(const SolverOptions& o) {
  TrustRegionSearchOptions radius;
  radius.initial_radius = o.initial_trust_region_radius;
  radius.max_radius = o.max_trust_region_radius;
  radius.min_radius = o.min_trust_region_radius;
  radius.eta = 1e-3;  // Ceres' min_relative_decrease
  DescentSearchOptions loop;
  loop.max_trials = 1;
  return std::make_unique<DescentSearchMinimizer<double>>(
      "dogleg", std::make_unique<DoglegDescent<double>>(),
      std::make_unique<TrustRegionSearch>(radius), loop);
}

/// The composition solve() runs: Levenberg-Marquardt with MINPACK's max-diagonal scaling, whose
/// λ = 1/μ follows Nielsen's rule (Ceres' radius rule), or the dogleg; one trial per step() so
/// that every iteration is reported; the solver, not the minimizer, tests convergence.
std::unique_ptr<DescentSearchMinimizer<double>> make_minimizer(const SolverOptions& o) {
  if (o.method == SolverMethod::kDogleg) return make_dogleg(o);
  LevenbergMarquardtOptions lm;
  lm.damping_matrix = o.identity_damping ? DampingMatrix::kIdentity : DampingMatrix::kMaxDiagonal;
  lm.initial_diagonal = o.min_lm_diagonal;
  lm.min_diagonal = o.min_lm_diagonal;
  lm.max_trials = 1;
  lm.geodesic = o.geodesic_acceleration;
  lm.damping.rule = DampingRule::kNielsen;
  lm.damping.initial_damping = 1 / o.initial_trust_region_radius;
  lm.damping.min_damping = 1 / o.max_trust_region_radius;
  lm.damping.max_damping = 1 / o.min_trust_region_radius;
  if (o.method == SolverMethod::kGaussNewton) {
    // λ → 0 is Gauss-Newton; the damping rule stays as a safeguard against uphill steps.
    lm.damping.initial_damping = lm.damping.min_damping;
    return std::make_unique<LevenbergMarquardt<double>>(lm, "gauss-newton");
  }
  return std::make_unique<LevenbergMarquardt<double>>(lm, "lm");
}

/// sⱼ = 1/(1 + ‖Jⱼ‖) at x (Ceres' Jacobi scaling); ones without it or without a Jacobian.
std::optional<Vector<double>> column_scales(Problem<double>& problem, ConstVectorRef<double> x,
                                            bool jacobi_scaling) {
  const Index n = problem.num_parameters();
  if (!jacobi_scaling || !problem.oracles().contains(Oracle::kJacobian))
    return Vector<double>::Ones(n);
  Matrix<double> J(problem.num_residuals(), n);
  try {
    problem.jacobian(x, J);
  } catch (const ValueError&) {
    return std::nullopt;
  }
  if (!J.allFinite()) return std::nullopt;
  // Rounded to powers of two (as LAPACK's equilibration does): x = s·(x/s) then holds exactly,
  // so a parameter on a bound stays exactly on it through the change of variables.
  Vector<double> s(n);
  for (Index j = 0; j < n; ++j) {
    int exponent = 0;
    std::frexp(1.0 / (1.0 + J.col(j).norm()), &exponent);
    s[j] = std::ldexp(1.0, exponent - 1);
  }
  return s;
}

/// The running solve: its state and the named phases of the loop.
class SolveRun {
 public:
  SolveRun(Problem<double>& problem, VectorRef<double> x, const SolverOptions& options,
           Summary& summary)
      : problem_(problem), x_(x), options_(options), summary_(summary), start_(Clock::now()) {}

  void run() {
    if (!start()) return;
    while (!finished_) {
      if (budget_exhausted()) break;
      if (gradient_converged()) break;
      take_step();
      if (!finished_) notify();
    }
  }

  void finish() {
    if (scaled_) {
      scaled_->to_x(u_, x_);
      summary_.num_residual_evaluations = scaled_->num_value_calls();
      summary_.num_jacobian_evaluations = scaled_->num_gradient_calls();
    }
    summary_.final_cost = cost_;
    summary_.total_seconds = seconds_since(start_);
    if (options_.lower_bounds.size() > 0)
      for (Index j = 0; j < x_.size(); ++j) {
        if (x_[j] <= options_.lower_bounds[j]) summary_.active_lower_bounds.push_back(j);
        if (x_[j] >= options_.upper_bounds[j]) summary_.active_upper_bounds.push_back(j);
      }
  }

 private:
  void end(TerminationType type, std::string message) {
    summary_.termination = type;
    summary_.message = std::move(message);
    finished_ = true;
  }

  /// Projects x onto the bounds, scales, and records iteration 0.
  bool start() {
    const Index n = problem_.num_parameters();
    if (options_.lower_bounds.size() > 0)
      x_ = x_.cwiseMax(options_.lower_bounds).cwiseMin(options_.upper_bounds);
    std::optional<Vector<double>> scale = column_scales(problem_, x_, options_.jacobi_scaling);
    if (!scale) {
      end(TerminationType::kFailure,
          "the residuals or Jacobian at the starting point are not "
          "finite (or a residual block returned false there)");
      return false;
    }
    scaled_.emplace(problem_, *std::move(scale), options_.lower_bounds, options_.upper_bounds);
    u_.resize(n);
    gradient_.resize(n);
    x_previous_.resize(n);
    scaled_->to_u(x_, u_);
    cost_ = summary_.initial_cost = scaled_->gradient(u_, gradient_);
    if (!std::isfinite(cost_) || !gradient_.allFinite()) {
      end(TerminationType::kFailure, "the cost or gradient at the starting point is not finite");
      return false;
    }
    IterationSummary first;
    first.cost = cost_;
    first.gradient_max_norm = scaled_->projected_gradient_max_norm();
    first.trust_region_radius = options_.initial_trust_region_radius;
    first.step_is_successful = true;
    record(first);
    notify();
    return !finished_;
  }

  bool budget_exhausted() {
    const int iterations = summary_.num_successful_steps + summary_.num_unsuccessful_steps;
    if (iterations >= options_.max_iterations) {
      end(TerminationType::kNoConvergence,
          "maximum number of iterations reached (" + std::to_string(options_.max_iterations) + ")");
      return true;
    }
    if (seconds_since(start_) >= options_.max_seconds) {
      end(TerminationType::kNoConvergence,
          "time limit reached (max_seconds = " + format_option_value(options_.max_seconds) + ")");
      return true;
    }
    return false;
  }

  /// The first-order test at the current iterate (its gradient is what the step starts from;
  /// a problem that caches its point evaluates it once).
  bool gradient_converged() {
    cost_ = scaled_->gradient(u_, gradient_);
    gradient_max_norm_ = scaled_->projected_gradient_max_norm();
    if (!std::isfinite(gradient_max_norm_)) return false;  // the step reports the trouble
    const double cosine = scaled_->gradient_cosine();
    if (!(cosine <= options_.gradient_tolerance)) return false;
    end(TerminationType::kConvergence,
        "gradient tolerance reached: max cosine between r and a column of J = " +
            format_option_value(cosine) +
            " <= " + format_option_value(options_.gradient_tolerance));
    return true;
  }

  void take_step() {
    const auto step_start = Clock::now();
    x_previous_ = x_;
    const StepReport report = minimizer_->step(*scaled_, u_);
    if (!report.solver.empty()) summary_.linear_solver = report.solver;
    IterationSummary it;
    it.gradient_max_norm = gradient_max_norm_;
    it.trust_region_radius = radius();
    it.relative_decrease = report.gain_ratio.value_or(0.0);
    if (report.status == StepStatus::kNumericalIssue) {
      end(TerminationType::kFailure,
          "numerical issue: " +
              std::string(report.message.empty() ? "non-finite values" : report.message));
    } else if (report.accepted()) {
      accept(report, it);
    } else {
      ++summary_.num_unsuccessful_steps;
      it.cost = cost_;
      if (report.converged)
        end(TerminationType::kConvergence, std::string(report.message));
      else if (model_sees_no_gain(report))
        end(TerminationType::kConvergence,
            "function tolerance reached: the predicted and actual reductions are below "
            "function_tolerance·cost");
      else if (report.stop_training)
        end(TerminationType::kConvergence,
            "minimum trust region radius reached: no step of the damped model decreases the "
            "cost (radius " +
                format_option_value(options_.min_trust_region_radius) + ")");
    }
    it.iteration_seconds = seconds_since(step_start);
    record(it);
  }

  /// MINPACK's ftol test (Moré 1978): the model's predicted reduction and the actual one are
  /// both below function_tolerance·cost, so no step of this model can make real progress.
  bool model_sees_no_gain(const StepReport& report) const {
    if (!report.predicted_reduction || !report.gain_ratio) return false;
    const double predicted = *report.predicted_reduction;
    const double actual = *report.gain_ratio * predicted;
    const double limit = options_.function_tolerance * cost_;
    return predicted >= 0 && predicted <= limit && std::abs(actual) <= limit;
  }

  void accept(const StepReport& report, IterationSummary& it) {
    ++summary_.num_successful_steps;
    scaled_->to_x(u_, x_);  // the projection of the trial onto the bounds
    scaled_->to_u(x_, u_);
    const double before = cost_;
    cost_ = report.loss_after ? *report.loss_after : scaled_->value(u_);
    it.step_is_successful = true;
    it.cost = cost_;
    it.cost_change = before - cost_;
    it.step_norm = (x_ - x_previous_).norm();
    if (report.converged) {
      end(TerminationType::kConvergence, std::string(report.message));
      return;
    }
    const double rounding = std::numeric_limits<double>::epsilon();
    if (cost_ <= rounding * rounding * summary_.initial_cost) {
      end(TerminationType::kConvergence,
          "the cost fell to the rounding level of the starting residuals (eps^2 * initial cost)");
      return;
    }
    if (std::abs(it.cost_change) <= options_.function_tolerance * before) {
      end(TerminationType::kConvergence,
          "function tolerance reached: |cost change|/cost = " +
              format_option_value(before > 0 ? std::abs(it.cost_change) / before : 0.0) +
              " <= " + format_option_value(options_.function_tolerance));
      return;
    }
    const double tol = options_.parameter_tolerance;
    if (it.step_norm <= tol * (x_.norm() + tol))
      end(TerminationType::kConvergence, "parameter tolerance reached: |step|/(|x| + tol) = " +
                                             format_option_value(it.step_norm / (x_.norm() + tol)) +
                                             " <= " + format_option_value(tol));
  }

  void record(IterationSummary it) {
    it.iteration = static_cast<int>(summary_.iterations.size());
    it.cumulative_seconds = seconds_since(start_);
    if (options_.progress_to_stdout) {
      if (it.iteration == 0)
        std::printf("%4s %14s %11s %10s %10s %10s %9s %9s\n", "iter", "cost", "cost_change",
                    "|gradient|", "|step|", "tr_radius", "iter_time", "total");
      std::printf("%4d %14.6e %11.3e %10.3e %10.3e %10.3e %8.2es %8.2es%s\n", it.iteration, it.cost,
                  it.cost_change, it.gradient_max_norm, it.step_norm, it.trust_region_radius,
                  it.iteration_seconds, it.cumulative_seconds,
                  it.step_is_successful ? "" : "  (rejected)");
    }
    summary_.iterations.push_back(it);
  }

  void notify() {
    for (const auto& callback : options_.callbacks) {
      scaled_->to_x(u_, x_);
      const CallbackDecision d = callback(summary_.iterations.back(), x_);
      if (d == CallbackDecision::kStopSuccess) {
        end(TerminationType::kUserSuccess, "a callback ended the solve (success)");
        return;
      }
      if (d == CallbackDecision::kAbort) {
        end(TerminationType::kUserFailure, "a callback aborted the solve");
        return;
      }
    }
  }

  Problem<double>& problem_;
  VectorRef<double> x_;
  const SolverOptions& options_;
  Summary& summary_;
  Clock::time_point start_;
  /// μ = 1/λ for Levenberg-Marquardt, Δ for the dogleg.
  double radius() const {
    const Search& search = minimizer_->search();
    return search.scalar_kind() == StepScalar::kDamping ? 1 / search.scalar() : search.scalar();
  }

  std::unique_ptr<DescentSearchMinimizer<double>> minimizer_ = make_minimizer(options_);
  std::optional<detail::ScaledBoundedProblem> scaled_;
  Vector<double> u_, gradient_, x_previous_;
  double cost_ = 0;
  double gradient_max_norm_ = 0;
  bool finished_ = false;
};

}  // namespace

Summary solve(Problem<double>& problem, VectorRef<double> x, const SolverOptions& options) {
  const Index n = problem.num_parameters();
  if (x.size() != n)
    throw ShapeError("solve: x has " + std::to_string(x.size()) + " entries, the problem " +
                     std::to_string(n));
  if (auto error = options.validate(n)) throw ConfigError(*error);
  // A Gauss-Newton solver needs the Jacobian (or JᵀJ from the problem): say so before starting.
  if (!problem.oracles().contains(Oracle::kGaussNewtonMatrix))
    problem.require(Oracle::kJacobian, "solve");
  for (Index j = 0; j < n; ++j)
    if (!std::isfinite(x[j]))
      throw ValueError("solve: x[" + std::to_string(j) + "] = " + format_option_value(x[j]) +
                       ": the starting point must be finite");
  Summary summary;
  summary.method = options.method;
  summary.num_parameters = n;
  summary.num_residuals = problem.num_residuals();
  summary.jacobi_scaling = options.jacobi_scaling;
  summary.identity_damping = options.identity_damping;
  SolveRun run(problem, x, options, summary);
  run.run();
  run.finish();
  return summary;
}

}  // namespace curvopt
