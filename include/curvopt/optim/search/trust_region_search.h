#pragma once
/// The classical trust-region radius rule (Nocedal & Wright 2006, Alg. 4.1), as a search of the
/// descent × search loop.

#include <optional>
#include <string>

#include "curvopt/optim/search/search.h"

namespace curvopt {

struct TrustRegionSearchOptions {
  /// Δ₀ > 0. Default 1 (the S-LSR1 of Berahas, Jahani, Richtárik & Takáč 2022).
  double initial_radius = 1;
  /// Δ never grows beyond this. Default 1e10.
  double max_radius = 1e10;
  /// The search is exhausted once Δ falls below this. Default 1e-12.
  double min_radius = 1e-12;
  /// Accept when ρ > eta, in [0, 0.25). Default 1e-6 (Berahas et al.'s S-LSR1).
  double eta = 1e-6;
  /// ρ > grow_threshold: Δ ← grow·Δ; ρ < shrink_threshold: Δ ← shrink·Δ. Defaults 0.75, 2, 0.1
  /// and 0.5 (Berahas et al.; Nocedal & Wright use 0.25 for the shrink threshold).
  double grow_threshold = 0.75;
  double grow = 2;
  double shrink_threshold = 0.1;
  double shrink = 0.5;
  /// Grow only when the step reached the boundary (‖s‖ ≥ 0.99Δ), as Nocedal & Wright's rule;
  /// false: whenever ρ is large (Berahas et al.'s code). Default true.
  bool grow_only_at_boundary = true;

  std::optional<std::string> validate() const;
};

/// Scalar: the radius Δ of a kRadius descent. ρ = ared/pred; a trial whose model predicted no
/// decrease (pred ≤ 0) has ρ = −1 and is rejected. A rejection always shrinks Δ; an accepted step
/// with a poor ρ shrinks it too, a very good one at the boundary grows it. Checkpoint key
/// "trust_region_radius".
class TrustRegionSearch final : public Search {
 public:
  /// Throws ConfigError when the options are invalid.
  explicit TrustRegionSearch(const TrustRegionSearchOptions& options = {});

  StepScalar scalar_kind() const override { return StepScalar::kRadius; }
  double scalar() const override { return radius_; }
  bool accepts(const TrialOutcome& trial) const override;
  void accepted(const TrialOutcome& trial) override;
  bool rejected(const TrialOutcome& trial) override;
  std::string_view rejected_message() const override;
  std::string_view exhausted_message() const override;
  /// Δ at its minimum: the model cannot predict any decrease that the function confirms.
  bool exhaustion_stops_training() const override { return true; }
  void reset() override { radius_ = options_.initial_radius; }
  void save(OptimizerState& state) const override;
  void load(const OptimizerState& state) override;

 private:
  void update(const TrialOutcome& trial);

  TrustRegionSearchOptions options_;
  double radius_;
};

}  // namespace curvopt
