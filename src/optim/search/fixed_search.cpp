#include "curvopt/optim/search/fixed_search.h"

#include <cmath>
#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {

FixedSearch::FixedSearch(StepScalar kind, double value)
    : kind_(kind), value_(value), current_(value) {
  if (!(std::isfinite(value) && value > 0))
    throw ConfigError("FixedSearch: " + std::string(to_string(kind)) + " = " +
                      format_option_value(value) + ": must be finite and > 0");
}

void FixedSearch::begin_step(const StepStart& start) {
  current_ = std::isfinite(start.suggested_scalar) && start.suggested_scalar > 0
                 ? start.suggested_scalar
                 : value_;
}

bool FixedSearch::accepts(const TrialOutcome& trial) const { return std::isfinite(trial.f_new); }

std::string_view FixedSearch::rejected_message() const {
  return "the step's loss was not finite; parameters unchanged";
}

std::string_view FixedSearch::exhausted_message() const {
  return "the step could not be computed or its loss was not finite; parameters unchanged";
}

}  // namespace curvopt
