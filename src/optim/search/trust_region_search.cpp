#include "curvopt/optim/search/trust_region_search.h"

#include <algorithm>
#include <cmath>

#include "../option_list.h"

namespace curvopt {

std::optional<std::string> TrustRegionSearchOptions::validate() const {
  const char* o = "TrustRegionSearchOptions";
  std::optional<std::string> order, eta_range, thresholds, factors;
  if (!(min_radius <= initial_radius && initial_radius <= max_radius))
    order = out_of_range(o, "initial_radius", initial_radius, "in [min_radius, max_radius]");
  if (!(eta >= 0 && eta < 0.25)) eta_range = out_of_range(o, "eta", eta, "in [0, 0.25)");
  if (!(shrink_threshold <= grow_threshold && grow_threshold < 1))
    thresholds = out_of_range(o, "grow_threshold", grow_threshold, "in [shrink_threshold, 1)");
  if (!(grow >= 1) || !(shrink > 0 && shrink < 1))
    factors = out_of_range(o, "shrink", shrink, "in (0, 1), with grow >= 1");
  return first_error({require_positive(o, "initial_radius", initial_radius),
                      require_positive(o, "min_radius", min_radius), order, eta_range, thresholds,
                      factors});
}

TrustRegionSearch::TrustRegionSearch(const TrustRegionSearchOptions& options)
    : options_(options), radius_(options.initial_radius) {
  throw_if_invalid(options);
}

bool TrustRegionSearch::accepts(const TrialOutcome& t) const {
  return std::isfinite(t.f_new) && t.rho > options_.eta;
}

void TrustRegionSearch::update(const TrialOutcome& t) {
  const bool at_boundary = t.step_norm >= 0.99 * radius_;
  if (!(t.rho >= options_.shrink_threshold)) {  // also a non-finite trial
    radius_ *= options_.shrink;
  } else if (t.rho > options_.grow_threshold && (at_boundary || !options_.grow_only_at_boundary)) {
    radius_ = std::min(options_.max_radius, options_.grow * radius_);
  }
}

void TrustRegionSearch::accepted(const TrialOutcome& t) { update(t); }

bool TrustRegionSearch::rejected(const TrialOutcome&) {
  // Always shrink, whatever ρ was: a refused trial repeated at the same radius would be refused
  // again.
  radius_ *= options_.shrink;
  return radius_ >= options_.min_radius;
}

std::string_view TrustRegionSearch::rejected_message() const {
  return "no trial within max_trials reduced the loss as the model predicted; radius shrunk";
}

std::string_view TrustRegionSearch::exhausted_message() const {
  return "trust-region radius fell below min_radius without an acceptable step; stopping";
}

void TrustRegionSearch::save(OptimizerState& state) const {
  state.put("trust_region_radius", radius_);
}

void TrustRegionSearch::load(const OptimizerState& state) {
  radius_ = state.get_scalar("trust_region_radius");
}

}  // namespace curvopt
