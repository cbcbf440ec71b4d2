#pragma once
/// Hooks into the training loop (ensmallen's idea, as virtual no-op hooks).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "curvopt/core/types.h"
#include "curvopt/optim/step_report.h"
#include "curvopt/train/metrics.h"

namespace curvopt {

template <class Scalar>
class Optimizer;
template <class Scalar>
class Callback;
class OptimizerState;

struct EpochInfo;

/// What a step or epoch hook asks of the trainer.
enum class CallbackAction { kContinue, kStop };

/// Where training stands; passed to every hook.
template <class Scalar>
struct TrainingContext {
  ConstVectorRef<Scalar> params;  ///< the current accepted parameters
  const Optimizer<Scalar>& optimizer;
  std::int64_t epoch = 0;       ///< current epoch (0-based)
  std::int64_t num_epochs = 0;  ///< epochs requested
  std::int64_t step = 0;        ///< optimizer steps taken so far, over all epochs
  Index step_in_epoch = 0;      ///< steps taken in the current epoch
  Index steps_per_epoch = 0;
  /// Training time so far (including before a resume), without the evaluation passes.
  double elapsed_seconds = 0;
  double epoch_loss_sum = 0;          ///< Σ loss_before over the epoch's steps so far
  std::int64_t epoch_loss_count = 0;  ///< steps summed in epoch_loss_sum
  /// The run's last finished epoch, also one finished before a resume (checkpoints keep it);
  /// null before the first.
  const EpochInfo* last_epoch = nullptr;
  /// The trainer's callbacks, whose save_state() checkpoints call; null outside a trainer.
  const std::vector<std::unique_ptr<Callback<Scalar>>>* callbacks = nullptr;
};

/// One optimizer step as the callbacks see it.
struct StepInfo {
  StepReport report;
  Index batch_size = 0;
};

/// One finished epoch.
struct EpochInfo {
  std::int64_t epoch = 0;
  /// Mean of loss_before over the epoch's steps whose loss was finite (the running training
  /// loss); NaN when no step had a finite loss (not 0, which would read as a perfect fit).
  double mean_step_loss = 0;
  /// Steps of the epoch whose loss_before was finite: the steps mean_step_loss averages.
  std::int64_t finite_steps = 0;
  std::optional<Metrics> train;       ///< full pass over the training set, when enabled
  std::optional<Metrics> validation;  ///< when a validation set was given
  std::optional<Metrics> test;        ///< when a test set was given
  double seconds = 0;                 ///< wall time of the epoch's steps (no evaluations)
};

/// One evaluation inside or at the end of an epoch, with TrainerOptions::evaluations_per_epoch
/// above 1 (Lightning's val_check_interval): the same passes as an epoch's, more often.
struct EvaluationInfo {
  std::int64_t step = 0;  ///< optimizer steps taken so far, over all epochs
  /// Epochs of training behind this evaluation, fractional inside an epoch (1.25: a quarter of
  /// the second epoch done).
  double epochs = 0;
  /// Mean of the finite loss_before of the current epoch's steps so far.
  double mean_step_loss = 0;
  std::optional<Metrics> train, validation, test;
};

/// Why training ended.
enum class StopReason {
  kCompleted,         ///< all epochs ran
  kCallback,          ///< a callback asked to stop (early stopping, budgets); see message
  kNonFinite,         ///< the loss stayed non-finite and the optimizer could not recover
  kConverged,         ///< the optimizer reported convergence (full-batch methods)
  kOptimizerStopped,  ///< the optimizer cannot make progress (e.g. LM damping at its maximum)
  kInterrupted,       ///< the stop flag was raised (a signal; see Trainer::set_stop_flag)
};

std::string_view to_string(StopReason reason);

struct TrainingSummary {
  StopReason reason = StopReason::kCompleted;
  std::string message;
  std::int64_t epochs_completed = 0;
  std::int64_t steps = 0;
  double seconds = 0;
  /// The run's last finished epoch: from this call, or restored from the checkpoint when this
  /// call finished none (a resumed run that was already complete keeps its final metrics).
  std::optional<EpochInfo> last_epoch;
};

/// Base class of training callbacks: override only the hooks you need. Hooks always see the
/// current accepted parameters (TrainingContext::params).
template <class Scalar>
class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(const TrainingContext<Scalar>&) {}
  virtual void on_epoch_begin(const TrainingContext<Scalar>&) {}
  virtual CallbackAction on_step_end(const TrainingContext<Scalar>&, const StepInfo&) {
    return CallbackAction::kContinue;
  }
  virtual CallbackAction on_epoch_end(const TrainingContext<Scalar>&, const EpochInfo&) {
    return CallbackAction::kContinue;
  }
  /// After each evaluation when TrainerOptions::evaluations_per_epoch > 1 (the one that ends an
  /// epoch included, before on_epoch_end); never otherwise.
  virtual void on_evaluation(const TrainingContext<Scalar>&, const EvaluationInfo&) {}
  virtual void on_train_end(const TrainingContext<Scalar>&, const TrainingSummary&) {}
  /// Why this callback stopped training (shown in the summary), when it did.
  virtual std::string stop_message() const { return {}; }
  /// State that must survive a resume (early stopping's best epoch), written into the
  /// checkpoint's position under keys this callback owns ("early_stopping.best_epoch").
  virtual void save_state(OptimizerState& /*position*/) const {}
  /// Restores what save_state() wrote; called before training when the run was resumed from a
  /// checkpoint. Keys may be missing (a checkpoint written without this callback): keep the
  /// fresh state then. Throws ValueError on entries that are present but wrong.
  virtual void load_state(const OptimizerState& /*position*/) {}
};

}  // namespace curvopt
