#pragma once
/// Backtracking line search with the Armijo condition, as a search of the descent × search loop.

#include <limits>
#include <optional>
#include <string>

#include "curvopt/optim/search/search.h"

namespace curvopt {

struct BacktrackingSearchOptions {
  /// α of each step's first trial, > 0, unless the descent suggests one. Default 1.
  double initial_step = 1;
  /// α ← factor·α after a refused trial, in (0, 1). Default 0.5.
  double factor = 0.5;
  /// Sufficient decrease f(θ + s) ≤ f(θ) + c₁·gᵀs, c₁ in (0, 1). Default 1e-4.
  double c1 = 1e-4;
  /// The search is exhausted once α falls below this. Default 1e-25 (as the sampled
  /// quasi-Newton code of Berahas, Jahani, Richtárik & Takáč 2022).
  double min_step = 1e-25;
  /// Start each step from min(max_step, growth·α_prev) with α_prev the previous accepted α
  /// (growth 2 in Berahas et al.'s S-LBFGS); 0 = always from initial_step. Default 0.
  double growth = 0;
  /// The largest first trial growth may reach. Default ∞ (Berahas et al. double without bound).
  double max_step = std::numeric_limits<double>::infinity();

  std::optional<std::string> validate() const;
};

/// Scalar: the step size α of a kStepSize descent (s = α·p). Accepts a finite trial that meets
/// sufficient decrease; a model that predicts no decrease (gᵀs ≥ 0) is never accepted, so a
/// non-descent direction exhausts the search instead of moving uphill. Checkpoint key
/// "backtracking_step" (the previous accepted α).
class BacktrackingSearch final : public Search {
 public:
  /// Throws ConfigError when the options are invalid.
  explicit BacktrackingSearch(const BacktrackingSearchOptions& options = {});

  StepScalar scalar_kind() const override { return StepScalar::kStepSize; }
  /// α = the descent's suggestion when it has one, else as the options say.
  void begin_step(const StepStart& start) override;
  double scalar() const override { return alpha_; }
  bool accepts(const TrialOutcome& trial) const override;
  void accepted(const TrialOutcome& trial) override;
  bool rejected(const TrialOutcome& trial) override;
  std::string_view rejected_message() const override;
  std::string_view exhausted_message() const override;
  /// Another batch (or a new direction) may still descend.
  bool exhaustion_stops_training() const override { return false; }
  void reset() override;
  void save(OptimizerState& state) const override;
  void load(const OptimizerState& state) override;

 private:
  BacktrackingSearchOptions options_;
  double alpha_;
  double previous_ = 0;  // the last accepted α; 0 before the first
};

}  // namespace curvopt
