#pragma once
/// K-FAC's damping adaptation (Martens & Grosse 2015, Sec. 6.5) as a search: every step is
/// taken, and every `period` steps the Levenberg-Marquardt rule moves λ by the reduction ratio
/// of that step.

#include <cstdint>
#include <optional>
#include <string>

#include "curvopt/optim/search/search.h"

namespace curvopt {

struct PeriodicDampingSearchOptions {
  /// λ₀ > 0. Default 1.
  double initial_damping = 1;
  /// Bounds of λ. Defaults 1e-8 and 1e8.
  double min_damping = 1e-8;
  double max_damping = 1e8;
  /// T₁ ≥ 1: λ is adapted after every T₁-th step (and f is evaluated only then). Default 5.
  int period = 5;
  /// ω ∈ (0, 1) per step: λ ← ω^T₁·λ when ρ > rho_high, λ ← λ/ω^T₁ when ρ < rho_low.
  /// Defaults 19/20, 1/4 and 3/4 (Martens & Grosse).
  double decay = 0.95;
  double rho_low = 0.25;
  double rho_high = 0.75;
  /// Take a step only when its loss decreased (ρ > 0), evaluating f on every step; a refused
  /// step raises λ by 1/ω^T₁ and is tried again (kfac-jax's step rejection). Default false.
  bool reject_uphill = false;

  std::optional<std::string> validate() const;
};

/// Scalar: a damping λ. Accepts every trial with a finite θ + s (with reject_uphill, every trial
/// whose loss fell). The reduction ratio ρ = (f_old − f_new)/predicted of the adaptation steps
/// uses the descent's damped model, as Martens & Grosse do. Checkpoint keys "damping" and
/// "damping_steps".
class PeriodicDampingSearch final : public Search {
 public:
  /// Throws ConfigError when the options are invalid.
  explicit PeriodicDampingSearch(const PeriodicDampingSearchOptions& options = {});

  StepScalar scalar_kind() const override { return StepScalar::kDamping; }
  void begin_step(const StepStart&) override { ++steps_; }
  double scalar() const override { return lambda_; }
  bool needs_trial_value() const override { return options_.reject_uphill || adapts(); }
  bool accepts(const TrialOutcome& trial) const override;
  void accepted(const TrialOutcome& trial) override;
  bool rejected(const TrialOutcome& trial) override;
  std::string_view rejected_message() const override;
  std::string_view exhausted_message() const override;
  bool exhaustion_stops_training() const override { return false; }
  void reset() override;
  void save(OptimizerState& state) const override;
  void load(const OptimizerState& state) override;

  /// Whether the current step adapts λ.
  bool adapts() const { return steps_ % options_.period == 0; }

 private:
  PeriodicDampingSearchOptions options_;
  double lambda_;
  double factor_;           // ω^T₁
  std::int64_t steps_ = 0;  // steps begun, the current one included
};

}  // namespace curvopt
