#include "curvopt/optim/damping_search.h"

#include <algorithm>
#include <cmath>

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"
#include "option_list.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(DampingRule, {DampingRule::kClassic, "classic"},
                   {DampingRule::kDelayedGratification, "delayed-gratification"},
                   {DampingRule::kGainRatio, "gain-ratio"}, {DampingRule::kNielsen, "nielsen"},
                   {DampingRule::kTrustRegion, "trust-region"})

std::optional<std::string> DampingSearchOptions::validate() const {
  const char* o = "DampingSearchOptions";
  std::optional<std::string> order, factors;
  // λ₀ = min_damping is allowed (a floor that starts active); λ₀ = max_damping is not, since
  // the first rejection would already stop training.
  if (!(min_damping <= initial_damping && initial_damping < max_damping))
    order = out_of_range(o, "initial_damping", initial_damping, "in [min_damping, max_damping)");
  if (!(classic_decrease > 1) || !(classic_increase > 1))
    factors =
        out_of_range(o, "classic_decrease", classic_decrease, "> 1, as must classic_increase");
  return first_error({require_positive(o, "initial_damping", initial_damping),
                      require_positive(o, "min_damping", min_damping),
                      require_positive(o, "max_damping", max_damping), order, factors});
}

DampingSearch::DampingSearch(const DampingSearchOptions& options)
    : options_(options), lambda_(options.initial_damping) {
  throw_if_invalid(options);
}

void DampingSearch::clamp() {
  lambda_ = std::clamp(lambda_, options_.min_damping, options_.max_damping);
}

bool DampingSearch::accepts(double f_old, double f_new, double rho) const {
  // A strict decrease: a step that leaves f as it is (f = 0 reached in float32, or a step
  // below f's resolution) is no progress, and accepting it would let θ drift at constant f
  // (the test accuracy of a float32 network then fell once its training loss was exactly 0).
  // Acceptance rules (uphill steps) widen this in the minimizer, not here.
  if (!std::isfinite(f_new)) return false;
  if (options_.rule == DampingRule::kTrustRegion || options_.rule == DampingRule::kNielsen)
    return rho > 0 && f_new < f_old;
  return f_new < f_old;
}

void DampingSearch::accepted(double f_old, double f_new, double rho) {
  switch (options_.rule) {
    case DampingRule::kClassic:
      lambda_ /= options_.classic_decrease;
      break;
    case DampingRule::kDelayedGratification:
      lambda_ /= 3;
      break;
    case DampingRule::kGainRatio: {
      const double gain = (f_old - f_new) / f_new;
      if (gain > 0.75 && lambda_ >= 1e-5) lambda_ *= 2.0 / 3.0;
      break;
    }
    case DampingRule::kNielsen: {
      const double t = 2 * rho - 1;
      lambda_ *= std::max(1.0 / 3.0, 1 - t * t * t);
      nu_ = 2;
      break;
    }
    case DampingRule::kTrustRegion:
      if (rho > 0.75) lambda_ /= 3;
      if (rho < 0.25) lambda_ *= 2;
      break;
  }
  clamp();
}

bool DampingSearch::rejected(double f_old, double f_new, double) {
  if (lambda_ >= options_.max_damping) return false;
  switch (options_.rule) {
    case DampingRule::kClassic:
      lambda_ *= options_.classic_increase;
      break;
    case DampingRule::kDelayedGratification:
      lambda_ *= 2;
      break;
    case DampingRule::kGainRatio: {
      // Pooladzandi & Zhou's code raises λ only for a poor gain; any rejection here has
      // f_new > f_old, so the gain is negative and λ always grows (unless λ is already above 1e5,
      // where it stops).
      const double gain = std::isfinite(f_new) ? (f_old - f_new) / f_new : -1;
      if (gain < 0.25) lambda_ *= lambda_ <= 1e5 ? 1.5 : 10;
      break;
    }
    case DampingRule::kNielsen:
      lambda_ *= nu_;
      nu_ *= 2;
      break;
    case DampingRule::kTrustRegion:
      lambda_ *= 2;
      break;
  }
  clamp();
  return true;
}

std::string_view DampingSearch::rejected_message() const {
  return "no trial decreased the loss within max_trials; damping increased";
}

std::string_view DampingSearch::exhausted_message() const {
  return "damping reached its maximum (max_damping) without a step that decreases the loss; "
         "stopping";
}

void DampingSearch::save(OptimizerState& state) const {
  state.put("damping", lambda_);
  state.put("nu", nu_);
}

void DampingSearch::load(const OptimizerState& state) {
  lambda_ = state.get_scalar("damping");
  nu_ = state.get_scalar("nu");
}

}  // namespace curvopt
