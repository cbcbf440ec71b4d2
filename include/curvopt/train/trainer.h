#pragma once
/// The training loop: epochs × batches over a dataset, an optimizer, callbacks, checkpoints.

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "curvopt/core/communicator.h"
#include "curvopt/data/batch_sampler.h"
#include "curvopt/data/dataset.h"
#include "curvopt/optim/optimizer.h"
#include "curvopt/optim/optimizer_state.h"
#include "curvopt/problem/objective.h"
#include "curvopt/train/callback.h"
#include "curvopt/train/network_problem.h"
#include "curvopt/train/training_problem.h"

namespace curvopt {

struct TrainerOptions {
  /// Epochs to train, ≥ 0. Default 1.
  std::int64_t epochs = 1;
  /// Batch size, shuffling, fixed batches, drop-last and the order seed.
  BatchSamplerOptions batching;
  /// Batch size of the evaluation passes, ≥ 1. Default 1000.
  Index evaluation_batch_size = 1000;
  /// Evaluate the whole training set at the end of every epoch (costs one forward pass over it).
  bool evaluate_train = false;
  /// Evaluations per epoch, ≥ 1: with k > 1 the epoch's steps are cut into k near-equal parts
  /// and the evaluation passes run after each (Callback::on_evaluation), so that the time to an
  /// accuracy is known to a fraction of an epoch; capped at the steps per epoch. Default 1.
  int evaluations_per_epoch = 1;
  /// Examples of each batch the curvature oracles use (Gauss-Newton, Hessian and Fisher products,
  /// Jacobians, curvature pairs), ≥ 0; 0: the whole batch. The gradient always uses the whole
  /// batch. Network trainers only (CurvatureSubset; the batches are shuffled, so the first
  /// examples are a random subset). Default 0.
  Index curvature_batch = 0;
  /// Stop after this many consecutive steps rejected for non-finite values, ≥ 1. Default 5.
  int max_consecutive_failures = 5;
  /// Seed of the stochastic layers' noise (RReLU): step s draws from a generator seeded by
  /// (seed, s), so a resumed run draws exactly what an uninterrupted one would.
  std::uint64_t seed = 0;

  std::optional<std::string> validate() const;
};

/// Trains a problem over a set of examples: epochs × batches, an optimizer, callbacks,
/// checkpoints. Every step binds one batch to the problem (so every evaluation the optimizer makes
/// in the step sees that batch) and calls Optimizer::step.
///
/// Any TrainingProblem can be trained (a user's residual model, a wrapped problem); the network
/// constructor builds a NetworkProblem. The model keeps its trained weights: before every
/// callback and when train() returns, `model.parameters()` holds the parameters the trainer
/// reports (the optimizer's evaluation_parameters() when it offers them, such as an averaged or
/// best iterate; else the iterate), so `model.forward()` predicts with them and save_model()
/// saves them. The passes the optimizer runs use a private copy of the model, so a callback may
/// run the model on other data without disturbing training.
///
/// Deterministic for a given seed and thread count, and resumable: a checkpoint holds the
/// parameters, the optimizer's state and the position in the epoch, so training continued from
/// it reproduces the uninterrupted run bit for bit.
/// @tparam Scalar float or double
template <class Scalar>
class Trainer {
 public:
  /// A network, its loss and a dataset. References are kept and must outlive the trainer.
  /// Throws ConfigError on invalid options, ShapeError when the data do not fit the model.
  Trainer(Sequential<Scalar>& model, const Loss<Scalar>& loss, Optimizer<Scalar>& optimizer,
          const Dataset<Scalar>& train, const TrainerOptions& options);
  /// Any problem over examples; its evaluate() provides the epoch metrics (options.evaluate_train
  /// asks for EvaluationSet::kTrain; validation and test are reported when it has them).
  Trainer(TrainingProblem<Scalar>& problem, Optimizer<Scalar>& optimizer,
          const TrainerOptions& options);

  /// Datasets evaluated at the end of every epoch (nullptr to drop); network trainers only
  /// (ConfigError otherwise: give the TrainingProblem its own evaluation data).
  void set_validation(const Dataset<Scalar>* validation);
  void set_test(const Dataset<Scalar>* test);
  TrainingProblem<Scalar>& problem() { return problem_; }
  /// Adds a callback (called in the order added); returns it for later inspection.
  Callback<Scalar>& add_callback(std::unique_ptr<Callback<Scalar>> callback);

