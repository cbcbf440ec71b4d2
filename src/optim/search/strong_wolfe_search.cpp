// Nocedal & Wright's strong-Wolfe search written as a state machine: each trial's outcome moves
// it from bracketing to zoom to the revisit of the best bracket end, as their Alg. 3.5/3.6 loops
// would, but one trial at a time, so that the descent × search loop evaluates every trial.

#include "curvopt/optim/search/strong_wolfe_search.h"

#include <algorithm>
#include <cmath>

#include "../option_list.h"

namespace curvopt {

StrongWolfeSearch::StrongWolfeSearch(const LineSearchOptions& options) : options_(options) {
  throw_if_invalid(options);
}

void StrongWolfeSearch::begin_step(const StepStart& start) {
  f0_ = start.value;
  slope0_ = start.slope;
  direction_size_ = start.direction_max_abs;
  const double alpha = std::isfinite(start.suggested_scalar) && start.suggested_scalar > 0
                           ? start.suggested_scalar
                           : 1.0;
  state_ = State{};
  state_.prev = {0, f0_, slope0_};
  state_.alpha = alpha;
  outcome_ = LineSearchOutcome::kFailed;
}

bool StrongWolfeSearch::sufficient_decrease(const Point& p) const {
  return p.value <= f0_ + options_.c1 * p.step * slope0_;
}

StrongWolfeSearch::State StrongWolfeSearch::advance(const TrialOutcome& trial) const {
  State s = state_;
  ++s.evaluations;
  if (!(slope0_ < 0)) {  // not a descent direction: no step length helps
    s.fail = true;
    return s;
  }
  const Point cur{s.alpha, trial.f_new, trial.trial_slope};
  const bool finite = std::isfinite(cur.value) && std::isfinite(cur.slope);
  const bool curvature = std::abs(cur.slope) <= -options_.c2 * slope0_;
  const auto accept = [&s](LineSearchOutcome outcome) {
    s.accept = true;
    s.outcome = outcome;
    return s;
  };
  switch (s.phase) {
    case Phase::kRevisit:  // the best bracket end, evaluated again
      if (!finite) break;
      return accept(LineSearchOutcome::kSufficientDecrease);
    case Phase::kBracket:
      if (!finite || !sufficient_decrease(cur) || (s.prev.step > 0 && cur.value >= s.prev.value)) {
        s.phase = Phase::kZoom;
        s.lo = s.prev;
        s.hi = cur;
        next_zoom_trial(s);
        return s;
      }
      if (curvature) return accept(LineSearchOutcome::kStrongWolfe);
      if (cur.slope >= 0) {
        s.phase = Phase::kZoom;
        s.lo = cur;
        s.hi = s.prev;
        next_zoom_trial(s);
        return s;
      }
      // cur decreased f enough but the slope is still steep: with the budget spent, take it.
      if (s.evaluations >= options_.max_evaluations)
        return accept(LineSearchOutcome::kSufficientDecrease);
      // Extrapolate: a cubic step, at least 1 % beyond cur and at most 10 × cur.
      s.alpha =
          cubic_minimizer(s.prev.step, s.prev.value, s.prev.slope, cur.step, cur.value, cur.slope,
                          cur.step + 0.01 * (cur.step - s.prev.step), 10 * cur.step);
      s.prev = cur;
      return s;
    case Phase::kZoom:
      if (!finite || !sufficient_decrease(cur) || cur.value >= s.lo.value) {
        s.hi = cur;
      } else {
        if (curvature) return accept(LineSearchOutcome::kStrongWolfe);
        if (cur.slope * (s.hi.step - s.lo.step) >= 0) s.hi = s.lo;
        s.lo = cur;
      }
      next_zoom_trial(s);
      return s;
  }
  s.fail = true;
  return s;
}

void StrongWolfeSearch::next_zoom_trial(State& s) const {
  if (s.evaluations < options_.max_evaluations &&
      !(std::abs(s.hi.step - s.lo.step) * direction_size_ < options_.bracket_tolerance)) {
    const double a = std::min(s.lo.step, s.hi.step), b = std::max(s.lo.step, s.hi.step);
    const double w = b - a;
    // Keep the trial away from the bracket's ends so that the bracket shrinks every time.
    s.alpha = cubic_minimizer(s.lo.step, s.lo.value, s.lo.slope, s.hi.step, s.hi.value, s.hi.slope,
                              a + 0.1 * w, b - 0.1 * w);
    return;
  }
  if (s.lo.step > 0) {  // the bracket's low end has sufficient decrease: take it
    s.phase = Phase::kRevisit;
    s.alpha = s.lo.step;
    return;
  }
  s.fail = true;
}

bool StrongWolfeSearch::rejected(const TrialOutcome& trial) {
  state_ = advance(trial);
  return !state_.fail;
}

std::string_view StrongWolfeSearch::rejected_message() const {
  return "no step length met the strong-Wolfe conditions within max_trials";
}

std::string_view StrongWolfeSearch::exhausted_message() const {
  return "line search failed: no step length with sufficient decrease found";
}

void StrongWolfeSearch::reset() {
  state_ = State{};
  outcome_ = LineSearchOutcome::kFailed;
}

}  // namespace curvopt
