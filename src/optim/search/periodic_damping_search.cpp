#include "curvopt/optim/search/periodic_damping_search.h"

#include <algorithm>
#include <cmath>

#include "../option_list.h"

namespace curvopt {

std::optional<std::string> PeriodicDampingSearchOptions::validate() const {
  const char* o = "PeriodicDampingSearchOptions";
  std::optional<std::string> bounds, period_range, decay_range, band;
  if (!(min_damping > 0 && min_damping <= initial_damping && initial_damping <= max_damping &&
        std::isfinite(max_damping)))
    bounds = out_of_range(o, "initial_damping", initial_damping,
                          "finite, in [min_damping, max_damping], min_damping > 0");
  if (period < 1) period_range = out_of_range(o, "period", period, ">= 1");
  if (!(decay > 0 && decay < 1)) decay_range = out_of_range(o, "decay", decay, "in (0, 1)");
  if (!(rho_low <= rho_high && std::isfinite(rho_low) && std::isfinite(rho_high)))
    band = out_of_range(o, "rho_low", rho_low, "finite and <= rho_high");
  return first_error({bounds, period_range, decay_range, band});
}

PeriodicDampingSearch::PeriodicDampingSearch(const PeriodicDampingSearchOptions& options)
    : options_(options),
      lambda_(options.initial_damping),
      factor_(std::pow(options.decay, options.period)) {
  throw_if_invalid(options);
}

bool PeriodicDampingSearch::accepts(const TrialOutcome& t) const {
  if (!t.finite) return false;
  return !options_.reject_uphill || t.f_new < t.f_old;
}

void PeriodicDampingSearch::accepted(const TrialOutcome& t) {
  if (!adapts() || !t.evaluated) return;
  if (t.rho > options_.rho_high)
    lambda_ *= factor_;
  else if (!(t.rho >= options_.rho_low))  // NaN (no predicted decrease) included
    lambda_ /= factor_;
  lambda_ = std::clamp(lambda_, options_.min_damping, options_.max_damping);
}

bool PeriodicDampingSearch::rejected(const TrialOutcome& t) {
  if (!t.finite || lambda_ >= options_.max_damping) return false;
  lambda_ = std::min(lambda_ / factor_, options_.max_damping);
  return true;
}

std::string_view PeriodicDampingSearch::rejected_message() const {
  return "no step decreased the loss within max_trials (damping raised each time)";
}

std::string_view PeriodicDampingSearch::exhausted_message() const {
  return "the step was not finite, or the damping reached its maximum; parameters unchanged";
}

void PeriodicDampingSearch::reset() {
  lambda_ = options_.initial_damping;
  steps_ = 0;
}

void PeriodicDampingSearch::save(OptimizerState& state) const {
  state.put("damping", lambda_);
  state.put("damping_steps", static_cast<double>(steps_));
}

void PeriodicDampingSearch::load(const OptimizerState& state) {
  const double lambda = state.get_scalar("damping");
  if (!(lambda > 0) || !std::isfinite(lambda))
    throw ValueError("state entry damping = " + format_option_value(lambda) +
                     ": must be finite and > 0");
  lambda_ = lambda;
  steps_ = state.get_count("damping_steps");
}

}  // namespace curvopt
