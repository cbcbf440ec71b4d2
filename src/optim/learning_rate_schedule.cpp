#include "curvopt/optim/learning_rate_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "curvopt/core/enum_names.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(ScheduleKind, {ScheduleKind::kConstant, "constant"},
                   {ScheduleKind::kStep, "step"}, {ScheduleKind::kCosine, "cosine"},
                   {ScheduleKind::kInverseTime, "inverse-time"},
                   {ScheduleKind::kExponential, "exponential"})

std::optional<std::string> LearningRateScheduleOptions::validate() const {
  const std::string p = "LearningRateScheduleOptions::";
  if (step_size < 1) return p + "step_size = " + format_option_value(step_size) + ": must be >= 1";
  if (!(gamma > 0 && gamma <= 1))
    return p + "gamma = " + format_option_value(gamma) + ": must be in (0, 1]";
  if (period < 1) return p + "period = " + format_option_value(period) + ": must be >= 1";
  if (!(min_learning_rate >= 0 && std::isfinite(min_learning_rate)))
    return p + "min_learning_rate = " + format_option_value(min_learning_rate) +
           ": must be finite and >= 0";
  if (!(decay >= 0 && std::isfinite(decay)))
    return p + "decay = " + format_option_value(decay) + ": must be finite and >= 0";
  return std::nullopt;
}

double scheduled_learning_rate(const LearningRateScheduleOptions& s, double base, std::int64_t t) {
  switch (s.kind) {
    case ScheduleKind::kConstant:
      return base;
    case ScheduleKind::kStep:
      return base * std::pow(s.gamma, static_cast<double>(t / s.step_size));
    case ScheduleKind::kCosine: {
      const double progress =
          static_cast<double>(std::min(t, s.period)) / static_cast<double>(s.period);
      return s.min_learning_rate +
             (base - s.min_learning_rate) * (1 + std::cos(std::numbers::pi * progress)) / 2;
    }
    case ScheduleKind::kInverseTime:
      return base / (1 + s.decay * static_cast<double>(t));
    case ScheduleKind::kExponential:
      return base * std::pow(s.gamma, static_cast<double>(t));
  }
  return base;
}

}  // namespace curvopt
