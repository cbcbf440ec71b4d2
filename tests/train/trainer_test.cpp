#include "curvopt/train/trainer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>
#include <vector>

#include "curvopt/core/checksum.h"
#include "curvopt/core/errors.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "curvopt/nn/flatten.h"
#include "curvopt/optim/optimizer_state.h"
#include "curvopt/optim/registry.h"
#include "curvopt/train/budgets.h"
#include "curvopt/train/checkpointer.h"
#include "curvopt/train/early_stopping.h"
#include "curvopt/train/progress_bar.h"
#include "curvopt/train/training_log.h"

namespace curvopt {
namespace {

std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("curvopt_trainer_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Two Gaussian blobs in 2-D, classified by a 2 → 8 RReLU → 2 network (RReLU makes the training
// stochastic, so resuming must also reproduce the noise).
struct Blobs {
  Dataset<float> train, test;
  Sequential<float> model{Shape::flat(2)};
  SoftmaxCrossEntropy<float> loss;

  Blobs() {
    Rng rng(5);
    auto make = [&](Index n, const std::string& name) {
      Dataset<float> d{name, Matrix<float>(2, n), Matrix<float>(1, n), 2};
      for (Index s = 0; s < n; ++s) {
        const int label = static_cast<int>(s % 2);
        d.inputs(0, s) = static_cast<float>((label ? 1.5 : -1.5) + rng.normal());
        d.inputs(1, s) = static_cast<float>((label ? -1.0 : 1.0) + rng.normal());
        d.targets(0, s) = static_cast<float>(label);
      }
      return d;
    };
    train = make(200, "blobs/train");
    test = make(100, "blobs/test");
    model.add<Dense>(Index(8));
    model.add<Rrelu>();
    model.add<Dense>(Index(2));
    model.initialize(Initializer::kPyTorchDefault, 1);
  }
};

TEST(Trainer, TrainsAClassifierAndReportsEpochs) {
  Blobs task;
  auto adam = make_optimizer<float>("adam lr=0.02");
  TrainerOptions options{.epochs = 5, .batching = {.batch_size = 20, .seed = 1}};
  options.evaluate_train = true;
  Trainer<float> trainer(task.model, task.loss, *adam, task.train, options);
  trainer.set_test(&task.test);
  Vector<float> theta = task.model.parameters();
  const TrainingSummary summary = trainer.train(theta);
  EXPECT_EQ(summary.reason, StopReason::kCompleted);
  EXPECT_EQ(summary.epochs_completed, 5);
  EXPECT_EQ(summary.steps, 50);
  ASSERT_TRUE(summary.last_epoch && summary.last_epoch->test);
  EXPECT_GT(summary.last_epoch->test->accuracy.value(), 0.9);
  EXPECT_GT(summary.last_epoch->train->accuracy.value(), 0.9);
  EXPECT_FALSE(summary.last_epoch->test->mse.has_value());
}

// Records every evaluation and epoch end.
struct EvaluationRecorder final : Callback<float> {
  std::vector<EvaluationInfo> evaluations;
  std::vector<EpochInfo> epochs;
  std::vector<double> elapsed;
  void on_evaluation(const TrainingContext<float>& c, const EvaluationInfo& info) override {
    evaluations.push_back(info);
    elapsed.push_back(c.elapsed_seconds);
  }
  CallbackAction on_epoch_end(const TrainingContext<float>&, const EpochInfo& info) override {
    epochs.push_back(info);
    return CallbackAction::kContinue;
  }
};

TEST(Trainer, EvaluatesInsideEpochsAtEvenlySpacedSteps) {
  Blobs task;
  auto adam = make_optimizer<float>("adam lr=0.02");
  // 200 examples in batches of 20: 10 steps per epoch, 4 evaluations after steps ⌈10j/4⌉ =
  // 3, 5, 8, 10.
  TrainerOptions options{.epochs = 2, .batching = {.batch_size = 20, .seed = 1}};
  options.evaluations_per_epoch = 4;
  Trainer<float> trainer(task.model, task.loss, *adam, task.train, options);
  trainer.set_test(&task.test);
  auto& recorder = static_cast<EvaluationRecorder&>(
      trainer.add_callback(std::make_unique<EvaluationRecorder>()));
  Vector<float> theta = task.model.parameters();
  trainer.train(theta);
  ASSERT_EQ(recorder.evaluations.size(), 8u);
  const std::int64_t steps[] = {3, 5, 8, 10, 13, 15, 18, 20};
  for (std::size_t i = 0; i < 8; ++i) {
    const EvaluationInfo& e = recorder.evaluations[i];
    EXPECT_EQ(e.step, steps[i]);
    EXPECT_DOUBLE_EQ(e.epochs, static_cast<double>(steps[i]) / 10);
    ASSERT_TRUE(e.test.has_value());
    EXPECT_FALSE(e.train.has_value());  // evaluate_train is off
    if (i > 0) {
      EXPECT_GE(recorder.elapsed[i], recorder.elapsed[i - 1]);
    }
  }
  // The evaluation that ends an epoch is the epoch's own.
  ASSERT_EQ(recorder.epochs.size(), 2u);
  EXPECT_EQ(recorder.evaluations[3].test->loss, recorder.epochs[0].test->loss);
  EXPECT_EQ(recorder.evaluations[7].test->loss, recorder.epochs[1].test->loss);
  // More evaluations than steps: one after every step.
  options.evaluations_per_epoch = 50;
  Trainer<float> every(task.model, task.loss, *adam, task.train, options);
  every.set_test(&task.test);
  auto& all =
      static_cast<EvaluationRecorder&>(every.add_callback(std::make_unique<EvaluationRecorder>()));
  every.train(theta);
  EXPECT_EQ(all.evaluations.size(), 20u);
  options.evaluations_per_epoch = 0;
  EXPECT_THROW(Trainer<float>(task.model, task.loss, *adam, task.train, options), ConfigError);
}

TEST(Trainer, ResumedRunIsBitIdenticalToAnUninterruptedOne) {
  const auto dir = temp_dir("resume");
  auto run = [&](bool interrupt) {
    Blobs task;
    auto sgd = make_optimizer<float>("sgd lr=0.05 momentum=0.9");
    TrainerOptions options{.epochs = 3, .batching = {.batch_size = 16, .seed = 2}, .seed = 7};
    Vector<float> theta = task.model.parameters();
    std::vector<double> losses;
    struct Recorder final : Callback<float> {
      std::vector<double>* out;
      explicit Recorder(std::vector<double>* o) : out(o) {}
      CallbackAction on_step_end(const TrainingContext<float>&, const StepInfo& i) override {
        out->push_back(i.report.loss_before);
        return CallbackAction::kContinue;
      }
    };
    if (interrupt) {
      // First part: stop after 20 steps (mid-epoch 2), leaving a checkpoint.
      Trainer<float> first(task.model, task.loss, *sgd, task.train, options);
      first.add_callback(std::make_unique<Recorder>(&losses));
      first.add_callback(std::make_unique<StepBudget<float>>(20));
      first.add_callback(std::make_unique<Checkpointer<float>>(dir / "ckpt.bin", 0));
      EXPECT_EQ(first.train(theta).reason, StopReason::kCallback);
      // Second part: a fresh optimizer, trainer and parameter vector, from the file alone.
      auto fresh = make_optimizer<float>("sgd lr=0.05 momentum=0.9");
      Trainer<float> second(task.model, task.loss, *fresh, task.train, options);
      second.add_callback(std::make_unique<Recorder>(&losses));
      Vector<float> resumed = Vector<float>::Zero(theta.size());
      second.load_checkpoint(dir / "ckpt.bin", resumed);
      EXPECT_EQ(second.step(), 20);
      EXPECT_EQ(second.train(resumed).steps, 39);
      theta = resumed;
    } else {
      Trainer<float> trainer(task.model, task.loss, *sgd, task.train, options);
      trainer.add_callback(std::make_unique<Recorder>(&losses));
      trainer.train(theta);
    }
    return std::make_pair(theta, losses);
  };
  const auto [straight, straight_losses] = run(false);
  const auto [resumed, resumed_losses] = run(true);
  ASSERT_EQ(straight_losses.size(), 39u);
  EXPECT_EQ(resumed_losses, straight_losses);
  EXPECT_EQ(std::memcmp(straight.data(), resumed.data(), sizeof(float) * straight.size()), 0);
  for (const auto& entry : std::filesystem::directory_iterator(dir))  // no temporary left
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

// A file's text with the wall-clock fields (every *_seconds column) blanked: the only bytes in
// which two runs of the same configuration may differ.
std::string without_times(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  const bool csv = file.extension() == ".csv";
  std::vector<bool> timed;  // per CSV column, from the header
  bool header = csv;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells(1);
    for (char ch : line) {
      if (ch == ',') {
        cells.emplace_back();
      } else {
        cells.back().push_back(ch);
      }
    }
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::string cell = cells[i];
      const auto key = cell.find("_seconds\":");
      if (header) {
        timed.push_back(cell.ends_with("_seconds"));
      } else if (csv && i < timed.size() && timed[i]) {
        cell = "T";
      } else if (!csv && key != std::string::npos) {
        cell = cell.substr(0, key + 10) + "T";
      }
      out << (i ? "," : "") << cell;
    }
    header = false;
    out << '\n';
  }
  return out.str();
}

// Blobs trained for 3 epochs of 13 steps with Adam, logged into `dir`.
struct LoggedRun {
  Blobs task;
  std::unique_ptr<Optimizer<float>> adam = make_optimizer<float>("adam lr=0.02");
  // 13 steps per epoch, evaluated after steps 4, 7, 10 and 13 of each.
  TrainerOptions options{.epochs = 3,
                         .batching = {.batch_size = 16, .seed = 2},
                         .evaluations_per_epoch = 4,
                         .seed = 7};
  Trainer<float> trainer{task.model, task.loss, *adam, task.train, options};
  Vector<float> theta = task.model.parameters();
  LoggedRun() { trainer.set_test(&task.test); }
};

// Writes a checkpoint at one step only, as a periodic checkpoint before a crash would.
struct CheckpointAt final : Callback<float> {
  std::filesystem::path file;
  std::int64_t step;
  CheckpointAt(std::filesystem::path f, std::int64_t s) : file(std::move(f)), step(s) {}
  CallbackAction on_step_end(const TrainingContext<float>& c, const StepInfo&) override {
    if (c.step == step) write_checkpoint(file, c);
    return CallbackAction::kContinue;
  }
};

TEST(TrainingLog, AResumeAfterACrashCutsTheRowsLoggedPastTheCheckpoint) {
  const auto straight = temp_dir("log_straight"), crashed = temp_dir("log_crashed");
  {
    LoggedRun run;
    run.trainer.add_callback(std::make_unique<TrainingLog<float>>(straight));
    run.trainer.train(run.theta);
  }
  {
    // A checkpoint at step 20 (mid-epoch 2), then rows up to step 30 (past the end of epoch 2,
    // whose row is logged too) before the "crash", which tears the last line of each file.
    LoggedRun run;
    run.trainer.add_callback(std::make_unique<TrainingLog<float>>(crashed));
    run.trainer.add_callback(std::make_unique<CheckpointAt>(crashed / "checkpoint.bin", 20));
    run.trainer.add_callback(std::make_unique<StepBudget<float>>(30));
    run.trainer.train(run.theta);
    for (const char* f : {"steps.csv", "steps.jsonl", "epochs.csv", "epochs.jsonl",
                          "evaluations.csv", "evaluations.jsonl"})
      std::ofstream(crashed / f, std::ios::app) << (f[0] == 's' ? "31,3,acc" : "{\"epoch\":3,");
  }
  {
    LoggedRun run;
    run.trainer.load_checkpoint(crashed / "checkpoint.bin", run.theta);
    run.trainer.add_callback(std::make_unique<TrainingLog<float>>(crashed, /*append=*/true));
    EXPECT_EQ(run.trainer.train(run.theta).steps, 39);
  }
  for (const char* f : {"steps.csv", "steps.jsonl", "epochs.csv", "epochs.jsonl", "evaluations.csv",
                        "evaluations.jsonl"}) {
    const std::string expected = without_times(straight / f);
    EXPECT_EQ(without_times(crashed / f), expected) << f;
    EXPECT_NE(expected.find("T"), std::string::npos) << "no time column masked in " << f;
  }
  std::ifstream steps(crashed / "steps.csv");
  int lines = 0;
  for (std::string line; std::getline(steps, line);) ++lines;
  EXPECT_EQ(lines, 40);  // header + 39 steps, no duplicate
  std::filesystem::remove_all(straight);
  std::filesystem::remove_all(crashed);
}

TEST(Trainer, ResumingAFinishedRunKeepsItsFinalMetrics) {
  const auto dir = temp_dir("finished");
  TrainingSummary first;
  {
    LoggedRun run;
    run.trainer.add_callback(std::make_unique<Checkpointer<float>>(dir / "checkpoint.bin", 0));
    first = run.trainer.train(run.theta);
  }
  ASSERT_TRUE(first.last_epoch && first.last_epoch->test && first.last_epoch->test->accuracy);
  LoggedRun again;
  again.trainer.load_checkpoint(dir / "checkpoint.bin", again.theta);
  const TrainingSummary second = again.trainer.train(again.theta);
  EXPECT_EQ(second.reason, StopReason::kCompleted);
  EXPECT_EQ(second.steps, first.steps);
  ASSERT_TRUE(second.last_epoch && second.last_epoch->test);
  EXPECT_EQ(second.last_epoch->epoch, first.last_epoch->epoch);
  EXPECT_EQ(second.last_epoch->mean_step_loss, first.last_epoch->mean_step_loss);
  EXPECT_EQ(second.last_epoch->test->loss, first.last_epoch->test->loss);
  EXPECT_EQ(second.last_epoch->test->accuracy, first.last_epoch->test->accuracy);
  EXPECT_FALSE(second.last_epoch->test->mse.has_value());
  EXPECT_FALSE(second.last_epoch->train.has_value());
  std::filesystem::remove_all(dir);
}

TEST(Trainer, TheStopFlagInterruptsAtAStepBoundaryAndTheRunResumesBitIdentically) {
  const auto dir = temp_dir("interrupt");
  static volatile std::sig_atomic_t flag = 0;
  // Raises the flag in the middle of step 17's callbacks, as a signal arriving then would.
  struct RaiseAt final : Callback<float> {
    CallbackAction on_step_end(const TrainingContext<float>& c, const StepInfo&) override {
      if (c.step == 17) flag = SIGTERM;
      return CallbackAction::kContinue;
    }
  };
  LoggedRun straight;
  straight.trainer.train(straight.theta);

  flag = 0;
  LoggedRun interrupted;
  interrupted.trainer.set_stop_flag(&flag);
  interrupted.trainer.add_callback(std::make_unique<RaiseAt>());
  interrupted.trainer.add_callback(std::make_unique<Checkpointer<float>>(dir / "ckpt.bin", 0));
  const TrainingSummary stop = interrupted.trainer.train(interrupted.theta);
  EXPECT_EQ(stop.reason, StopReason::kInterrupted);
  EXPECT_EQ(to_string(stop.reason), "interrupted");
  EXPECT_EQ(stop.steps, 17);
  EXPECT_NE(stop.message.find("interrupted after step 17 (step 4 of 13 in epoch 2)"),
            std::string::npos)
      << stop.message;

  flag = 0;
  LoggedRun resumed;
  resumed.trainer.set_stop_flag(&flag);
  resumed.trainer.load_checkpoint(dir / "ckpt.bin", resumed.theta);
  EXPECT_EQ(resumed.trainer.step(), 17);
  const TrainingSummary end = resumed.trainer.train(resumed.theta);
  EXPECT_EQ(end.reason, StopReason::kCompleted);
  EXPECT_EQ(end.steps, 39);
  ASSERT_EQ(straight.theta.size(), resumed.theta.size());
  EXPECT_EQ(std::memcmp(straight.theta.data(), resumed.theta.data(),
                        sizeof(float) * straight.theta.size()),
            0);
  std::filesystem::remove_all(dir);
}

// Gradient descent that records the data version of every problem it is given, and offers a
// fixed vector for evaluation.
class RecordingDescent final : public Optimizer<float> {
 public:
  std::string_view name() const override { return "recording-descent"; }
  StepReport step(Problem<float>& problem, VectorRef<float> params) override {
    versions.push_back(problem.data_version());
    grad_.resize(params.size());
    StepReport report;
    report.loss_before = problem.gradient(params, grad_);
    params -= 0.1f * grad_;
    return report;
  }
  void reset() override {}
  OptimizerState save_state() const override { return OptimizerState{"recording-descent"}; }
  void load_state(const OptimizerState&) override {}
  std::vector<std::pair<std::string, std::string>> options() const override { return {}; }
  const Vector<float>* evaluation_parameters() const override {
    return evaluate_at.size() > 0 ? &evaluate_at : nullptr;
  }
  std::vector<std::uint64_t> versions;
  Vector<float> evaluate_at;

