// The Trainer drives any TrainingProblem, not only networks: here a user's own least-squares
// model, y = a·exp(−b·t), fitted from its residuals and Jacobian.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"
#include "curvopt/optim/registry.h"
#include "curvopt/train/trainer.h"

namespace curvopt {
namespace {

// r_s = (a·exp(−b·t_s) − y_s)/√batch over the bound examples: f = ½‖r‖² is half the mean
// squared error of the batch.
class ExponentialDecay final : public Problem<double>, public TrainingProblem<double> {
 public:
  ExponentialDecay() : t_(200), y_(200) {
    Rng rng(3);
    for (Index s = 0; s < 200; ++s) {
      t_(s) = 0.02 * static_cast<double>(s);
      y_(s) = 2.5 * std::exp(-1.3 * t_(s)) + 0.01 * rng.normal();
    }
  }
  // Problem
  Index num_parameters() const override { return 2; }
  OracleSet oracles() const override {
    return Oracle::kValue | Oracle::kGradient | Oracle::kResiduals | Oracle::kJacobian;
  }
  Index num_residuals() const override { return static_cast<Index>(batch_.size()); }
  double value(ConstVectorRef<double> p) override {
    Vector<double> r(num_residuals());
    residuals(p, r);
    return 0.5 * r.squaredNorm();
  }
  double gradient(ConstVectorRef<double> p, VectorRef<double> g) override {
    Vector<double> r(num_residuals());
    Matrix<double> J(num_residuals(), 2);
    residuals(p, r);
    jacobian(p, J);
    g = J.transpose() * r;
    return 0.5 * r.squaredNorm();
  }
  void residuals(ConstVectorRef<double> p, VectorRef<double> r) override {
    const double scale = 1 / std::sqrt(static_cast<double>(batch_.size()));
    for (std::size_t k = 0; k < batch_.size(); ++k) {
      const Index s = batch_[k];
      r(static_cast<Index>(k)) = scale * (p(0) * std::exp(-p(1) * t_(s)) - y_(s));
    }
  }
  void jacobian(ConstVectorRef<double> p, MatrixRef<double> J) override {
    const double scale = 1 / std::sqrt(static_cast<double>(batch_.size()));
    for (std::size_t k = 0; k < batch_.size(); ++k) {
      const Index s = batch_[k];
      const double e = std::exp(-p(1) * t_(s));
      J(static_cast<Index>(k), 0) = scale * e;
      J(static_cast<Index>(k), 1) = -scale * p(0) * t_(s) * e;
    }
  }
  // TrainingProblem
  Problem<double>& problem() override { return *this; }
  Index num_examples() const override { return 200; }
  void bind(std::span<const Index> indices, std::uint64_t) override {
    batch_.assign(indices.begin(), indices.end());
    mark_data_changed();
    ++binds;
  }
  std::optional<Metrics> evaluate(ConstVectorRef<double> p, EvaluationSet set) override {
    if (set != EvaluationSet::kTrain) return std::nullopt;
    double sum = 0;
    for (Index s = 0; s < 200; ++s) sum += std::pow(p(0) * std::exp(-p(1) * t_(s)) - y_(s), 2);
    Metrics m;
    m.loss = 0.5 * sum / 200;
    m.mse = sum / 200;
    return m;
  }
  void publish(ConstVectorRef<double> p) override { published = p; }

  int binds = 0;
  Vector<double> published;

 private:
  Vector<double> t_, y_;
  std::vector<Index> batch_;
};

TEST(TrainingProblem, TheTrainerFitsAUsersResidualModelWithLm) {
  ExponentialDecay fit;
  auto lm = make_optimizer<double>("lm");
  TrainerOptions options{.epochs = 30, .batching = {.batch_size = 200, .seed = 1}};
  options.evaluate_train = true;
  Trainer<double> trainer(fit, *lm, options);
  Vector<double> theta(2);
  theta << 1.0, 0.5;
  const TrainingSummary summary = trainer.train(theta);
  // The least-squares estimates of a = 2.5, b = 1.3 from 200 points with noise σ = 0.01 lie
  // within a few standard errors (≈ 0.003 for a, 0.003 for b) of the truth.
  EXPECT_NEAR(theta(0), 2.5, 0.02);
  EXPECT_NEAR(theta(1), 1.3, 0.02);
  ASSERT_TRUE(summary.last_epoch && summary.last_epoch->train);
  EXPECT_LT(*summary.last_epoch->train->mse, 1.5e-4);  // σ² = 1e-4
  EXPECT_FALSE(summary.last_epoch->test.has_value());
  EXPECT_EQ(fit.binds, 1);  // full batch: bound once
  EXPECT_EQ(fit.published, theta);
  EXPECT_THROW(trainer.set_test(nullptr), ConfigError);
}

TEST(TrainingProblem, MinibatchesAndResumeAreBitIdentical) {
  auto run = [](int epochs_first, const std::filesystem::path& checkpoint) {
    ExponentialDecay fit;
    auto adam = make_optimizer<double>("adam lr=0.05");
    TrainerOptions options{.epochs = epochs_first, .batching = {.batch_size = 32, .seed = 4}};
    Trainer<double> trainer(fit, *adam, options);
    Vector<double> theta(2);
    theta << 1.0, 0.5;
    trainer.train(theta);
    if (!checkpoint.empty()) trainer.save_checkpoint(checkpoint, theta);
    return theta;
  };
  const auto file = std::filesystem::temp_directory_path() /
                    ("curvopt_training_problem_" + std::to_string(::getpid()) + ".bin");
  const Vector<double> uninterrupted = run(40, {});
  run(15, file);
  ExponentialDecay fit;
  auto adam = make_optimizer<double>("adam lr=0.05");
  TrainerOptions options{.epochs = 40, .batching = {.batch_size = 32, .seed = 4}};
  Trainer<double> trainer(fit, *adam, options);
  Vector<double> theta(2);
  trainer.load_checkpoint(file, theta);
  trainer.train(theta);
  EXPECT_EQ(theta, uninterrupted);
  EXPECT_NEAR(uninterrupted(0), 2.5, 0.05);
  EXPECT_NEAR(uninterrupted(1), 1.3, 0.05);
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace curvopt
