#pragma once
/// The search half of descent × search (the split of optimistix): it chooses the scalar a descent
/// turns into a step, and judges each trial from the losses and the reduction the descent's model
/// predicted. A small state machine: Levenberg-Marquardt's damping rule, a backtracking line
/// search and a trust-region radius rule are all searches.

#include <limits>
#include <string_view>

#include "curvopt/optim/descent/descent.h"
#include "curvopt/optim/optimizer_state.h"

namespace curvopt {

/// One evaluated trial θ + s, as a search judges it.
struct TrialOutcome {
  double f_old = 0;  ///< f(θ)
  double f_new = 0;  ///< f(θ + s); NaN when the trial was not finite or not evaluated
  /// Whether f(θ + s) was evaluated (see Search::needs_trial_value()).
  bool evaluated = true;
  /// Whether θ + s is finite (what a search that skips the evaluation accepts on).
  bool finite = true;
  /// −(gᵀs + ½sᵀBs), the model's predicted reduction (> 0 when the model decreases).
  double predicted = 0;
  /// (f_old − f_new)/predicted, or −1 when the model predicted no decrease.
  double rho = -1;
  double slope = 0;      ///< gᵀs (< 0 for a descent direction)
  double step_norm = 0;  ///< ‖s‖
  double scalar = 0;     ///< the scalar the trial was made with
  /// ∇f(θ + s)ᵀp along the descent's direction p, when the search asked for trial gradients;
  /// else NaN.
  double trial_slope = std::numeric_limits<double>::quiet_NaN();
};

/// What a search learns when a step begins.
struct StepStart {
  double value = 0;  ///< f(θ)
  /// The descent's suggestion for the first scalar, or NaN.
  double suggested_scalar = std::numeric_limits<double>::quiet_NaN();
  /// gᵀp along a kStepSize descent's direction p, and ‖p‖∞; NaN for other descents.
  double slope = std::numeric_limits<double>::quiet_NaN();
  double direction_max_abs = std::numeric_limits<double>::quiet_NaN();
};

/// The gain ratio of a trial: −1 when the model predicted no decrease, so that such a trial
/// counts as a failure for every ratio test.
inline double gain_ratio(double f_old, double f_new, double predicted) {
  return predicted > 0 ? (f_old - f_new) / predicted : -1;
}

class Search {
 public:
  virtual ~Search() = default;

  virtual StepScalar scalar_kind() const = 0;
  /// A new step begins (a line search restarts from its initial step size, or the descent's
  /// suggestion).
  virtual void begin_step(const StepStart& /*start*/) {}
  /// Whether each trial needs ∇f(θ + s) (a strong-Wolfe search's curvature condition): the loop
  /// then evaluates the gradient instead of the value alone and fills trial_slope.
  virtual bool needs_trial_gradient() const { return false; }
  /// Whether accepts() reads the model's curvature in the predicted reduction; a search that does
  /// not spares the descent's curvature product per trial (the prediction is then the linear
  /// model's −gᵀs).
  virtual bool uses_prediction() const { return true; }
  /// Whether this step's trial needs f(θ + s) at all. A search that takes every finite step and
  /// adapts its scalar only every few steps (K-FAC's damping) spares the loss evaluation on the
  /// others; the trial then has evaluated = false and f_new = NaN, and the report no loss_after.
  virtual bool needs_trial_value() const { return true; }
  /// The scalar for the next trial.
  virtual double scalar() const = 0;
  /// Whether the trial is accepted. Non-finite losses are never accepted.
  virtual bool accepts(const TrialOutcome& trial) const = 0;
  /// The accepted trial's update of the scalar (for the next step).
  virtual void accepted(const TrialOutcome& trial) = 0;
  /// The rejected trial's update; false when the search is exhausted (no scalar left to try).
  virtual bool rejected(const TrialOutcome& trial) = 0;
  /// What the step's report says when no trial was accepted within the trial budget, and when
  /// the search was exhausted (static text).
  virtual std::string_view rejected_message() const = 0;
  virtual std::string_view exhausted_message() const = 0;
  /// Whether exhaustion means no later step can help either (the trainer then stops).
  virtual bool exhaustion_stops_training() const = 0;

  virtual void reset() = 0;
  virtual void save(OptimizerState& state) const = 0;
  virtual void load(const OptimizerState& state) = 0;
};

}  // namespace curvopt
