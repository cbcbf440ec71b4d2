#include "curvopt/optim/optimizer.h"

#include "curvopt/core/errors.h"

namespace curvopt {

std::string_view to_string(StepStatus status) {
  switch (status) {
    case StepStatus::kAccepted:
      return "accepted";
    case StepStatus::kRejected:
      return "rejected";
    case StepStatus::kNumericalIssue:
      return "numerical-issue";
    case StepStatus::kNoConvergence:
      return "no-convergence";
  }
  return "unknown";
}

namespace detail {

void check_parameter_count(std::string_view optimizer, Index params, Index problem, Index state) {
  if (params != problem)
    throw ShapeError(std::string(optimizer) + ": the parameter vector has " +
                     std::to_string(params) + " entries but the problem has " +
                     std::to_string(problem) + " parameters");
  if (state != 0 && state != problem)
    throw ShapeError(std::string(optimizer) + ": the optimizer's state is for " +
                     std::to_string(state) + " parameters but the problem has " +
                     std::to_string(problem) + " (call reset() to start afresh)");
}

void check_state_owner(std::string_view optimizer, const OptimizerState& state) {
  if (state.optimizer() != optimizer)
    throw ValueError(std::string(optimizer) + ": cannot load a state saved by '" +
                     state.optimizer() + "'");
}

}  // namespace detail
}  // namespace curvopt
