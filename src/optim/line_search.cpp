#include "curvopt/optim/line_search.h"

#include <algorithm>
#include <cmath>

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"
#include "curvopt/optim/option_fields.h"
#include "option_list.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(LineSearchKind, {LineSearchKind::kNone, "none"},
                   {LineSearchKind::kArmijo, "armijo"},
                   {LineSearchKind::kStrongWolfe, "strong-wolfe"})

std::optional<std::string> LineSearchOptions::validate() const {
  const std::string p = "LineSearchOptions::";
  if (!(c1 > 0 && c1 < 1)) return p + "c1 = " + format_option_value(c1) + ": must be in (0, 1)";
  if (kind == LineSearchKind::kStrongWolfe && !(c2 > c1 && c2 < 1))
    return p + "c2 = " + format_option_value(c2) + ": must be in (c1, 1)";
  if (!(backtrack_factor > 0 && backtrack_factor < 1))
    return p + "backtrack_factor = " + format_option_value(backtrack_factor) +
           ": must be in (0, 1)";
  if (max_evaluations < 1)
    return p + "max_evaluations = " + format_option_value(max_evaluations) + ": must be >= 1";
  if (!(min_step > 0)) return p + "min_step = " + format_option_value(min_step) + ": must be > 0";
  if (!(bracket_tolerance >= 0))
    return p + "bracket_tolerance = " + format_option_value(bracket_tolerance) + ": must be >= 0";
  return std::nullopt;
}

double cubic_minimizer(double x1, double f1, double g1, double x2, double f2, double g2, double lo,
                       double hi) {
  const double mid = (lo + hi) / 2;
  if (!std::isfinite(f1) || !std::isfinite(g1) || !std::isfinite(f2) || !std::isfinite(g2) ||
      x1 == x2)
    return mid;
  // Nocedal & Wright (3.59): the cubic's stationary point with positive curvature.
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double disc = d1 * d1 - g1 * g2;
  if (!(disc >= 0)) return mid;
  const double d2 = std::copysign(std::sqrt(disc), x2 - x1);
  const double denom = g2 - g1 + 2 * d2;
  if (denom == 0) return mid;
  const double x = x2 - (x2 - x1) * (g2 + d2 - d1) / denom;
  if (!std::isfinite(x)) return mid;
  return std::clamp(x, lo, hi);
}

template <class Scalar>
LineSearch<Scalar>::LineSearch(const LineSearchOptions& options) : options_(options) {
  throw_if_invalid(options);
}

template <class Scalar>
typename LineSearch<Scalar>::Trial LineSearch<Scalar>::evaluate(Problem<Scalar>& problem,
                                                                ConstVectorRef<Scalar> params,
                                                                ConstVectorRef<Scalar> direction,
                                                                double step, int& evaluations) {
  point_ = params + static_cast<Scalar>(step) * direction;
  const Scalar value = problem.gradient(point_, grad_);
  ++evaluations;
  ++num_gradients_;
  return {step, static_cast<double>(value), static_cast<double>(grad_.dot(direction))};
}

template <class Scalar>
void LineSearch<Scalar>::restore_lo(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> direction,
                                    double step) {
  point_ = params + static_cast<Scalar>(step) * direction;
  grad_.swap(grad_lo_);
}

template <class Scalar>
LineSearchResult<Scalar> LineSearch<Scalar>::finish(LineSearchOutcome outcome, const Trial& t,
                                                    std::string_view message,
                                                    bool non_finite) const {
  LineSearchResult<Scalar> r;
  r.outcome = outcome;
  r.step_length = t.step;
  r.value = static_cast<Scalar>(t.value);
  r.directional_derivative = t.slope;
  r.num_value_evaluations = num_values_;
  r.num_gradient_evaluations = num_gradients_;
  r.non_finite = non_finite;
  r.message = message;
  return r;
}

template <class Scalar>
LineSearchResult<Scalar> LineSearch<Scalar>::search(Problem<Scalar>& problem,
                                                    ConstVectorRef<Scalar> params,
                                                    ConstVectorRef<Scalar> direction, Scalar value,
                                                    double slope, double initial_step) {
  const Index n = params.size();
  if (direction.size() != n)
    throw ShapeError("LineSearch: the direction has " + std::to_string(direction.size()) +
                     " entries, expected " + std::to_string(n));
  num_values_ = 0;
  num_gradients_ = 0;
  if (point_.size() != n) {
    point_.resize(n);
    grad_.resize(n);
    grad_lo_.resize(n);
  }
  if (!(initial_step > 0) || !std::isfinite(initial_step))
    throw ValueError("LineSearch: initial step " + format_option_value(initial_step) +
                     " must be finite and > 0");
  const auto f0 = static_cast<double>(value);
  if (!(slope < 0)) {
    LineSearchResult<Scalar> r;
    r.message = "not a descent direction";
    return r;
  }
  switch (options_.kind) {
    case LineSearchKind::kNone: {
      int evaluations = 0;
      const Trial t = evaluate(problem, params, direction, initial_step, evaluations);
      if (!std::isfinite(t.value) || !grad_.allFinite())
        return finish(LineSearchOutcome::kFailed, t, "non-finite loss or gradient at the step",
                      true);
      return finish(LineSearchOutcome::kUnchecked, t);
    }
    case LineSearchKind::kArmijo:
      return armijo(problem, params, direction, f0, slope, initial_step);
    case LineSearchKind::kStrongWolfe:
      return strong_wolfe(problem, params, direction, f0, slope, initial_step);
  }
  return {};
}

