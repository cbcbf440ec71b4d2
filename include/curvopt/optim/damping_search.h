#pragma once
/// How Levenberg-Marquardt adapts its damping λ after each trial step (the "search" half of
/// descent × search, the split of optimistix): a small state machine fed accept/reject outcomes.

#include <optional>
#include <string>
#include <string_view>

#include "curvopt/optim/search/search.h"

namespace curvopt {

enum class DampingRule {
  kClassic,               ///< accept → λ/10, reject → 10λ (Marquardt 1963)
  kDelayedGratification,  ///< accept → λ/3, reject → 2λ (Transtrum & Sethna 2012)
  kGainRatio,  ///< ρ' = (f_old − f_new)/f_new; ×2/3 when ρ' > 0.75, ×3/2 when ρ' < 0.25
               ///< (Pooladzandi & Zhou's code)
  kNielsen,  ///< Nielsen (1999): accept → λ·max(1/3, 1 − (2ρ − 1)³), ν = 2; reject → λν, ν ← 2ν
  kTrustRegion,  ///< ρ > 0.75 → λ/3; ρ < 0.25 → 2λ; accept when ρ > 0 (a trust-region radius rule)
};

std::string_view to_string(DampingRule rule);
bool parse_enum(std::string_view text, DampingRule& out);
std::string enum_choices(DampingRule);

struct DampingSearchOptions {
  DampingRule rule = DampingRule::kClassic;
  /// λ₀ > 0. Default 1 (Pooladzandi & Zhou 2022; NonlinearSolve.jl).
  double initial_damping = 1;
  /// Bounds of λ; reaching the maximum on a rejection ends training (no step helps). Defaults
  /// 1e-12 and 1e10.
  double min_damping = 1e-12;
  double max_damping = 1e10;
  /// kClassic factors (decrease on accept, increase on reject). Defaults 10 and 10.
  double classic_decrease = 10;
  double classic_increase = 10;

  std::optional<std::string> validate() const;
};

/// λ and its update rule. ρ is the gain ratio actual/predicted reduction of ½‖r‖². The search
/// of Levenberg-Marquardt and of any damped descent (Hessian-free, K-FAC).
class DampingSearch final : public Search {
 public:
  explicit DampingSearch(const DampingSearchOptions& options = {});

  // The Search protocol.
  StepScalar scalar_kind() const override { return StepScalar::kDamping; }
  double scalar() const override { return lambda_; }
  bool accepts(const TrialOutcome& t) const override { return accepts(t.f_old, t.f_new, t.rho); }
  void accepted(const TrialOutcome& t) override { accepted(t.f_old, t.f_new, t.rho); }
  bool rejected(const TrialOutcome& t) override { return rejected(t.f_old, t.f_new, t.rho); }
  std::string_view rejected_message() const override;
  std::string_view exhausted_message() const override;
  /// λ at its maximum: no step of this damped model decreases the loss.
  bool exhaustion_stops_training() const override { return true; }
  void reset() override { lambda_ = options_.initial_damping, nu_ = 2; }
  /// Keys "damping" and "nu".
  void save(OptimizerState& state) const override;
  void load(const OptimizerState& state) override;

  double damping() const { return lambda_; }
  /// Whether a trial with these losses and gain ratio is accepted (f_new < f_old; for kTrustRegion
  /// and kNielsen ρ > 0). Non-finite losses are never accepted.
  bool accepts(double f_old, double f_new, double rho) const;
  /// Updates λ after an accepted trial.
  void accepted(double f_old, double f_new, double rho);
  /// Updates λ after a rejected trial; returns false when λ is already at its maximum.
  bool rejected(double f_old, double f_new, double rho);
  void set_damping(double lambda) { lambda_ = lambda; }
  double nu() const { return nu_; }
  void set_nu(double nu) { nu_ = nu; }

 private:
  void clamp();

  DampingSearchOptions options_;
  double lambda_;
  double nu_ = 2;
};

}  // namespace curvopt
