#pragma once
/// Per-step and per-epoch logs in CSV and JSON Lines.

#include <filesystem>
#include <fstream>

#include "curvopt/train/callback.h"

namespace curvopt {

/// Writes steps.csv, steps.jsonl, epochs.csv and epochs.jsonl into `directory` (created if
/// needed). Step rows: step, epoch, status, loss_before, loss_after, gradient_norm, step_norm,
/// learning_rate, step_length, damping, inner_iterations, num_trials, value and gradient
/// evaluations, step seconds and elapsed seconds. Epoch rows: epoch, steps, mean_step_loss,
/// then loss/accuracy/mse/rmse for train, validation and test, epoch seconds and elapsed
/// seconds. With TrainerOptions::evaluations_per_epoch > 1 also evaluations.csv and .jsonl: step,
/// epoch (fractional), mean_step_loss of the epoch so far, the metrics and elapsed seconds, one
/// row per evaluation. Fields that were not measured are empty in CSV and null in JSON.
///
/// With `append` (resuming a run) existing files are continued from where the trainer stands
/// when training begins: rows past its position (steps after the checkpoint it resumed from,
/// logged before a crash, and a line torn by one) are cut off first, so that the resumed files
/// equal an uninterrupted run's. Add the log before the Checkpointer, so that a checkpoint never
/// covers a step whose row is not yet written.
template <class Scalar>
class TrainingLog final : public Callback<Scalar> {
 public:
  /// Throws Error when the files cannot be opened.
  explicit TrainingLog(const std::filesystem::path& directory, bool append = false);
  /// Cuts appended files back to the trainer's position; Error names a file it cannot cut.
  void on_train_begin(const TrainingContext<Scalar>& context) override;
  CallbackAction on_step_end(const TrainingContext<Scalar>& context, const StepInfo& info) override;
  CallbackAction on_epoch_end(const TrainingContext<Scalar>& context,
                              const EpochInfo& info) override;
  void on_evaluation(const TrainingContext<Scalar>& context, const EvaluationInfo& info) override;
  void on_train_end(const TrainingContext<Scalar>&, const TrainingSummary&) override;

 private:
  std::filesystem::path directory_;
  bool append_ = false;
  std::ofstream steps_csv_, steps_jsonl_, epochs_csv_, epochs_jsonl_;
  std::ofstream evaluations_csv_, evaluations_jsonl_;  // opened by the first evaluation
  // A CSV header is still to be written.
  bool steps_header_ = true, epochs_header_ = true, evaluations_header_ = true;
};

extern template class TrainingLog<float>;
extern template class TrainingLog<double>;

}  // namespace curvopt
