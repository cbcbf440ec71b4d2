#pragma once
/// solve(problem, x, options) → Summary: full-batch nonlinear least squares to convergence, the
/// entry point of curve fitting and parameter estimation, shaped like Ceres' Solver.

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/core/types.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

/// The method solve() runs; each is one of the library's named compositions.
enum class SolverMethod {
  kLevenbergMarquardt,  ///< Levenberg-Marquardt with Marquardt's diagonal and Nielsen's rule
  kGaussNewton,         ///< undamped Gauss-Newton steps (λ held at a tiny value)
  kDogleg,  ///< Powell's dogleg in a trust region: one factorization per point (Powell 1970)
};
std::string_view to_string(SolverMethod method);
bool parse_enum(std::string_view text, SolverMethod& out);
std::string enum_choices(SolverMethod);

/// Why solve() returned (Ceres' TerminationType).
enum class TerminationType {
  kConvergence,    ///< a tolerance was met: x is a (local) minimum to the tolerances asked
  kNoConvergence,  ///< the iteration or time budget ran out first
  kFailure,        ///< no progress possible: infeasible start, non-finite derivatives
  kUserSuccess,    ///< a callback ended the solve and called the result good
  kUserFailure,    ///< a callback aborted the solve
};
std::string_view to_string(TerminationType type);

/// What an iteration callback tells solve().
enum class CallbackDecision { kContinue, kStopSuccess, kAbort };

/// One iteration (one trial step, accepted or not), as Ceres' IterationSummary.
struct IterationSummary {
  int iteration = 0;  ///< 0 is the starting point
  bool step_is_successful = false;
  double cost = 0;         ///< at the current iterate, after the step
  double cost_change = 0;  ///< cost before − cost after; 0 for a refused step
  /// ‖x − Π(x − ∇f)‖∞ at the iterate the step started from (Π: the projection onto the
  /// bounds): the first-order optimality measure, |∇f|∞ without bounds.
  double gradient_max_norm = 0;
  double step_norm = 0;  ///< ‖Δx‖₂ of the accepted step in the parameters' own units
  /// μ = 1/λ of Levenberg-Marquardt, a trust-region radius in the scaled variables.
  double trust_region_radius = 0;
  /// ρ = actual / predicted reduction of the cost for this step (Ceres' relative_decrease).
  double relative_decrease = 0;
  double iteration_seconds = 0;
  double cumulative_seconds = 0;
};

