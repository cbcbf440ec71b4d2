#include "curvopt/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <span>
#include <utility>

#include "curvopt/core/errors.h"
#include "train/checkpoint_file.h"

namespace curvopt {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The options, or ConfigError naming the invalid field (for the constructors' initializer lists).
const TrainerOptions& checked(const TrainerOptions& options) {
  if (auto error = options.validate()) throw ConfigError(*error);
  return options;
}

std::uint64_t noise_seed(std::uint64_t seed, std::int64_t step) {
  return seed * 0xD1B54A32D192ED03ull + static_cast<std::uint64_t>(step) + 1;
}

}  // namespace

std::string_view to_string(StopReason reason) {
  switch (reason) {
    case StopReason::kCompleted:
      return "completed";
    case StopReason::kCallback:
      return "stopped-by-callback";
    case StopReason::kNonFinite:
      return "non-finite";
    case StopReason::kConverged:
      return "converged";
    case StopReason::kOptimizerStopped:
      return "optimizer-stopped";
    case StopReason::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

std::optional<std::string> TrainerOptions::validate() const {
  const std::string p = "TrainerOptions::";
  if (epochs < 0) return p + "epochs = " + std::to_string(epochs) + ": must be >= 0";
  if (auto e = batching.validate()) return e;
  if (evaluation_batch_size < 1)
    return p + "evaluation_batch_size = " + std::to_string(evaluation_batch_size) +
           ": must be >= 1";
  if (max_consecutive_failures < 1)
    return p + "max_consecutive_failures = " + std::to_string(max_consecutive_failures) +
           ": must be >= 1";
  if (curvature_batch < 0)
    return p + "curvature_batch = " + std::to_string(curvature_batch) + ": must be >= 0";
  if (evaluations_per_epoch < 1)
    return p + "evaluations_per_epoch = " + std::to_string(evaluations_per_epoch) +
           ": must be >= 1";
  return std::nullopt;
}

template <class Scalar>
Trainer<Scalar>::Trainer(Sequential<Scalar>& model, const Loss<Scalar>& loss,
                         Optimizer<Scalar>& optimizer, const Dataset<Scalar>& train,
                         const TrainerOptions& options)
    : network_(std::make_unique<NetworkProblem<Scalar>>(model, loss, train,
                                                        checked(options).evaluation_batch_size)),
      problem_(*network_),
      optimizer_(optimizer),
      options_(options),
      sampler_(train.size(), options.batching) {
  network_->set_curvature_batch(options.curvature_batch);
}

template <class Scalar>
Trainer<Scalar>::Trainer(TrainingProblem<Scalar>& problem, Optimizer<Scalar>& optimizer,
                         const TrainerOptions& options)
    : problem_(problem),
      optimizer_(optimizer),
      options_(checked(options)),
      sampler_(problem.num_examples(), options.batching) {
  if (options.curvature_batch > 0)
    throw ConfigError(
        "TrainerOptions::curvature_batch: only for a network trainer; wrap the problem's "
        "objective in a CurvatureSubset instead");
}

template <class Scalar>
void Trainer<Scalar>::set_validation(const Dataset<Scalar>* validation) {
  if (!network_)
    throw ConfigError(
        "Trainer::set_validation: only for a network trainer; a TrainingProblem "
        "reports its own validation set through evaluate()");
  network_->set_validation(validation);
}

template <class Scalar>
void Trainer<Scalar>::set_test(const Dataset<Scalar>* test) {
  if (!network_)
    throw ConfigError(
        "Trainer::set_test: only for a network trainer; a TrainingProblem reports "
        "its own test set through evaluate()");
  network_->set_test(test);
}

template <class Scalar>
Callback<Scalar>& Trainer<Scalar>::add_callback(std::unique_ptr<Callback<Scalar>> callback) {
  callbacks_.push_back(std::move(callback));
  return *callbacks_.back();
}

template <class Scalar>
TrainingContext<Scalar> Trainer<Scalar>::context(ConstVectorRef<Scalar> params) const {
  return TrainingContext<Scalar>{params,
                                 optimizer_,
                                 epoch_,
                                 options_.epochs,
                                 step_,
                                 step_in_epoch_,
                                 sampler_.num_batches(),
                                 elapsed_,
                                 epoch_loss_sum_,
                                 epoch_loss_count_,
                                 last_epoch_ ? &*last_epoch_ : nullptr,
                                 &callbacks_};
}

template <class Scalar>
ConstVectorRef<Scalar> Trainer<Scalar>::reported(ConstVectorRef<Scalar> params) const {
  const Vector<Scalar>* evaluation = optimizer_.evaluation_parameters();
  return evaluation ? ConstVectorRef<Scalar>(*evaluation) : params;
}

template <class Scalar>
void Trainer<Scalar>::publish(ConstVectorRef<Scalar> params) {
  problem_.publish(reported(params));
}

template <class Scalar>
EpochInfo Trainer<Scalar>::finish_epoch(ConstVectorRef<Scalar> params, double seconds) {
  EpochInfo info;
  info.epoch = epoch_;
  info.seconds = seconds;
  info.finite_steps = epoch_loss_count_;
  info.mean_step_loss = epoch_loss_count_ > 0
                            ? epoch_loss_sum_ / static_cast<double>(epoch_loss_count_)
                            : std::numeric_limits<double>::quiet_NaN();
  evaluate(params, info.train, info.validation, info.test);
  return info;
}

template <class Scalar>
void Trainer<Scalar>::evaluate(ConstVectorRef<Scalar> params, std::optional<Metrics>& train,
                               std::optional<Metrics>& validation, std::optional<Metrics>& test) {
  // Not training time: a run evaluated more often must not look slower.
  const Clock::time_point start = Clock::now();
  // Averaged or best-so-far iterates, when the optimizer keeps them, are what a run reports.
  const ConstVectorRef<Scalar> at = reported(params);
  if (options_.evaluate_train) train = problem_.evaluate(at, EvaluationSet::kTrain);
  validation = problem_.evaluate(at, EvaluationSet::kValidation);
  test = problem_.evaluate(at, EvaluationSet::kTest);
  evaluation_seconds_ += seconds_since(start);
}

template <class Scalar>
bool Trainer<Scalar>::evaluates_after(Index step_in_epoch) const {
  // Evaluation j of k follows step ⌈j·n/k⌉: k near-equal parts, the last ending the epoch.
  const Index n = sampler_.num_batches();
  const Index k = std::min<Index>(options_.evaluations_per_epoch, n);
  return k > 1 && (step_in_epoch * k) / n != ((step_in_epoch - 1) * k) / n;
}

template <class Scalar>
EvaluationInfo Trainer<Scalar>::evaluation_info() const {
  EvaluationInfo info;
  info.step = step_;
  info.epochs = static_cast<double>(epoch_) +
                static_cast<double>(step_in_epoch_) / static_cast<double>(sampler_.num_batches());
  info.mean_step_loss = epoch_loss_count_ > 0
                            ? epoch_loss_sum_ / static_cast<double>(epoch_loss_count_)
                            : std::numeric_limits<double>::quiet_NaN();
  return info;
}

template <class Scalar>
TrainingSummary Trainer<Scalar>::train(VectorRef<Scalar> params) {
  if (params.size() != problem_.problem().num_parameters())
    throw ShapeError("Trainer: the parameter vector has " + std::to_string(params.size()) +
                     " entries, the problem " +
                     std::to_string(problem_.problem().num_parameters()));
  const Clock::time_point start = Clock::now();
  elapsed_before_ = elapsed_;
  evaluation_seconds_ = 0;
  auto update_elapsed = [&] {
    elapsed_ = elapsed_before_ + seconds_since(start) - evaluation_seconds_;
  };
  TrainingSummary summary;
  summary.last_epoch = last_epoch_;  // kept when this call finishes no epoch (a finished run)
  full_batch_bound_ = false;
  publish(params);
  // Once: a later train() call continues from the callbacks' own state, not the checkpoint's.
  if (resumed_position_)
    for (auto& c : callbacks_) c->load_state(*resumed_position_);
  resumed_position_.reset();
  for (auto& c : callbacks_) c->on_train_begin(context(params));

  auto stop_by = [&](Callback<Scalar>& c) {
    summary.reason = StopReason::kCallback;
    summary.message = c.stop_message();
    if (summary.message.empty()) summary.message = "stopped by a callback";
  };
  int consecutive_failures = 0;
  bool stopped = false;
  // The callbacks' stops are rank 0's alone (they read clocks): the other ranks follow it.
  auto follow_rank_zero = [&](bool& stopped_here) {
    if (!communicator_ || communicator_->size() == 1) return;
    const bool stop = agreed(stopped_here);
    if (stop && !stopped_here) {
      summary.reason = StopReason::kCallback;
      summary.message = "stopped with rank 0";
    }
    stopped_here = stop;
  };
  // Checked between steps only, so that a stop never splits a step from its callbacks: the
  // checkpoint written at the end is a position an uninterrupted run also passes through.
  auto stop_requested = [&] {
    if (!agreed(stop_flag_ && *stop_flag_ != 0)) return false;
    summary.reason = StopReason::kInterrupted;
    std::string where = "before the first step";
    if (step_in_epoch_ > 0) {
      where = "step " + std::to_string(step_in_epoch_) + " of " +
              std::to_string(sampler_.num_batches()) + " in epoch " + std::to_string(epoch_ + 1);
    } else if (epoch_ > 0) {
      where = "at the end of epoch " + std::to_string(epoch_);
    }
    summary.message = "interrupted after step " + std::to_string(step_) + " (" + where + ")";
    stopped = true;
    return true;
  };
  while (!stopped && epoch_ < options_.epochs) {
    if (stop_requested()) break;
    const Clock::time_point epoch_start = Clock::now();
    const double evaluation_seconds_before = evaluation_seconds_;
    sampler_.start_epoch(epoch_);
    if (step_in_epoch_ == 0) {
      publish(params);
      for (auto& c : callbacks_) c->on_epoch_begin(context(params));
    }
    while (!stopped && step_in_epoch_ < sampler_.num_batches()) {
      if (stop_requested()) break;
      bind_batch();
      StepInfo info{optimizer_.step(problem_.problem(), params), batch_examples()};
      ++step_;
      ++step_in_epoch_;
      if (std::isfinite(info.report.loss_before)) {
        epoch_loss_sum_ += info.report.loss_before;
        ++epoch_loss_count_;
      }
      update_elapsed();
      consecutive_failures =
          info.report.status == StepStatus::kNumericalIssue ? consecutive_failures + 1 : 0;
      publish(params);
      for (auto& c : callbacks_)
        if (c->on_step_end(context(params), info) == CallbackAction::kStop && !stopped) {
          stop_by(*c);
          stopped = true;
        }
      follow_rank_zero(stopped);
      if (!stopped && step_in_epoch_ < sampler_.num_batches() && evaluates_after(step_in_epoch_)) {
        EvaluationInfo evaluation = evaluation_info();
        evaluate(params, evaluation.train, evaluation.validation, evaluation.test);
        update_elapsed();
        for (auto& c : callbacks_) c->on_evaluation(context(params), evaluation);
      }
      if (!stopped && consecutive_failures >= options_.max_consecutive_failures) {
        summary.reason = StopReason::kNonFinite;
        summary.message = "the loss or gradient was non-finite for " +
                          std::to_string(consecutive_failures) +
                          " consecutive steps (last at step " + std::to_string(step_) + ", epoch " +
                          std::to_string(epoch_ + 1) +
                          "); the optimizer could not recover: " + std::string(info.report.message);
        stopped = true;
      }
      if (!stopped && info.report.stop_training) {
        summary.reason = StopReason::kOptimizerStopped;
        summary.message = std::string(info.report.message);
        stopped = true;
      }
      if (!stopped && info.report.converged && sampler_.num_batches() == 1) {
        summary.reason = StopReason::kConverged;
        summary.message = "the optimizer converged: " + std::string(info.report.message);
        stopped = true;
      }
    }
    if (step_in_epoch_ < sampler_.num_batches()) break;  // stopped inside the epoch
    const double evaluating = evaluation_seconds_ - evaluation_seconds_before;
    const EpochInfo info = finish_epoch(params, seconds_since(epoch_start) - evaluating);
    summary.last_epoch = last_epoch_ = info;
    update_elapsed();
    publish(params);
    if (evaluates_after(step_in_epoch_)) {
      EvaluationInfo evaluation = evaluation_info();
      evaluation.train = info.train;
      evaluation.validation = info.validation;
      evaluation.test = info.test;
      for (auto& c : callbacks_) c->on_evaluation(context(params), evaluation);
    }
    for (auto& c : callbacks_)
      if (c->on_epoch_end(context(params), info) == CallbackAction::kStop && !stopped) {
        stop_by(*c);
        stopped = true;
      }
    follow_rank_zero(stopped);
    ++epoch_;
    step_in_epoch_ = 0;
    epoch_loss_sum_ = 0;
    epoch_loss_count_ = 0;
  }
  update_elapsed();
  summary.epochs_completed = epoch_;
  summary.steps = step_;
  summary.seconds = elapsed_;
  publish(params);
  for (auto& c : callbacks_) c->on_train_end(context(params), summary);
  return summary;
}

template <class Scalar>
bool Trainer<Scalar>::agreed(bool local) const {
  if (!communicator_ || communicator_->size() == 1) return local;
  return communicator_->broadcast(local ? 1 : 0) != 0;
}

template <class Scalar>
void Trainer<Scalar>::bind_batch() {
  if (sampler_.num_batches() > 1) {
    problem_.bind(sampler_.batch(step_in_epoch_), noise_seed(options_.seed, step_));
  } else if (!full_batch_bound_ || problem_.stochastic()) {
    // Full batch: the same data every step, in dataset order (a shuffle would change only the
    // summation order). Binding it once keeps the problem's data version, so that optimizers may
    // reuse what they computed at the same point on the same data (L-BFGS's gradient, LM's best
    // iterate). Stochastic problems need fresh noise every step.
    if (!full_batch_bound_) {
      const auto indices = sampler_.batch(0);
      full_batch_.assign(indices.begin(), indices.end());
      std::sort(full_batch_.begin(), full_batch_.end());
    }
    problem_.bind(std::span<const Index>(full_batch_), noise_seed(options_.seed, step_));
    full_batch_bound_ = true;
  }
}

template <class Scalar>
Index Trainer<Scalar>::batch_examples() const {
  return sampler_.num_batches() > 1 ? static_cast<Index>(sampler_.batch(step_in_epoch_).size())
                                    : static_cast<Index>(full_batch_.size());
}

template <class Scalar>
void write_checkpoint(const std::filesystem::path& file, const TrainingContext<Scalar>& context) {
  OptimizerState position("trainer");
  position.put("parameters", context.params);
  position.put("epoch", static_cast<double>(context.epoch));
  position.put("step", static_cast<double>(context.step));
  position.put("step_in_epoch", static_cast<double>(context.step_in_epoch));
  position.put("epoch_loss_sum", context.epoch_loss_sum);
  position.put("epoch_loss_count", static_cast<double>(context.epoch_loss_count));
  position.put("elapsed_seconds", context.elapsed_seconds);
  if (context.last_epoch) detail::put_last_epoch(position, *context.last_epoch);
  if (context.callbacks)
    for (const auto& c : *context.callbacks) c->save_state(position);
  detail::write_checkpoint_file(file, position, context.optimizer.save_state());
}

template <class Scalar>
void Trainer<Scalar>::save_checkpoint(const std::filesystem::path& file,
                                      ConstVectorRef<Scalar> params) const {
  write_checkpoint(file, context(params));
}

template <class Scalar>
void Trainer<Scalar>::load_checkpoint(const std::filesystem::path& file, VectorRef<Scalar> params) {
  const std::string f = file.string();
  const auto [position, optimizer] = detail::read_checkpoint_file(file);
  if (position.optimizer() != "trainer")
    throw ValueError(f + ": the first block is not the trainer's position");
  const std::span<const double> stored = position.get("parameters");
  if (static_cast<Index>(stored.size()) != params.size())
    throw ValueError(f + ": holds " + std::to_string(stored.size()) +
                     " parameters, the model has " + std::to_string(params.size()));
  for (std::size_t i = 0; i < stored.size(); ++i)
    if (!std::isfinite(stored[i]))
      throw ValueError(f + ": parameter " + std::to_string(i) + " is not finite");
  std::int64_t epoch, step_in_epoch, step, loss_count;
  double loss_sum, elapsed;
  try {
    epoch = position.get_count("epoch");
    step_in_epoch = position.get_count("step_in_epoch");
    step = position.get_count("step");
    loss_count = position.get_count("epoch_loss_count");
    loss_sum = position.get_scalar("epoch_loss_sum");
    elapsed = position.get_scalar("elapsed_seconds");
  } catch (const ValueError& e) {
    throw ValueError(f + ": " + e.what());
  }
  const std::int64_t batches = sampler_.num_batches();
  // Every step the trainer takes advances both counters together, so a true position satisfies
  // step = epoch · batches + step_in_epoch; anything else is another batching or a forged file.
  if (step_in_epoch > batches || step != epoch * batches + step_in_epoch)
    throw ValueError(f + ": position (epoch " + std::to_string(epoch) + ", step " +
                     std::to_string(step_in_epoch) + " of the epoch, step " + std::to_string(step) +
                     " overall) does not fit " + std::to_string(batches) +
                     " batches per epoch (another batch size or dataset?)");
  if (epoch > options_.epochs)
    throw ValueError(f + ": the checkpoint is at epoch " + std::to_string(epoch) +
                     ", past this run's " + std::to_string(options_.epochs) +
                     " epochs (resume with --epochs " + std::to_string(epoch) + " or more)");
  if (loss_count > step_in_epoch || !std::isfinite(loss_sum) || !(elapsed >= 0) ||
      !std::isfinite(elapsed))
    throw ValueError(f + ": the epoch's running loss or the elapsed time is out of range");
  std::optional<EpochInfo> last_epoch = detail::get_last_epoch(position, f);
  // Before the optimizer sizes its buffers from it (a forged count once asked for 0.5 TB; found
  // by fuzz_checkpoint): an optimizer's state is for this model's parameters or for none.
  if (optimizer.contains("num_parameters")) {
    std::int64_t n = 0;
    try {
      n = optimizer.get_count("num_parameters");
    } catch (const ValueError& e) {
      throw ValueError(f + ": " + e.what());
    }
    if (n != 0 && n != params.size())
      throw ValueError(f + ": the optimizer's state is for " + std::to_string(n) +
                       " parameters, the model has " + std::to_string(params.size()));
  }
  try {
    optimizer_.load_state(optimizer);  // throws first if it belongs to another optimizer
  } catch (const ValueError& e) {
    throw ValueError(f + ": " + e.what());  // say which file holds that state
  }
  Eigen::Map<Vector<Scalar>> map(params.data(), params.size());
  position.get_into("parameters", map);
  epoch_ = epoch;
  step_in_epoch_ = step_in_epoch;
  step_ = step;
  epoch_loss_sum_ = loss_sum;
  epoch_loss_count_ = loss_count;
  elapsed_ = elapsed;
  last_epoch_ = std::move(last_epoch);
  resumed_position_ = position;
}

template void write_checkpoint<float>(const std::filesystem::path&, const TrainingContext<float>&);
template void write_checkpoint<double>(const std::filesystem::path&,
                                       const TrainingContext<double>&);
template class Trainer<float>;
template class Trainer<double>;

}  // namespace curvopt
