#pragma once
/// The search half of descent × search (the split of optimistix): it chooses the scalar a descent
/// turns into a step, and judges each trial from the losses and the reduction the descent's model
/// predicted. A small state machine: Levenberg-Marquardt's damping rule, a backtracking line
/// search and a trust-region radius rule are all searches.

#include <string_view>

#include "curvopt/optim/descent/descent.h"
#include "curvopt/optim/optimizer_state.h"

namespace curvopt {

/// One evaluated trial θ + s, as a search judges it.
struct TrialOutcome {
  double f_old = 0;  ///< f(θ)
  double f_new = 0;  ///< f(θ + s); NaN when the trial was not finite
  /// −(gᵀs + ½sᵀBs), the model's predicted reduction (> 0 when the model decreases).
  double predicted = 0;
  /// (f_old − f_new)/predicted, or −1 when the model predicted no decrease.
  double rho = -1;
  double slope = 0;      ///< gᵀs (< 0 for a descent direction)
  double step_norm = 0;  ///< ‖s‖
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
  /// A new step begins (a line search restarts from its initial step size).
  virtual void begin_step() {}
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
