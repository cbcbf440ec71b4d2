#include "curvopt/train/checkpointer.h"

#include "curvopt/core/errors.h"
#include "curvopt/train/trainer.h"

namespace curvopt {

template <class Scalar>
Checkpointer<Scalar>::Checkpointer(std::filesystem::path file, std::int64_t every_steps)
    : file_(std::move(file)), every_steps_(every_steps) {
  if (every_steps < 0)
    throw ConfigError("Checkpointer: every_steps = " + std::to_string(every_steps) +
                      ": must be >= 0");
}

template <class Scalar>
CallbackAction Checkpointer<Scalar>::on_step_end(const TrainingContext<Scalar>& context,
                                                 const StepInfo&) {
  const bool periodic = every_steps_ > 0 && context.step % every_steps_ == 0;
  if (periodic) {
    write_checkpoint(file_, context);
    ++num_written_;
  }
  return CallbackAction::kContinue;
}

template <class Scalar>
void Checkpointer<Scalar>::on_train_end(const TrainingContext<Scalar>& context,
                                        const TrainingSummary&) {
  write_checkpoint(file_, context);
  ++num_written_;
}

template class Checkpointer<float>;
template class Checkpointer<double>;

}  // namespace curvopt