/// solve()'s options, with defaults that terminate on every standard problem. Names follow
/// Ceres' Solver::Options where the concept is the same (docs/curve_fitting.md maps them to
/// SciPy's least_squares and NonlinearSolve.jl).
struct SolverOptions {
  SolverMethod method = SolverMethod::kLevenbergMarquardt;
  /// Iterations (trial steps, accepted or not). Default 200: Ceres' 50 stops Meyer's and
  /// Osborne's problems of Moré, Garbow & Hillstrom (1981) early from their standard starts.
  int max_iterations = 200;
  double max_seconds = std::numeric_limits<double>::infinity();
  /// Converged when an accepted step changes the cost by ≤ function_tolerance·cost, or when a
  /// step's actual and predicted reductions are both below it (MINPACK's ftol test: the model
  /// itself sees nothing left to gain). Default 1e-10; Ceres uses 1e-6, which ends slow
  /// (linearly converging) fits well before the minimum. Independently, a cost that falls to
  /// ε²·(initial cost), the rounding level of the starting residuals, ends the solve.
  double function_tolerance = 1e-10;
  /// Converged when maxⱼ |pⱼ|/(‖Jⱼ‖·‖r‖) ≤ gradient_tolerance, p = x − Π(x − ∇f) the projected
  /// gradient: the cosine between the residuals and each Jacobian column, MINPACK's test (Moré
  /// 1978). Unlike Ceres' absolute ‖p‖∞ (reported as gradient_max_norm) it does not depend on
  /// the units of the data or the parameters, so it neither stops a fit with tiny residuals
  /// early nor runs on where the residuals are large. Default 1e-10.
  double gradient_tolerance = 1e-10;
  /// Converged when an accepted step has ‖Δx‖ ≤ parameter_tolerance·(‖x‖ + parameter_tolerance).
  /// Default 1e-8 (Ceres, SciPy's xtol).
  double parameter_tolerance = 1e-8;
  /// Solve in the variables u = x / s with sⱼ ≈ 1/(1 + ‖Jⱼ‖) (a power of two) from the starting
  /// Jacobian (Ceres' jacobi_scaling), so that parameters of very different magnitudes are damped
  /// alike.
  bool jacobi_scaling = true;
  /// μ₀ = 1/λ₀ and the bounds of μ, relative to the (Jacobi-scaled) problem. Ceres' defaults.
  double initial_trust_region_radius = 1e4;
  double max_trust_region_radius = 1e16;
  double min_trust_region_radius = 1e-32;
  /// Floor of the Marquardt diagonal diag(JᵀJ) (in the scaled variables). Ceres' default.
  double min_lm_diagonal = 1e-6;
  /// Damp with λI (Levenberg 1944) instead of the running maximum of diag(JᵀJ) (MINPACK's and
  /// Ceres' choice, Marquardt 1963). For networks: their weights' Jacobian columns differ by
  /// orders of magnitude, and the diagonal leaves the small ones almost undamped, so that the
  /// first steps throw those weights far out (into saturated units) — see docs/curve_fitting.md.
  bool identity_damping = false;
  /// Geodesic acceleration (Transtrum, Machta & Sethna 2011) from the Jacobian the problem has.
  bool geodesic_acceleration = false;
  /// Box bounds; empty for none, else n entries with ±∞ where a side is free. Trial points are
  /// projected onto the box, and variables held at a bound by the gradient are fixed for the
  /// step (an active set).
  Vector<double> lower_bounds, upper_bounds;
  /// Called after every iteration with its summary and the current x; may stop the solve.
  std::vector<std::function<CallbackDecision(const IterationSummary&, ConstVectorRef<double>)>>
      callbacks;
  /// One line per iteration on stdout, as Ceres' minimizer_progress_to_stdout.
  bool progress_to_stdout = false;

  /// The first invalid field as "SolverOptions::field = value: must be ...", given n.
  std::optional<std::string> validate(Index num_parameters) const;
};

/// What solve() did, as Ceres' Solver::Summary.
struct Summary {
  TerminationType termination = TerminationType::kFailure;
  std::string message = "solve() was not called";
  SolverMethod method = SolverMethod::kLevenbergMarquardt;
  double initial_cost = 0;
  double final_cost = 0;
  int num_successful_steps = 0;
  int num_unsuccessful_steps = 0;
  std::int64_t num_residual_evaluations = 0;  ///< value() calls (trial points)
  std::int64_t num_jacobian_evaluations = 0;  ///< gradient() calls (new iterates)
  double total_seconds = 0;
  Index num_parameters = 0;
  Index num_residuals = 0;
  bool jacobi_scaling = false;
  bool identity_damping = false;
  std::string_view linear_solver;  ///< "parameter-space", "data-space" or "cg"
  /// Indices of the parameters at a bound at the solution, and which side.
  std::vector<Index> active_lower_bounds, active_upper_bounds;
  std::vector<IterationSummary> iterations;

  /// A solution was produced (convergence, no convergence or a user's success).
  bool is_usable() const;
  /// One line: iterations, initial and final cost, termination.
  std::string brief_report() const;
  /// The problem, the options that mattered, the per-iteration table and the termination.
  std::string full_report() const;
};

/// Minimizes problem's ½Σρ(‖r_b‖²) from x (overwritten with the solution). The problem needs the
/// value, gradient and jacobian oracles (a LeastSquaresProblem has them). x must be finite and
/// inside the bounds; it is projected onto them first. Throws ConfigError on invalid options,
/// ShapeError when x or the bounds do not have n entries, ValueError for a non-finite x and
/// Error naming the oracle for a problem without a Jacobian; numerical trouble is reported in
/// the Summary, never thrown, and x then holds the last good iterate.
Summary solve(Problem<double>& problem, VectorRef<double> x, const SolverOptions& options = {});

}  // namespace curvopt
