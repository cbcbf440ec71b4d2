#include "curvopt/train/budgets.h"

#include <cmath>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
TimeBudget<Scalar>::TimeBudget(double seconds) : seconds_(seconds) {
  if (!(seconds > 0) || !std::isfinite(seconds))
    throw ConfigError("TimeBudget: seconds = " + std::to_string(seconds) + ": must be > 0");
}

template <class Scalar>
CallbackAction TimeBudget<Scalar>::on_step_end(const TrainingContext<Scalar>& context,
                                               const StepInfo&) {
  return context.elapsed_seconds >= seconds_ ? CallbackAction::kStop : CallbackAction::kContinue;
}

template <class Scalar>
std::string TimeBudget<Scalar>::stop_message() const {
  return "time budget of " + std::to_string(seconds_) + " s reached";
}

template <class Scalar>
StepBudget<Scalar>::StepBudget(std::int64_t max_steps) : max_steps_(max_steps) {
  if (max_steps < 1)
    throw ConfigError("StepBudget: max_steps = " + std::to_string(max_steps) + ": must be >= 1");
}

template <class Scalar>
CallbackAction StepBudget<Scalar>::on_step_end(const TrainingContext<Scalar>& context,
                                               const StepInfo&) {
  return context.step >= max_steps_ ? CallbackAction::kStop : CallbackAction::kContinue;
}

template <class Scalar>
std::string StepBudget<Scalar>::stop_message() const {
  return "step budget of " + std::to_string(max_steps_) + " steps reached";
}

template class TimeBudget<float>;
template class TimeBudget<double>;
template class StepBudget<float>;
template class StepBudget<double>;

}  // namespace curvopt
