#include "curvopt/optim/optimizer.h"

#include <cmath>

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

template <class Scalar>
bool accept_gradient(Scalar f, ConstVectorRef<Scalar> grad, StepReport& report) {
  report.loss_before = static_cast<double>(f);
  if (std::isfinite(f) && grad.allFinite()) return true;
  report.status = StepStatus::kNumericalIssue;
  report.message = "non-finite loss or gradient; parameters unchanged";
  return false;
}

template <class Scalar>
bool evaluate_gradient(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                       VectorRef<Scalar> grad, StepReport& report) {
  Scalar f;
  {
    PhaseTimer timer(report.times.gradient_seconds);
    f = problem.gradient(params, grad);
  }
  report.num_gradient_evaluations = 1;
  return accept_gradient<Scalar>(f, grad, report);
}

template bool evaluate_gradient<float>(Problem<float>&, ConstVectorRef<float>, VectorRef<float>,
                                       StepReport&);
template bool evaluate_gradient<double>(Problem<double>&, ConstVectorRef<double>, VectorRef<double>,
                                        StepReport&);
template bool accept_gradient<float>(float, ConstVectorRef<float>, StepReport&);
template bool accept_gradient<double>(double, ConstVectorRef<double>, StepReport&);

}  // namespace detail
}  // namespace curvopt