 private:
  Vector<float> grad_;
};

TEST(Trainer, BindsAFullBatchOnceUnlessTheModelIsStochastic) {
  Blobs task;  // 2 → 8 RReLU → 2: stochastic while training
  Sequential<float> smooth(Shape::flat(2));
  smooth.add<Dense>(Index(8));
  smooth.add<Tanh>();
  smooth.add<Dense>(Index(2));
  smooth.initialize(Initializer::kPyTorchDefault, 1);
  auto versions = [&](Sequential<float>& model, Index batch_size) {
    RecordingDescent descent;
    TrainerOptions options{.epochs = 3, .batching = {.batch_size = batch_size, .seed = 1}};
    Trainer<float> trainer(model, task.loss, descent, task.train, options);
    Vector<float> theta = model.parameters();
    trainer.train(theta);
    std::set<std::uint64_t> distinct(descent.versions.begin(), descent.versions.end());
    return std::make_pair(descent.versions.size(), distinct.size());
  };
  // Full batch of a deterministic model: one binding, so optimizers may reuse work across steps.
  EXPECT_EQ(versions(smooth, 200), std::make_pair(std::size_t{3}, std::size_t{1}));
  // New noise every step, or new data every step: a new version every step.
  EXPECT_EQ(versions(task.model, 200), std::make_pair(std::size_t{3}, std::size_t{3}));
  EXPECT_EQ(versions(smooth, 100), std::make_pair(std::size_t{6}, std::size_t{6}));
}

TEST(Trainer, EvaluatesTheParametersTheOptimizerOffers) {
  Blobs task;
  RecordingDescent descent;
  descent.evaluate_at = Vector<float>::Constant(task.model.num_parameters(), 0.01f);
  TrainerOptions options{.epochs = 1, .batching = {.batch_size = 50, .seed = 1}};
  Trainer<float> trainer(task.model, task.loss, descent, task.train, options);
  trainer.set_test(&task.test);
  Vector<float> theta = task.model.parameters();
  const TrainingSummary summary = trainer.train(theta);
  Sequential<float> model = task.model;
  model.set_training(false);
  const Metrics expected = evaluate(model, task.loss, descent.evaluate_at, task.test, 1000);
  ASSERT_TRUE(summary.last_epoch && summary.last_epoch->test);
  EXPECT_DOUBLE_EQ(summary.last_epoch->test->loss, expected.loss);
  EXPECT_NE(theta, descent.evaluate_at);
}

TEST(Trainer, CheckpointErrorsNameTheFile) {
  const auto dir = temp_dir("ckpt_errors");
  Blobs task;
  auto adam = make_optimizer<float>("adam");
  Trainer<float> trainer(task.model, task.loss, *adam, task.train, {});
  Vector<float> theta = task.model.parameters();
  { std::ofstream(dir / "junk.bin") << "not a checkpoint"; }
  try {
    trainer.load_checkpoint(dir / "junk.bin", theta);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("junk.bin: not a curvopt checkpoint"), std::string::npos);
  }
  trainer.save_checkpoint(dir / "adam.bin", theta);
  auto sgd = make_optimizer<float>("sgd");
  Trainer<float> other(task.model, task.loss, *sgd, task.train, {});
  EXPECT_THROW(other.load_checkpoint(dir / "adam.bin", theta), ValueError);
  EXPECT_THROW(trainer.load_checkpoint(dir / "missing.bin", theta), ValueError);
}

// Rewrites a checkpoint's trainer position with `edit`, then frames it as a valid format-2 file
// (magic, blocks, CRC): what a forger or a buggy tool could produce.
void forge_checkpoint(const std::filesystem::path& from, const std::filesystem::path& to,
                      const std::function<void(OptimizerState&)>& edit, const char* magic,
                      bool with_crc, const std::string& trailing = "") {
  std::ifstream in(from, std::ios::binary);
  in.seekg(8);
  OptimizerState position = OptimizerState::read(in), optimizer = OptimizerState::read(in);
  edit(position);
  std::ostringstream out;
  out.write(magic, 8);
  position.write(out);
  optimizer.write(out);
  out << trailing;
  std::string bytes = out.str();
  if (with_crc) {
    const std::uint32_t crc = crc32_of(bytes.data(), bytes.size());
    bytes.append(reinterpret_cast<const char*>(&crc), 4);
  }
  std::ofstream(to, std::ios::binary) << bytes;
}

std::string load_error(Trainer<float>& trainer, const std::filesystem::path& file,
                       Vector<float>& theta) {
  try {
    trainer.load_checkpoint(file, theta);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "";
}

TEST(Trainer, CheckpointsProveTheirIntegrityAndTheirPosition) {
  const auto dir = temp_dir("ckpt_integrity");
  Blobs task;
  auto adam = make_optimizer<float>("adam");
  const TrainerOptions options{.epochs = 3, .batching = {.batch_size = 50}};
  Trainer<float> trainer(task.model, task.loss, *adam, task.train, options);
  Vector<float> theta = task.model.parameters();
  trainer.add_callback(std::make_unique<StepBudget<float>>(6));  // epoch 1, step 2 of 4
  trainer.train(theta);
  trainer.save_checkpoint(dir / "good.bin", theta);

  auto fresh = make_optimizer<float>("adam");
  Trainer<float> loader(task.model, task.loss, *fresh, task.train, options);
  Vector<float> loaded = task.model.parameters();
  EXPECT_EQ(load_error(loader, dir / "good.bin", loaded), "");
  EXPECT_EQ(loaded, theta);

  std::string bytes;
  {
    std::ifstream in(dir / "good.bin", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto write = [&](const char* name, const std::string& content) {
    std::ofstream(dir / name, std::ios::binary) << content;
    return dir / name;
  };
  const auto expect_refused = [&](const std::filesystem::path& file, const std::string& words) {
    const std::string message = load_error(loader, file, loaded);
    EXPECT_EQ(message.rfind(file.string() + ": ", 0), 0u) << message;  // names the file first
    EXPECT_NE(message.find(words), std::string::npos)
        << "'" << words << "' not in '" << message << "'";
  };
  // A flipped bit in a parameter, a truncated copy, bytes appended.
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x10);
  expect_refused(write("flipped.bin", flipped), "checksum mismatch");
  expect_refused(write("truncated.bin", bytes.substr(0, bytes.size() - 9)), "checksum mismatch");
  expect_refused(write("short.bin", bytes.substr(0, 10)), "truncated checkpoint");
  expect_refused(write("appended.bin", bytes + "junk"), "checksum mismatch");

  // Forged files whose checksum is right: the position itself is checked.
  const char* v2 = "CVCKPT2\n";
  const auto set = [](const char* key, double value) {
    return [=](OptimizerState& p) { p.put(key, value); };
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  forge_checkpoint(dir / "good.bin", dir / "nan_step.bin", set("step", nan), v2, true);
  expect_refused(dir / "nan_step.bin", "optimizer state entry 'step' = nan: expected a count");
  forge_checkpoint(dir / "good.bin", dir / "negative.bin", set("epoch", -1), v2, true);
  expect_refused(dir / "negative.bin", "entry 'epoch' = -1: expected a count");
  forge_checkpoint(dir / "good.bin", dir / "skewed.bin", set("step", 7), v2, true);
  expect_refused(dir / "skewed.bin", "position (epoch 1, step 2 of the epoch, step 7 overall)");
  forge_checkpoint(
      dir / "good.bin", dir / "late.bin",
      [](OptimizerState& p) {
        p.put("epoch", 999.0);
        p.put("step", 999.0 * 4 + 2);
      },
      v2, true);
  expect_refused(dir / "late.bin", "at epoch 999, past this run's 3 epochs");
  forge_checkpoint(
      dir / "good.bin", dir / "trailing.bin", [](OptimizerState&) {}, v2, true, "x");
  expect_refused(dir / "trailing.bin", "1 unexpected bytes after the optimizer state");
  forge_checkpoint(
      dir / "good.bin", dir / "inf_weight.bin",
      [&](OptimizerState& p) {
        Vector<double> w = Eigen::Map<const Vector<double>>(p.get("parameters").data(),
                                                            static_cast<Index>(theta.size()));
        w(3) = std::numeric_limits<double>::infinity();
        p.put("parameters", w);
      },
      v2, true);
  expect_refused(dir / "inf_weight.bin", "parameter 3 is not finite");
  // The optimizer's state claims another size (found by fuzz_checkpoint: a forged count made
  // the optimizer allocate 0.5 TB before any check).
  {
    std::ifstream in(dir / "good.bin", std::ios::binary);
    in.seekg(8);
    OptimizerState position = OptimizerState::read(in), state = OptimizerState::read(in);
    state.put("num_parameters", 1e12);
    std::ostringstream out;
    out.write(v2, 8);
    position.write(out);
    state.write(out);
    std::string forged = out.str();
    const std::uint32_t crc = crc32_of(forged.data(), forged.size());
    forged.append(reinterpret_cast<const char*>(&crc), 4);
    expect_refused(write("huge_state.bin", forged),
                   "the optimizer's state is for 1000000000000 parameters, the model has");
  }

  // Format 1 (before the checksum) still loads, and is held to the same position checks.
  forge_checkpoint(
      dir / "good.bin", dir / "v1.bin", [](OptimizerState&) {}, "CVCKPT1\n", false);
  loaded = task.model.parameters();
  EXPECT_EQ(load_error(loader, dir / "v1.bin", loaded), "");
  EXPECT_EQ(loaded, theta);
  forge_checkpoint(
      dir / "good.bin", dir / "v1_trailing.bin", [](OptimizerState&) {}, "CVCKPT1\n", false, "abc");
  expect_refused(dir / "v1_trailing.bin", "3 unexpected bytes");
}

// An epoch in which no step had a finite loss reports NaN (null in JSON), not a mean of 0.
TEST(Trainer, AnEpochWithoutAFiniteStepLossReportsNaN) {
  Blobs task;
  struct Epochs : Callback<float> {
    std::vector<EpochInfo> seen;
    CallbackAction on_epoch_end(const TrainingContext<float>&, const EpochInfo& info) override {
      seen.push_back(info);
      return CallbackAction::kContinue;
    }
  };
  auto epochs = std::make_unique<Epochs>();
  Epochs* log = epochs.get();
  auto sgd = make_optimizer<float>("sgd lr=1e38");
  Trainer<float> trainer(
      task.model, task.loss, *sgd, task.train,
      {.epochs = 3, .batching = {.batch_size = 100}, .max_consecutive_failures = 100});
  trainer.add_callback(std::move(epochs));
  Vector<float> theta = task.model.parameters();
  trainer.train(theta);
  ASSERT_EQ(log->seen.size(), 3u);
  EXPECT_TRUE(std::isfinite(log->seen[0].mean_step_loss));  // its first step started finite
  EXPECT_EQ(log->seen[0].finite_steps, 1);
  for (std::size_t e = 1; e < 3; ++e) {
    EXPECT_TRUE(std::isnan(log->seen[e].mean_step_loss)) << e;
    EXPECT_EQ(log->seen[e].finite_steps, 0) << e;
  }
}

std::string construction_error(const std::function<void()>& make) {
  try {
    make();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Data that do not fit the model are refused when handed to the trainer, naming the data set and
// the example, not at the first batch that holds them.
TEST(Trainer, RefusesDataThatDoNotFitTheModel) {
  Blobs task;
  auto adam = make_optimizer<float>("adam");
  Dataset<float> bad_labels = task.test;
  bad_labels.targets(0, 3) = 2;  // two outputs: classes 0 and 1
  EXPECT_NE(construction_error([&] {
              Trainer<float> trainer(task.model, task.loss, *adam, bad_labels, {});
            }).find("blobs/test: SoftmaxCrossEntropy: the class label of example 3 is 2"),
            std::string::npos);
  Trainer<float> trainer(task.model, task.loss, *adam, task.train, {});
  EXPECT_NE(construction_error([&] { trainer.set_test(&bad_labels); }).find("blobs/test: "),
            std::string::npos);

  // The same pixel count in another shape.
  Sequential<float> images(Shape::image(1, 2, 2));
  images.add<Flatten>();
  images.add<Dense>(Index(2));
  images.initialize(Initializer::kPyTorchDefault, 1);
  Dataset<float> strips = task.train;
  strips.inputs = Matrix<float>::Ones(4, task.train.size());
  strips.example_shape = Shape::image(1, 1, 4);
  EXPECT_NE(construction_error([&] {
              Trainer<float> t(images, task.loss, *adam, strips, {});
            }).find("blobs/train: examples are 1x1x4 but the model takes 1x2x2"),
            std::string::npos);
  strips.example_shape = Shape::image(1, 2, 2);
  EXPECT_EQ(construction_error([&] { Trainer<float> t(images, task.loss, *adam, strips, {}); }),
            "");
}

TEST(Trainer, StopsWithAClearMessageWhenTheLossStaysNonFinite) {
  Blobs task;
  // A learning rate this large overflows float at once; every later step sees Inf/NaN.
  auto sgd = make_optimizer<float>("sgd lr=1e38");
  Trainer<float> trainer(task.model, task.loss, *sgd, task.train,
                         {.epochs = 10, .batching = {.batch_size = 10}});
  Vector<float> theta = task.model.parameters();
  const TrainingSummary summary = trainer.train(theta);
  EXPECT_EQ(summary.reason, StopReason::kNonFinite);
  EXPECT_NE(summary.message.find("could not recover"), std::string::npos) << summary.message;
  EXPECT_LT(summary.steps, 20);
}

TEST(Trainer, BudgetsStopTraining) {
  Blobs task;
  auto sgd = make_optimizer<float>("sgd");
  Trainer<float> by_steps(task.model, task.loss, *sgd, task.train,
                          {.epochs = 100, .batching = {.batch_size = 10}});
  by_steps.add_callback(std::make_unique<StepBudget<float>>(37));
  Vector<float> theta = task.model.parameters();
  const TrainingSummary s = by_steps.train(theta);
  EXPECT_EQ(s.steps, 37);
  EXPECT_EQ(s.reason, StopReason::kCallback);
  EXPECT_NE(s.message.find("step budget of 37"), std::string::npos);

  auto sgd2 = make_optimizer<float>("sgd");
  Trainer<float> by_time(task.model, task.loss, *sgd2, task.train,
                         {.epochs = 1000000, .batching = {.batch_size = 10}});
  by_time.add_callback(std::make_unique<TimeBudget<float>>(0.05));
  const TrainingSummary t = by_time.train(theta);
  EXPECT_EQ(t.reason, StopReason::kCallback);
  EXPECT_GE(t.seconds, 0.05);
  EXPECT_LT(t.seconds, 5.0);
  EXPECT_THROW(TimeBudget<float>(0), ConfigError);
  EXPECT_THROW(StepBudget<float>(0), ConfigError);
}

// A run with early stopping, interrupted and resumed from its checkpoint, stops at the epoch an
// uninterrupted one stops at and keeps the same best parameters (the state travels in the
// checkpoint). With min_delta this large only epoch 0 counts as an improvement: patience 2 stops
// after epoch 2, where a fresh record after the resume would stop one epoch later.
TEST(EarlyStopping, AResumedRunStopsWhereAnUninterruptedOneStops) {
  const auto dir = temp_dir("early_resume");
  const TrainerOptions options{.epochs = 10, .batching = {.batch_size = 50}};
  const EarlyStoppingOptions early{.dataset = "test", .patience = 2, .min_delta = 1e9};
  const auto run = [&](std::int64_t max_steps, const std::filesystem::path* resume_from,
                       const std::filesystem::path* save_to) {
    Blobs task;
    auto adam = make_optimizer<float>("adam");
    Trainer<float> trainer(task.model, task.loss, *adam, task.train, options);
    trainer.set_test(&task.test);
    Vector<float> theta = task.model.parameters();
    if (resume_from) trainer.load_checkpoint(*resume_from, theta);
    auto stopper = std::make_unique<EarlyStopping<float>>(early);
    auto* early_stopping = stopper.get();
    trainer.add_callback(std::move(stopper));
    if (max_steps > 0) trainer.add_callback(std::make_unique<StepBudget<float>>(max_steps));
    const TrainingSummary summary = trainer.train(theta);
    if (save_to) trainer.save_checkpoint(*save_to, theta);
    return std::make_tuple(summary, early_stopping->best_epoch(),
                           Vector<float>(*early_stopping->best_parameters()));
  };
  const auto [reference, best_epoch, best] = run(0, nullptr, nullptr);
  ASSERT_EQ(reference.reason, StopReason::kCallback) << reference.message;
  EXPECT_EQ(reference.epochs_completed, 3);
  const std::filesystem::path checkpoint = dir / "half.bin";
  run(6, nullptr, &checkpoint);  // 4 steps per epoch: stopped inside epoch 1
  const auto [resumed, resumed_best_epoch, resumed_best] = run(0, &checkpoint, nullptr);
  EXPECT_EQ(resumed.reason, StopReason::kCallback) << resumed.message;
  EXPECT_EQ(resumed.epochs_completed, reference.epochs_completed);
  EXPECT_EQ(resumed.steps, reference.steps);
  EXPECT_EQ(resumed_best_epoch, best_epoch);
  EXPECT_EQ(resumed_best, best);
}

// The checkpoint's callback state is restored once: a second train() call on a resumed trainer
// continues from the callbacks' own state, not from the checkpoint's again.
TEST(EarlyStopping, ASecondTrainCallKeepsTheStateTheFirstReached) {
  const auto dir = temp_dir("early_twice");
  const TrainerOptions options{.epochs = 10, .batching = {.batch_size = 50}};
  const EarlyStoppingOptions early{.dataset = "test", .patience = 100};
  const std::filesystem::path checkpoint = dir / "epoch1.bin";
  {
    Blobs task;
    auto adam = make_optimizer<float>("adam");
    Trainer<float> trainer(task.model, task.loss, *adam, task.train, options);
    trainer.set_test(&task.test);
    trainer.add_callback(std::make_unique<EarlyStopping<float>>(early));
    trainer.add_callback(std::make_unique<StepBudget<float>>(4));  // one epoch
    Vector<float> theta = task.model.parameters();
    trainer.train(theta);
    trainer.save_checkpoint(checkpoint, theta);
  }
  Blobs task;
  auto adam = make_optimizer<float>("adam");
  Trainer<float> trainer(task.model, task.loss, *adam, task.train, options);
  trainer.set_test(&task.test);
  Vector<float> theta = task.model.parameters();
  trainer.load_checkpoint(checkpoint, theta);
  auto stopper = std::make_unique<EarlyStopping<float>>(early);
  auto* early_stopping = stopper.get();
  trainer.add_callback(std::move(stopper));
  trainer.add_callback(std::make_unique<StepBudget<float>>(20));  // to the end of epoch 5
  trainer.train(theta);
  ASSERT_GE(early_stopping->best_epoch(), 1) << "the test loss should improve after epoch 0";
  const std::int64_t best = early_stopping->best_epoch();
  trainer.train(theta);  // the budget stops it at once
  EXPECT_EQ(early_stopping->best_epoch(), best);
}

TEST(EarlyStopping, StopsAfterPatienceAndKeepsTheBestParameters) {
  EarlyStopping<double> stopper({.dataset = "validation", .metric = "loss", .patience = 2});
  Vector<double> theta(1);
  auto adam = make_optimizer<double>("adam");
  const double losses[] = {1.0, 0.5, 0.6, 0.4, 0.45, 0.41};
  const CallbackAction expected[] = {CallbackAction::kContinue, CallbackAction::kContinue,
                                     CallbackAction::kContinue, CallbackAction::kContinue,
                                     CallbackAction::kContinue, CallbackAction::kStop};
  for (int e = 0; e < 6; ++e) {
    theta(0) = e;
    TrainingContext<double> context{theta, *adam, e, 10};
    EpochInfo info;
    info.epoch = e;
    info.validation = Metrics{losses[e]};
    EXPECT_EQ(stopper.on_epoch_end(context, info), expected[e]) << "epoch " << e;
  }
  EXPECT_EQ(stopper.best_epoch(), 3);
  EXPECT_EQ((*stopper.best_parameters())(0), 3.0);
  EXPECT_NE(stopper.stop_message().find("did not improve for 2 epochs"), std::string::npos);
  EXPECT_THROW(EarlyStopping<double>({.metric = "f1"}), ConfigError);
  // Accuracy is maximized.
  EarlyStopping<double> by_accuracy({.dataset = "test", .metric = "accuracy", .patience = 1});
  for (int e = 0; e < 2; ++e) {
    TrainingContext<double> context{theta, *adam, e, 10};
    EpochInfo info;
    info.test = Metrics{0.0, e == 0 ? 0.9 : 0.8};
    EXPECT_EQ(by_accuracy.on_epoch_end(context, info),
              e == 0 ? CallbackAction::kContinue : CallbackAction::kStop);
  }
}

TEST(TrainingLog, WritesCsvAndJsonLinesPerStepAndEpoch) {
  const auto dir = temp_dir("log");
  Blobs task;
  auto adam = make_optimizer<float>("adam");
  Trainer<float> trainer(task.model, task.loss, *adam, task.train,
                         {.epochs = 2, .batching = {.batch_size = 50}});
  trainer.set_test(&task.test);
  trainer.add_callback(std::make_unique<TrainingLog<float>>(dir));
  Vector<float> theta = task.model.parameters();
  trainer.train(theta);
  auto lines = [](const std::filesystem::path& f) {
    std::ifstream in(f);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  const auto steps = lines(dir / "steps.csv");
  ASSERT_EQ(steps.size(), 9u);  // header + 8 steps
  EXPECT_EQ(steps[0].rfind("step,epoch,status,loss_before,loss_after", 0), 0u);
  EXPECT_EQ(steps[1].rfind("1,1,accepted,", 0), 0u);
  const auto epochs = lines(dir / "epochs.jsonl");
  ASSERT_EQ(epochs.size(), 2u);
  EXPECT_NE(epochs[1].find("\"epoch\":2"), std::string::npos);
  EXPECT_NE(epochs[1].find("\"train_loss\":null"), std::string::npos);
  EXPECT_NE(epochs[1].find("\"test_accuracy\":0."), std::string::npos);
  EXPECT_EQ(lines(dir / "steps.jsonl").size(), 8u);
}

TEST(ProgressBar, PlainLinesWhenNotATerminal) {
  Blobs task;
  auto adam = make_optimizer<float>("adam");
  Trainer<float> trainer(task.model, task.loss, *adam, task.train,
                         {.epochs = 2, .batching = {.batch_size = 50}});
  trainer.set_test(&task.test);
  std::FILE* out = std::tmpfile();
  trainer.add_callback(std::make_unique<ProgressBar<float>>(
      out, ProgressBarOptions{.interactive = false, .line_interval_seconds = 0}));
  Vector<float> theta = task.model.parameters();
  trainer.train(theta);
  std::rewind(out);
  std::string text(4096, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), out));
  std::fclose(out);
  EXPECT_NE(text.find("epoch 1/2 step 1/4 loss"), std::string::npos) << text;
  EXPECT_NE(text.find("steps/s ETA"), std::string::npos);
  EXPECT_NE(text.find("test loss"), std::string::npos);
  EXPECT_NE(text.find("acc "), std::string::npos);
  EXPECT_NE(text.find("training completed after 8 steps (2 epochs)"), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);  // no carriage returns in plain mode
}

TEST(ProgressBar, LiveBarRedrawsInPlaceOnATerminal) {
  Blobs task;
  auto adam = make_optimizer<float>("adam");
  Trainer<float> trainer(task.model, task.loss, *adam, task.train,
                         {.epochs = 1, .batching = {.batch_size = 2}});
  std::FILE* out = std::tmpfile();
  trainer.add_callback(std::make_unique<ProgressBar<float>>(
      out, ProgressBarOptions{.interactive = true, .line_interval_seconds = 0}));
  Vector<float> theta = task.model.parameters();
  struct Slow final : Callback<float> {  // so that the bar's 0.1 s redraw interval passes
    CallbackAction on_step_end(const TrainingContext<float>& c, const StepInfo&) override {
      if (c.step % 25 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(120));
      return CallbackAction::kContinue;
    }
  };
  trainer.add_callback(std::make_unique<Slow>());
  trainer.train(theta);
  std::rewind(out);
  std::string text(1 << 16, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), out));
  std::fclose(out);
  EXPECT_NE(text.find("\repoch 1/1 ["), std::string::npos) << text;
  EXPECT_NE(text.find("#"), std::string::npos);
  EXPECT_NE(text.find("steps/s ETA"), std::string::npos);
  EXPECT_NE(text.find("\033[K"), std::string::npos);  // clears the rest of the line
}

TEST(Metrics, AccuracyAndRegressionErrorsOfAKnownModel) {
  // z = W x with W = I: the predicted class is the larger input.
  Sequential<double> model(Shape::flat(2));
  model.add<Dense>(Index(2));
  Vector<double> theta(6);
  theta << 1, 0, 0, 1, 0, 0;  // W (column-major), then bias
  Dataset<double> data{"d", Matrix<double>(2, 4), Matrix<double>(1, 4), 2};
  data.inputs << 1, 0, 2, 0, 0, 1, 1, 3;
  data.targets << 0, 1, 1, 1;  // the third is wrong: inputs (2, 1) → class 0
  SoftmaxCrossEntropy<double> ce;
  const Metrics m = evaluate(model, ce, theta, data, 3);
  EXPECT_DOUBLE_EQ(m.accuracy.value(), 0.75);
  EXPECT_FALSE(m.mse.has_value());
  Dataset<double> regression{"r", data.inputs, Matrix<double>::Zero(2, 4), 0};
  SquaredError<double> se;
  const Metrics r = evaluate(model, se, theta, regression, 2);
  EXPECT_DOUBLE_EQ(r.mse.value(), (1 + 4 + 1 + 1 + 9) / 8.0);
  EXPECT_DOUBLE_EQ(r.rmse.value(), std::sqrt(2.0));
}

}  // namespace
}  // namespace curvopt
