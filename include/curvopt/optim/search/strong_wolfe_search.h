#pragma once
/// The strong-Wolfe line search (Nocedal & Wright 2006, Alg. 3.5 and 3.6) as a search of the
/// descent × search loop: bracketing by cubic extrapolation, then zoom by safeguarded cubic
/// interpolation, each trial judged from f and the slope ∇fᵀp at the trial.

#include "curvopt/optim/search/line_search_options.h"
#include "curvopt/optim/search/search.h"

namespace curvopt {

/// Scalar: the step size α of a kStepSize descent (s = α·p). Needs the gradient at every trial.
/// Uses c1, c2, max_evaluations and bracket_tolerance of the options. Accepts a trial that meets
/// both strong-Wolfe conditions; when the evaluation budget runs out while extrapolating, the
/// last trial (which has sufficient decrease); when the zoom's bracket or budget runs out, the
/// best trial with sufficient decrease found, which it proposes once more to be re-evaluated (the
/// loop then needs max_evaluations + 1 trials at most). Keeps nothing between steps but the
/// outcome of the last search.
class StrongWolfeSearch final : public Search {
 public:
  /// Throws ConfigError when the options are invalid.
  explicit StrongWolfeSearch(const LineSearchOptions& options = {});

  StepScalar scalar_kind() const override { return StepScalar::kStepSize; }
  /// α₀ = the descent's suggestion, or 1.
  void begin_step(const StepStart& start) override;
  bool needs_trial_gradient() const override { return true; }
  double scalar() const override { return state_.alpha; }
  bool accepts(const TrialOutcome& trial) const override { return advance(trial).accept; }
  void accepted(const TrialOutcome& trial) override { outcome_ = advance(trial).outcome; }
  bool rejected(const TrialOutcome& trial) override;
  std::string_view rejected_message() const override;
  std::string_view exhausted_message() const override;
  bool exhaustion_stops_training() const override { return false; }
  void reset() override;
  void save(OptimizerState&) const override {}
  void load(const OptimizerState&) override { reset(); }

  /// How the last search ended (kFailed before the first, and after a failed one).
  LineSearchOutcome last_outcome() const { return outcome_; }

 private:
  /// A trial of φ(α) = f(θ + αp): α, φ(α), φ'(α).
  struct Point {
    double step = 0, value = 0, slope = 0;
  };
  enum class Phase { kBracket, kZoom, kRevisit };
  struct State {
    Phase phase = Phase::kBracket;
    Point prev, lo, hi;
    double alpha = 1;  ///< the next trial's step
    int evaluations = 0;
    bool accept = false, fail = false;
    LineSearchOutcome outcome = LineSearchOutcome::kFailed;
  };
  /// The state after `trial` (made with state_.alpha); accepts() and rejected() both use it.
  State advance(const TrialOutcome& trial) const;
  /// The next zoom trial in [lo, hi], or the revisit of lo, or failure.
  void next_zoom_trial(State& s) const;
  bool sufficient_decrease(const Point& p) const;

  LineSearchOptions options_;
  double f0_ = 0, slope0_ = 0, direction_size_ = 0;
  State state_;
  LineSearchOutcome outcome_ = LineSearchOutcome::kFailed;
};

}  // namespace curvopt
