#include "curvopt/optim/search/line_search_options.h"

#include <algorithm>
#include <cmath>

#include "../option_list.h"
#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"
#include "curvopt/optim/option_fields.h"

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

}  // namespace curvopt