  /// Training stops at the next step boundary once `*flag` is non-zero, with
  /// StopReason::kInterrupted; on_train_end runs as usual, so a Checkpointer writes its
  /// checkpoint and the run can be resumed where it stopped. A signal handler may set the flag:
  /// the trainer only reads it, and a volatile sig_atomic_t is what a handler may safely write.
  /// nullptr (the default) removes it. The flag must outlive train().
  void set_stop_flag(const volatile std::sig_atomic_t* flag) { stop_flag_ = flag; }

  /// Data-parallel training (a ShardedTrainingProblem on every rank): the decisions that may
  /// differ between ranks — the stop flag and the callbacks' stops, which read clocks and
  /// signals — are taken on rank 0 and broadcast at every step boundary, so that every rank
  /// takes the same steps. Other ranks need no callbacks (rank 0 alone logs and checkpoints);
  /// the others' summaries say that rank 0 stopped them. nullptr (the default): one process.
  /// The communicator must outlive train().
  void set_communicator(Communicator* communicator) { communicator_ = communicator; }

  /// Trains from the current position (the start, or where load_checkpoint() left it),
  /// updating the iterate `params` in place (start from `model.parameters()` for a fresh run).
  TrainingSummary train(VectorRef<Scalar> params);

  /// Writes the checkpoint atomically (temporary file, then rename).
  void save_checkpoint(const std::filesystem::path& file, ConstVectorRef<Scalar> params) const;
  /// Reads a checkpoint into `params`, the optimizer and the position (including the last
  /// finished epoch's metrics). Throws ValueError naming the file when it is corrupt or belongs
  /// to another model or optimizer.
  void load_checkpoint(const std::filesystem::path& file, VectorRef<Scalar> params);

  std::int64_t epoch() const { return epoch_; }
  std::int64_t step() const { return step_; }
  Index steps_per_epoch() const { return sampler_.num_batches(); }
  const TrainerOptions& options() const { return options_; }

 private:
  TrainingContext<Scalar> context(ConstVectorRef<Scalar> params) const;
  EpochInfo finish_epoch(ConstVectorRef<Scalar> params, double seconds);
  /// Whether an evaluation falls after the epoch's step `step_in_epoch` (1-based).
  bool evaluates_after(Index step_in_epoch) const;
  /// The evaluation passes at the reported parameters (train only with evaluate_train).
  void evaluate(ConstVectorRef<Scalar> params, std::optional<Metrics>& train,
                std::optional<Metrics>& validation, std::optional<Metrics>& test);
  EvaluationInfo evaluation_info() const;
  /// The parameters the trainer reports: the optimizer's evaluation parameters, or the iterate.
  ConstVectorRef<Scalar> reported(ConstVectorRef<Scalar> params) const;
  /// Copies the reported parameters into the caller's model.
  void publish(ConstVectorRef<Scalar> params);

  /// Binds the batch of this step (a full batch only when needed: see train()).
  void bind_batch();
  Index batch_examples() const;

  std::unique_ptr<NetworkProblem<Scalar>> network_;  // owned by the network constructor
  TrainingProblem<Scalar>& problem_;
  Optimizer<Scalar>& optimizer_;
  TrainerOptions options_;
  BatchSampler sampler_;
  std::vector<std::unique_ptr<Callback<Scalar>>> callbacks_;
  const volatile std::sig_atomic_t* stop_flag_ = nullptr;
  Communicator* communicator_ = nullptr;
  /// Rank 0's `local` on every rank (local itself without a communicator).
  bool agreed(bool local) const;
  /// Full batch: the example indices in dataset order, and whether the problem holds them.
  std::vector<Index> full_batch_;
  bool full_batch_bound_ = false;

  // Position, saved in checkpoints.
  std::int64_t epoch_ = 0;
  std::int64_t step_ = 0;
  Index step_in_epoch_ = 0;
  double epoch_loss_sum_ = 0;
  std::int64_t epoch_loss_count_ = 0;
  double elapsed_before_ = 0;  // seconds trained before the current train() call
  double elapsed_ = 0;
  double evaluation_seconds_ = 0;        // spent in evaluations in the current train() call
  std::optional<EpochInfo> last_epoch_;  // the run's last finished epoch
  /// The position a checkpoint was loaded from: the callbacks restore their state from it when
  /// training starts (they may be added after load_checkpoint()).
  std::optional<OptimizerState> resumed_position_;
};

/// Writes a checkpoint of (params, optimizer, position) as the trainer does; for callbacks.
template <class Scalar>
void write_checkpoint(const std::filesystem::path& file, const TrainingContext<Scalar>& context);

extern template class Trainer<float>;
extern template class Trainer<double>;

}  // namespace curvopt