template <class Scalar>
LineSearchResult<Scalar> LineSearch<Scalar>::armijo(Problem<Scalar>& problem,
                                                    ConstVectorRef<Scalar> params,
                                                    ConstVectorRef<Scalar> direction, double value,
                                                    double slope, double step) {
  int evaluations = 0;
  while (evaluations < options_.max_evaluations) {
    // Trials need only the value; the gradient is taken once, at the accepted step (the
    // Objective reuses that forward pass).
    point_ = params + static_cast<Scalar>(step) * direction;
    const auto f = static_cast<double>(problem.value(point_));
    ++evaluations;
    ++num_values_;
    if (std::isfinite(f) && f <= value + options_.c1 * step * slope) {
      const Scalar f_again = problem.gradient(point_, grad_);
      ++num_gradients_;
      if (!grad_.allFinite())
        return finish(LineSearchOutcome::kFailed, {step, f, 0},
                      "non-finite gradient at the accepted step", true);
      return finish(
          LineSearchOutcome::kSufficientDecrease,
          {step, static_cast<double>(f_again), static_cast<double>(grad_.dot(direction))});
    }
    step *= options_.backtrack_factor;
    if (step < options_.min_step)
      return finish(LineSearchOutcome::kFailed, {step, f, 0},
                    "step length fell below min_step without sufficient decrease");
  }
  return finish(LineSearchOutcome::kFailed, {step, value, 0},
                "evaluation budget exhausted without sufficient decrease");
}

template <class Scalar>
LineSearchResult<Scalar> LineSearch<Scalar>::strong_wolfe(Problem<Scalar>& problem,
                                                          ConstVectorRef<Scalar> params,
                                                          ConstVectorRef<Scalar> direction,
                                                          double value, double slope, double step) {
  int evaluations = 0;
  Trial prev{0, value, slope};
  for (;;) {
    const Trial cur = evaluate(problem, params, direction, step, evaluations);
    const bool finite = std::isfinite(cur.value) && std::isfinite(cur.slope);
    if (!finite || cur.value > value + options_.c1 * cur.step * slope ||
        (prev.step > 0 && cur.value >= prev.value))
      return zoom(problem, params, direction, value, slope, prev, cur, evaluations);
    if (std::abs(cur.slope) <= -options_.c2 * slope)
      return finish(LineSearchOutcome::kStrongWolfe, cur);
    grad_lo_ = grad_;
    if (cur.slope >= 0)
      return zoom(problem, params, direction, value, slope, cur, prev, evaluations);
    if (evaluations >= options_.max_evaluations) {
      // cur decreased f enough but the slope is still steep: accept it without curvature.
      return finish(LineSearchOutcome::kSufficientDecrease, cur,
                    "evaluation budget exhausted while extrapolating");
    }
    // Extrapolate: a cubic step, at least 1 % beyond cur and at most 10 × cur.
    const double next =
        cubic_minimizer(prev.step, prev.value, prev.slope, cur.step, cur.value, cur.slope,
                        cur.step + 0.01 * (cur.step - prev.step), 10 * cur.step);
    prev = cur;
    step = next;
  }
}

template <class Scalar>
LineSearchResult<Scalar> LineSearch<Scalar>::zoom(Problem<Scalar>& problem,
                                                  ConstVectorRef<Scalar> params,
                                                  ConstVectorRef<Scalar> direction, double value,
                                                  double slope, Trial lo, Trial hi,
                                                  int evaluations) {
  const double direction_size = static_cast<double>(direction.cwiseAbs().maxCoeff());
  while (evaluations < options_.max_evaluations) {
    if (std::abs(hi.step - lo.step) * direction_size < options_.bracket_tolerance) break;
    const double a = std::min(lo.step, hi.step), b = std::max(lo.step, hi.step), w = b - a;
    // Keep the trial away from the bracket's ends so that the bracket shrinks every time.
    const double t = cubic_minimizer(lo.step, lo.value, lo.slope, hi.step, hi.value, hi.slope,
                                     a + 0.1 * w, b - 0.1 * w);
    const Trial cur = evaluate(problem, params, direction, t, evaluations);
    const bool finite = std::isfinite(cur.value) && std::isfinite(cur.slope);
    if (!finite || cur.value > value + options_.c1 * cur.step * slope || cur.value >= lo.value) {
      hi = cur;
    } else {
      if (std::abs(cur.slope) <= -options_.c2 * slope)
        return finish(LineSearchOutcome::kStrongWolfe, cur);
      if (cur.slope * (hi.step - lo.step) >= 0) hi = lo;
      lo = cur;
      grad_lo_ = grad_;
    }
  }
  if (lo.step > 0) {
    restore_lo(params, direction, lo.step);
    return finish(LineSearchOutcome::kSufficientDecrease, lo,
                  "bracket or budget exhausted before the curvature condition held");
  }
  return finish(LineSearchOutcome::kFailed, lo, "no step with sufficient decrease found");
}

template class LineSearch<float>;
template class LineSearch<double>;

}  // namespace curvopt
