#pragma once
/// The search that does not search: one trial per step at a fixed scalar (or the descent's
/// suggestion), taken whenever its loss is finite.

#include "curvopt/optim/search/search.h"

namespace curvopt {

/// Fixed damping for a damped Gauss-Newton descent (the full-Jacobian NLLS of Brust 2021), or a
/// fixed step size for a direction (L-BFGS without a line search). A trial whose loss is not
/// finite exhausts the search: the step ends with θ untouched. Keeps no state.
class FixedSearch final : public Search {
 public:
  /// Throws ConfigError when `value` is not finite and > 0.
  FixedSearch(StepScalar kind, double value);

  StepScalar scalar_kind() const override { return kind_; }
  /// The descent's suggestion replaces the fixed value for this step when it has one.
  void begin_step(const StepStart& start) override;
  double scalar() const override { return current_; }
  bool uses_prediction() const override { return false; }
  bool accepts(const TrialOutcome& trial) const override;
  void accepted(const TrialOutcome&) override {}
  bool rejected(const TrialOutcome&) override { return false; }
  std::string_view rejected_message() const override;
  std::string_view exhausted_message() const override;
  bool exhaustion_stops_training() const override { return false; }
  void reset() override { current_ = value_; }
  void save(OptimizerState&) const override {}
  void load(const OptimizerState&) override { reset(); }

 private:
  StepScalar kind_;
  double value_, current_;
};

}  // namespace curvopt
