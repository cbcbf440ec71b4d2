// The model a user hands to the Trainer ends up with the trained weights, and running that model
// inside a callback (what an evaluation callback does) leaves the training trajectory untouched.

#include <gtest/gtest.h>

#include <cmath>

#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "curvopt/optim/registry.h"
#include "curvopt/train/trainer.h"

namespace curvopt {
namespace {

// y = sin(x) on [−3, 3] (full batch of 64) fitted by 1 → 8 tanh → 1; a second set to evaluate on.
struct Sine {
  Dataset<double> train{"sine/train", Matrix<double>(1, 64), Matrix<double>(1, 64), 0};
  Matrix<double> other = Eigen::RowVectorXd::LinSpaced(37, -2.5, 2.5);
  Sequential<double> model{Shape::flat(1)};
  SquaredError<double> loss;

  Sine() {
    for (Index s = 0; s < 64; ++s) {
      train.inputs(0, s) = -3 + 6 * static_cast<double>(s) / 63;
      train.targets(0, s) = std::sin(train.inputs(0, s));
    }
    model.add<Dense>(Index(8));
    model.add<Tanh>();
    model.add<Dense>(Index(1));
    model.initialize(Initializer::kPyTorchDefault, 4);
  }
};

// Runs the caller's model on other data at every hook, as a user's evaluation callback would.
class ForwardsTheModel final : public Callback<double> {
 public:
  ForwardsTheModel(Sequential<double>& model, const Matrix<double>& X) : model_(model), X_(X) {}
  void on_epoch_begin(const TrainingContext<double>&) override { model_.forward(X_); }
  CallbackAction on_step_end(const TrainingContext<double>& c, const StepInfo&) override {
    // The model holds the parameters the trainer reports, at every callback.
    EXPECT_EQ(model_.parameters(), reported(c));
    sum_ += model_.forward(X_).sum();
    return CallbackAction::kContinue;
  }
  CallbackAction on_epoch_end(const TrainingContext<double>&, const EpochInfo&) override {
    sum_ += model_.forward(X_).sum();
    return CallbackAction::kContinue;
  }
  double sum() const { return sum_; }

 private:
  static Vector<double> reported(const TrainingContext<double>& c) {
    const Vector<double>* e = c.optimizer.evaluation_parameters();
    return e ? *e : Vector<double>(c.params);
  }
  Sequential<double>& model_;
  const Matrix<double>& X_;
  double sum_ = 0;
};

struct TrainingRun {
  Vector<double> theta;
  TrainingSummary summary;
};

TrainingRun train(const char* spec, bool with_callback, Sine& task) {
  auto optimizer = make_optimizer<double>(spec);
  TrainerOptions options{.epochs = 30, .batching = {.batch_size = 64, .seed = 1}};
  options.evaluate_train = true;
  Trainer<double> trainer(task.model, task.loss, *optimizer, task.train, options);
  ForwardsTheModel* callback = nullptr;
  if (with_callback)
    callback = static_cast<ForwardsTheModel*>(
        &trainer.add_callback(std::make_unique<ForwardsTheModel>(task.model, task.other)));
  TrainingRun run{task.model.parameters(), {}};
  run.summary = trainer.train(run.theta);
  if (callback) {
    EXPECT_TRUE(std::isfinite(callback->sum()));
  }
  return run;
}

TEST(TrainedModel, CallbacksRunningTheModelLeaveTheTrajectoryBitIdentical) {
  for (const char* spec : {"lm", "adam lr=0.01", "lm-modified", "lbfgs"}) {
    Sine plain_task, observed_task;
    const TrainingRun plain = train(spec, false, plain_task);
    const TrainingRun observed = train(spec, true, observed_task);
    EXPECT_EQ(plain.theta, observed.theta) << spec;  // every bit
    ASSERT_TRUE(plain.summary.last_epoch && observed.summary.last_epoch) << spec;
    EXPECT_EQ(plain.summary.last_epoch->train->loss, observed.summary.last_epoch->train->loss)
        << spec;
    EXPECT_EQ(plain.summary.steps, observed.summary.steps) << spec;
  }
}

TEST(TrainedModel, ForwardPredictsWithTheTrainedWeights) {
  Sine task;
  const Vector<double> initial = task.model.parameters();
  const TrainingRun run = train("lm", false, task);
  EXPECT_GT((run.theta - initial).norm(), 0.1);
  EXPECT_EQ(task.model.parameters(), run.theta);
  // The model's predictions are those of a fresh model built with the trained θ, and they fit.
  Sequential<double> fresh = task.model;
  fresh.parameters() = run.theta;
  const Matrix<double> predicted = task.model.forward(task.other);
  EXPECT_EQ(predicted, fresh.forward(task.other));
  const Matrix<double> truth = task.other.array().sin().matrix();
  EXPECT_LT((predicted - truth).cwiseAbs().maxCoeff(), 0.05);
  EXPECT_DOUBLE_EQ(run.summary.last_epoch->train->loss,
                   task.loss.value(task.model.forward(task.train.inputs), task.train.targets));
}

TEST(TrainedModel, HoldsTheBestIterateWhenTheOptimizerKeepsOne) {
  Sine task;
  auto optimizer = make_optimizer<double>("lm-modified");
  TrainerOptions options{.epochs = 40, .batching = {.batch_size = 64, .seed = 1}};
  Trainer<double> trainer(task.model, task.loss, *optimizer, task.train, options);
  Vector<double> theta = task.model.parameters();
  trainer.train(theta);
  const Vector<double>* best = optimizer->evaluation_parameters();
  EXPECT_EQ(task.model.parameters(), best ? *best : theta);
}

}  // namespace
}  // namespace curvopt
