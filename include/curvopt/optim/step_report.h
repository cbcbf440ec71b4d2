#pragma once
/// What one optimizer step did: the flat record every optimizer returns and the logs carry.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace curvopt {

/// Outcome of a step (Eigen-style: numerical trouble is reported, misuse throws).
enum class StepStatus {
  kAccepted,        ///< the step completed; the parameters are the new iterate (unmoved only
                    ///< when `converged` says θ was already stationary)
  kRejected,        ///< the proposal was refused (e.g. it raised the loss); parameters unchanged
  kNumericalIssue,  ///< NaN/Inf in the loss, gradient or update; parameters unchanged
  kNoConvergence,   ///< an inner search ran out of trials (line search failed); unchanged
};

std::string_view to_string(StepStatus status);

/// Wall-clock seconds spent in each phase of a step. Phases a method does not have stay 0.
struct StepTimes {
  double gradient_seconds = 0;   ///< loss and gradient at the current parameters
  double curvature_seconds = 0;  ///< Jacobian, Gram, curvature pairs or factor statistics
  double direction_seconds = 0;  ///< turning gradient and curvature into a proposal
  double search_seconds = 0;     ///< trial evaluations: line search, damping trials
  double total_seconds = 0;      ///< the whole step
  // Finer phases of the Gauss-Newton methods, each part of the ones above.
  double jacobian_seconds = 0;  ///< forming the Jacobian (part of curvature)
  double matrix_seconds = 0;    ///< forming JᵀJ or the Gram J D⁻¹Jᵀ (curvature or direction)
  double factorization_seconds = 0;  ///< Cholesky / LDLT of the damped system (direction)
};

/// One optimizer step. Fields a method does not produce are empty, never a sentinel value; the
/// JSON and CSV logs use these names.
struct StepReport {
  StepStatus status = StepStatus::kAccepted;
  /// The method's own tolerances say θ is (numerically) stationary: further steps on this data
  /// would not help. Set by full-batch methods such as L-BFGS; a trainer may stop on it.
  bool converged = false;
  /// The method cannot make progress any more (e.g. Levenberg-Marquardt's damping reached its
  /// maximum); `message` says why. The trainer stops on it.
  bool stop_training = false;
  /// How the step's linear system was solved ("parameter-space", "data-space", "cg"), for
  /// methods that choose.
  std::string_view solver;
  /// Why a step was not accepted, or other notable events ("line search failed"). Static text.
  std::string_view message;
  /// Index of this step (0-based) in the optimizer's life; counts rejected steps too.
  std::int64_t step = 0;
  /// f at the parameters the step started from.
  double loss_before = 0;
  /// f at the parameters after the step, when the method evaluated it.
  std::optional<double> loss_after;
  /// ‖∇f‖₂ at the starting parameters (before clipping).
  std::optional<double> gradient_norm;
  /// ‖θ_after − θ_before‖₂ (0 for a rejected step).
  double step_norm = 0;
  /// The learning rate used (after any schedule).
  std::optional<double> learning_rate;
  /// Line-search step length α along the direction.
  std::optional<double> step_length;
  /// Damping λ (Levenberg-Marquardt, Hessian-free, K-FAC).
  std::optional<double> damping;
  /// The last trial's reduction of f predicted by the method's quadratic model, and the gain
  /// ratio ρ = actual/predicted reduction (Ceres' relative_decrease), for methods with a model.
  std::optional<double> predicted_reduction;
  std::optional<double> gain_ratio;
  /// Iterations of an inner solver (CG, line search).
  std::optional<int> inner_iterations;
  /// Proposals tried before the step returned (1 for methods that never retry).
  int num_trials = 1;
  int num_value_evaluations = 0;
  int num_gradient_evaluations = 0;
  /// Hessian or Gauss-Newton products with a vector (a batched product of k columns counts k):
  /// the curvature work of sampled quasi-Newton pairs, Newton-CG and Levenberg-Marquardt's CG.
  int num_curvature_products = 0;
  StepTimes times;

  bool accepted() const { return status == StepStatus::kAccepted; }
};

namespace detail {

/// Adds the seconds elapsed between construction and destruction to a StepTimes field.
class PhaseTimer {
 public:
  explicit PhaseTimer(double& seconds) : seconds_(seconds), start_(Clock::now()) {}
  ~PhaseTimer() { seconds_ += std::chrono::duration<double>(Clock::now() - start_).count(); }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  using Clock = std::chrono::steady_clock;
  double& seconds_;
  Clock::time_point start_;
};

}  // namespace detail
}  // namespace curvopt
