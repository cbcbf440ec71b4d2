#pragma once
/// A callback that writes a checkpoint every N steps and at the end of training.

#include <cstdint>
#include <filesystem>

#include "curvopt/train/callback.h"

namespace curvopt {

/// Writes `file` (atomically: temporary file, then rename) every `every_steps` steps and when
/// training ends, however it ends (completed, stopped by a callback or budget, interrupted by
/// the stop flag). Trainer::load_checkpoint() resumes from it. Add it after a TrainingLog, so
/// that every step a checkpoint covers is already logged.
template <class Scalar>
class Checkpointer final : public Callback<Scalar> {
 public:
  /// Throws ConfigError unless every_steps ≥ 1 (or 0: only at epoch and training ends).
  Checkpointer(std::filesystem::path file, std::int64_t every_steps);
  CallbackAction on_step_end(const TrainingContext<Scalar>& context, const StepInfo&) override;
  void on_train_end(const TrainingContext<Scalar>& context, const TrainingSummary&) override;
  std::int64_t num_written() const { return num_written_; }

 private:
  std::filesystem::path file_;
  std::int64_t every_steps_;
  std::int64_t num_written_ = 0;
};

extern template class Checkpointer<float>;
extern template class Checkpointer<double>;

}  // namespace curvopt
