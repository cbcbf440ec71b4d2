#include "curvopt/optim/search/backtracking_search.h"

#include <algorithm>
#include <cmath>

#include "../option_list.h"

namespace curvopt {

std::optional<std::string> BacktrackingSearchOptions::validate() const {
  const char* o = "BacktrackingSearchOptions";
  std::optional<std::string> factor_range, c1_range, max_range;
  if (!(max_step > 0)) max_range = out_of_range(o, "max_step", max_step, "> 0 (may be inf)");
  if (!(factor > 0 && factor < 1)) factor_range = out_of_range(o, "factor", factor, "in (0, 1)");
  if (!(c1 > 0 && c1 < 1)) c1_range = out_of_range(o, "c1", c1, "in (0, 1)");
  return first_error({require_positive(o, "initial_step", initial_step), factor_range, c1_range,
                      require_positive(o, "min_step", min_step),
                      require_non_negative(o, "growth", growth), max_range});
}

BacktrackingSearch::BacktrackingSearch(const BacktrackingSearchOptions& options)
    : options_(options), alpha_(options.initial_step) {
  throw_if_invalid(options);
}

void BacktrackingSearch::begin_step(const StepStart& start) {
  if (std::isfinite(start.suggested_scalar) && start.suggested_scalar > 0) {
    alpha_ = start.suggested_scalar;
    return;
  }
  alpha_ = options_.growth > 0 && previous_ > 0
               ? std::min(options_.max_step, options_.growth * previous_)
               : options_.initial_step;
}

bool BacktrackingSearch::accepts(const TrialOutcome& t) const {
  return std::isfinite(t.f_new) && t.slope < 0 && t.f_new <= t.f_old + options_.c1 * t.slope;
}

void BacktrackingSearch::accepted(const TrialOutcome&) { previous_ = alpha_; }

bool BacktrackingSearch::rejected(const TrialOutcome& t) {
  if (!(t.slope < 0)) return false;  // not a descent direction: no α helps
  alpha_ *= options_.factor;
  return alpha_ >= options_.min_step;
}

std::string_view BacktrackingSearch::rejected_message() const {
  return "no step length met the sufficient-decrease condition within max_trials";
}

std::string_view BacktrackingSearch::exhausted_message() const {
  return "line search failed: not a descent direction, or the step length fell below min_step";
}

void BacktrackingSearch::reset() {
  alpha_ = options_.initial_step;
  previous_ = 0;
}

void BacktrackingSearch::save(OptimizerState& state) const {
  state.put("backtracking_step", previous_);
}

void BacktrackingSearch::load(const OptimizerState& state) {
  previous_ = state.get_scalar("backtracking_step");
  alpha_ = options_.initial_step;
}

}  // namespace curvopt
