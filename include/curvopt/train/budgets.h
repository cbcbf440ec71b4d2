#pragma once
/// Callbacks that stop training when a wall-clock or step budget is spent.

#include <cstdint>
#include <string>

#include "curvopt/train/callback.h"

namespace curvopt {

/// Stops once the training time (TrainingContext::elapsed_seconds) reaches `seconds`.
template <class Scalar>
class TimeBudget final : public Callback<Scalar> {
 public:
  /// Throws ConfigError unless seconds > 0.
  explicit TimeBudget(double seconds);
  CallbackAction on_step_end(const TrainingContext<Scalar>& context, const StepInfo&) override;
  std::string stop_message() const override;

 private:
  double seconds_;
};

/// Stops once `max_steps` optimizer steps have been taken in total.
template <class Scalar>
class StepBudget final : public Callback<Scalar> {
 public:
  /// Throws ConfigError unless max_steps ≥ 1.
  explicit StepBudget(std::int64_t max_steps);
  CallbackAction on_step_end(const TrainingContext<Scalar>& context, const StepInfo&) override;
  std::string stop_message() const override;

 private:
  std::int64_t max_steps_;
};

extern template class TimeBudget<float>;
extern template class TimeBudget<double>;
extern template class StepBudget<float>;
extern template class StepBudget<double>;

}  // namespace curvopt
