// Levenberg-Marquardt's curvature choices and bookkeeping: the empirical Fisher, the sampled
// Gauss-Newton matrix, √loss rows, JᵀJ accumulated over Jacobian blocks, the best iterate under
// uphill steps, and the per-phase timings.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "curvopt/core/errors.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/optim/levenberg_marquardt.h"
#include "curvopt/optim/registry.h"
#include "curvopt/problem/curvature_rows_problem.h"
#include "curvopt/problem/curvature_subset.h"
#include "testing/helpers.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

using Vec = Vector<double>;
using Mat = Matrix<double>;

// A 3-class softmax classifier 2 → 4 tanh → 3 on b examples (n = 27, m = 3b).
struct TinyClassifier {
  explicit TinyClassifier(Index b, std::uint64_t seed = 11)
      : model(Shape::flat(2)), inputs(2, b), labels(1, b) {
    model.add<Dense>(Index(4));
    model.add<Tanh>();
    model.add<Dense>(Index(3));
    model.initialize(Initializer::kPyTorchDefault, seed);
    Rng rng(seed + 1);
    inputs = testing::random_matrix(2, b, rng);
    for (Index s = 0; s < b; ++s) labels(0, s) = static_cast<double>((s * 7 + seed) % 3);
    objective = std::make_unique<Objective<double>>(model, loss);
    objective->set_batch(inputs, labels);
  }
  Sequential<double> model;
  SoftmaxCrossEntropy<double> loss;
  Mat inputs, labels;
  std::unique_ptr<Objective<double>> objective;
};

// One step of `spec` (with damping=0.5) from the task's θ, in each of the three forms, must
// be θ − (RᵀR + 0.5·I)⁻¹∇f for the curvature rows R the step uses, in one accepted trial.
void expect_damped_row_steps(TinyClassifier& task, const std::string& spec, const Mat& R) {
  const Vec start = task.model.parameters();
  const Index n = start.size();
  Vec g(n);
  const double f0 = task.objective->gradient(start, g);
  const Mat system = R.transpose() * R + 0.5 * Mat::Identity(n, n);
  const Vec expected = start - system.ldlt().solve(g);
  for (const char* form : {"data-space", "parameter-space", "cg"}) {
    Vec theta = start;
    auto lm = make_optimizer<double>(spec + " damping=0.5 cg_tolerance=1e-14 form=" + form);
    const StepReport report = lm->step(*task.objective, theta);
    ASSERT_EQ(report.status, StepStatus::kAccepted) << form << ": " << report.message;
    EXPECT_EQ(report.num_trials, 1) << form;
    EXPECT_LT(testing::relative_error(theta, expected), 1e-9) << form;
    EXPECT_LT(*report.loss_after, f0);
  }
}

TEST(EmpiricalFisher, IsTheLeastSquaresFaceOfThePerExampleGradients) {
  const Index b = 6;
  TinyClassifier task(b);
  const Vec theta = task.model.parameters();
  const Index n = theta.size();
  CurvatureRowsProblem<double> fisher(*task.objective, CurvatureRows::kEmpiricalFisher);
  ASSERT_EQ(fisher.num_residuals(), b);
  // ∇ℓₛ of each example's own (unreduced) loss, by running the objective on that example alone.
  Mat fisher_matrix = Mat::Zero(n, n);
  for (Index s = 0; s < b; ++s) {
    Objective<double> single(task.model, task.loss);
    const Mat x = task.inputs.col(s), y = task.labels.col(s);
    single.set_batch(x, y);
    Vec g(n);
    single.gradient(theta, g);
    fisher_matrix += g * g.transpose() / static_cast<double>(b);
  }
  Mat J(b, n);
  Vec r(b), g(n);
  fisher.jacobian(theta, J);
  fisher.residuals(theta, r);
  task.objective->gradient(theta, g);
  EXPECT_LT(testing::relative_error(J.transpose() * J, fisher_matrix), 1e-12);
  EXPECT_LT(testing::relative_error(J.transpose() * r, g), 1e-12);
  // The product oracles agree with the explicit Ĵ.
  Rng rng(3);
  const Vec v = testing::random_vector(n, rng), u = testing::random_vector(b, rng);
  Vec jv(b), jtu(n), ggn(n);
  fisher.jvp(theta, v, jv);
  fisher.vjp(theta, u, jtu);
  fisher.ggn_vector_product(theta, v, ggn);
  EXPECT_LT(testing::relative_error(jv, J * v), 1e-12);
  EXPECT_LT(testing::relative_error(jtu, J.transpose() * u), 1e-12);
  EXPECT_LT(testing::relative_error(ggn, fisher_matrix * v), 1e-12);
  Mat G(b, b);
  fisher.gram(theta, G);
  EXPECT_LT(testing::relative_error(G, J * J.transpose()), 1e-12);
}

TEST(EmpiricalFisher, LmStepSolvesTheDampedFisherSystem) {
  // The forms differ (m = 8 < n = 27: data space), the step must not.
  TinyClassifier task(8);
  CurvatureRowsProblem<double> fisher(*task.objective, CurvatureRows::kEmpiricalFisher);
  Mat J(8, task.model.num_parameters());
  fisher.jacobian(task.model.parameters(), J);
  expect_damped_row_steps(task, "lm curvature=empirical-fisher", J);
  // Geodesic acceleration needs residual curvature, which the empirical Fisher does not have.
  EXPECT_THROW(make_optimizer<double>("lm curvature=empirical-fisher geodesic=true"), ConfigError);
}

TEST(SampledGaussNewton, RowsEstimateTheGaussNewtonMatrixWithoutBias) {
  const Index b = 4;
  TinyClassifier task(b);
  const Vec theta = task.model.parameters();
  const Index n = theta.size();
  Mat J(3 * b, n);
  task.objective->jacobian(theta, J);
  const Mat ggn = J.transpose() * J;
  CurvatureRowsProblem<double> sampled(*task.objective, CurvatureRows::kSampledGaussNewton, 5);
  ASSERT_EQ(sampled.num_residuals(), b);  // one row per example, where J has one per class
  // The mean of RᵀR over N draws; each entry of a draw lies in [−B, B], so the mean is off by
  // more than 6B/√N only with negligible probability (Hoeffding).
  const Index draws = 4000;
  Mat R(b, n), mean = Mat::Zero(n, n), first(b, n);
  double bound = 0;
  for (Index t = 0; t < draws; ++t) {
    sampled.set_draw(static_cast<std::uint64_t>(t));
    sampled.jacobian(theta, R);
    if (t == 0) first = R;
    const Mat outer = R.transpose() * R;
    mean += outer / static_cast<double>(draws);
    bound = std::max(bound, outer.cwiseAbs().maxCoeff());
  }
  const double tolerance = 6 * bound / std::sqrt(static_cast<double>(draws));
  EXPECT_LT((mean - ggn).cwiseAbs().maxCoeff(), tolerance);
  EXPECT_GT(ggn.cwiseAbs().maxCoeff(), 4 * tolerance);  // the check has power
  // A draw is reproducible, and a new draw gives new rows.
  sampled.set_draw(0);
  sampled.jacobian(theta, R);
  EXPECT_EQ(R, first);
  sampled.set_draw(1);
  sampled.jacobian(theta, R);
  EXPECT_NE(R, first);
  // No residual vector: the solves use ∇f; geodesic acceleration is refused.
  EXPECT_FALSE(sampled.oracles().contains(Oracle::kResiduals));
  EXPECT_THROW(make_optimizer<double>("lm curvature=sampled-gauss-newton geodesic=true"),
               ConfigError);
}

TEST(SampledGaussNewton, LmStepSolvesTheDampedSystemOfItsDraw) {
  // The descent's first point is draw 0 of the seed.
  TinyClassifier task(8);
  CurvatureRowsProblem<double> sampled(*task.objective, CurvatureRows::kSampledGaussNewton, 9);
  Mat R(8, task.model.num_parameters());
  sampled.jacobian(task.model.parameters(), R);
  expect_damped_row_steps(task, "lm curvature=sampled-gauss-newton seed=9", R);
}

TEST(SampledGaussNewton, CurvatureSubsetDrawsRowsForItsExamples) {
  const Index b = 8;
  TinyClassifier task(b);
  const Vec theta = task.model.parameters();
  CurvatureSubset<double> subset(*task.objective, 3);
  CurvatureRowsProblem<double> sampled(subset, CurvatureRows::kSampledGaussNewton, 2);
  EXPECT_EQ(sampled.num_residuals(), 3);
  // The subset is a mean over 3 examples: its loss has 3 terms (the momentum step's m).
  EXPECT_DOUBLE_EQ(sampled.loss_terms(), 3.0);
  EXPECT_DOUBLE_EQ(task.objective->loss_terms(), static_cast<double>(b));
  // The rows are those of the objective on the first 3 examples with the same draw.
  Objective<double> first3(task.model, task.loss);
  const Mat x = task.inputs.leftCols(3), y = task.labels.leftCols(3);
  first3.set_batch(x, y);
  CurvatureRowsProblem<double> direct(first3, CurvatureRows::kSampledGaussNewton, 2);
  Mat R(3, theta.size()), expected(3, theta.size());
  sampled.jacobian(theta, R);
  direct.jacobian(theta, expected);
  EXPECT_LT(testing::relative_error(R, expected), 1e-14);
}

TEST(RootLoss, RowsAreTheJacobianOfOneResidualPerExample) {
  const Index b = 6;
  TinyClassifier task(b);
  const Vec theta = task.model.parameters();
  const Index n = theta.size();
  CurvatureRowsProblem<double> root(*task.objective, CurvatureRows::kRootLoss);
  ASSERT_EQ(root.num_residuals(), b);
  EXPECT_TRUE(root.oracles().contains(Oracle::kResiduals));
  Vec r(b), g(n);
  Mat J(b, n);
  root.residuals(theta, r);
  root.jacobian(theta, J);
  const double f = task.objective->gradient(theta, g);
  // A true least-squares face: ½‖r̂‖² = f and Ĵᵀr̂ = ∇f.
  EXPECT_NEAR(0.5 * r.squaredNorm(), f, 1e-12 * f);
  EXPECT_LT(testing::relative_error(J.transpose() * r, g), 1e-12);
  // Ĵ = ∂r̂/∂θ, against central differences of the residuals (error O(h²)).
  const double h = 1e-6;
  Mat numeric(b, n);
  Vec plus(b), minus(b);
  for (Index j = 0; j < n; ++j) {
    Vec tp = theta, tm = theta;
    tp(j) += h;
    tm(j) -= h;
    root.residuals(tp, plus);
    root.residuals(tm, minus);
    numeric.col(j) = (plus - minus) / (2 * h);
  }
  EXPECT_LT(testing::relative_error(J, numeric), 1e-7);
  // Each residual is √(2fₛ), fₛ the example's share of the mean loss.
  for (Index s = 0; s < b; ++s) {
    Objective<double> single(task.model, task.loss);
    const Mat x = task.inputs.col(s), y = task.labels.col(s);
    single.set_batch(x, y);
    EXPECT_NEAR(r(s), std::sqrt(2 * single.value(theta) / static_cast<double>(b)), 1e-12);
  }
}

TEST(RootLoss, NanLossesGiveNanRowsNotAnException) {
  // At a NaN point the rows and residuals are NaN (the descent then reports a numerical issue
  // and keeps θ); an exception would end the training run instead.
  TinyClassifier task(4);
  CurvatureRowsProblem<double> root(*task.objective, CurvatureRows::kRootLoss);
  Vec theta = task.model.parameters();
  theta(0) = std::numeric_limits<double>::quiet_NaN();
  Vec r(4);
  Mat J(4, theta.size());
  EXPECT_NO_THROW(root.residuals(theta, r));
  EXPECT_TRUE(r.array().isNaN().any());
  EXPECT_NO_THROW(root.jacobian(theta, J));
  EXPECT_FALSE(J.allFinite());
}

TEST(RootLoss, LmStepSolvesTheDampedSystemOfTheRows) {
  TinyClassifier task(8);
  CurvatureRowsProblem<double> root(*task.objective, CurvatureRows::kRootLoss);
  Mat J(8, task.model.num_parameters());
  root.jacobian(task.model.parameters(), J);
  expect_damped_row_steps(task, "lm curvature=root-loss", J);
}

TEST(GaussNewton, JacobianBlocksAreTheRowsOfEachOutput) {
  const Index b = 5;
  TinyClassifier task(b);
  const Vec theta = task.model.parameters();
  const Index n = theta.size();
  ASSERT_EQ(task.objective->num_jacobian_blocks(), 3);
  Mat J(3 * b, n), block(b, n);
  task.objective->jacobian(theta, J);
  for (Index k = 0; k < 3; ++k) {
    task.objective->jacobian_block(theta, k, block);
    EXPECT_EQ(block, J.middleRows(k * b, b)) << "block " << k;
  }
  EXPECT_THROW(task.objective->jacobian_block(theta, 3, block), ShapeError);
}

TEST(GaussNewton, SlicedNormalMatrixGivesTheSameSteps) {
  // m = 3·40 = 120 ≥ n = 27. A budget below J + 3n² (but above one block + 3n²) makes the
  // parameter-space form accumulate JᵀJ block by block.
  TinyClassifier whole(40), sliced(40);
  const double full_bytes = (120.0 * 27 + 3 * 27.0 * 27) * sizeof(double);
  const double tight = (40.0 * 27 + 3 * 27.0 * 27) * sizeof(double);
  EXPECT_EQ(choose_gauss_newton_form(120, 27, sizeof(double), tight, 3),
            GaussNewtonForm::kParameterSpace);
  auto a = make_optimizer<double>("lm damping_matrix=max-diagonal memory_budget_bytes=" +
                                  std::to_string(full_bytes * 2));
  auto c = make_optimizer<double>("lm damping_matrix=max-diagonal memory_budget_bytes=" +
                                  std::to_string(tight));
  Vec x = whole.model.parameters(), y = sliced.model.parameters();
  for (int k = 0; k < 8; ++k) {
    const StepReport ra = a->step(*whole.objective, x);
    const StepReport rc = c->step(*sliced.objective, y);
    EXPECT_EQ(ra.solver, "parameter-space");
    EXPECT_EQ(rc.solver, "parameter-space");
    EXPECT_EQ(ra.status, rc.status);
  }
  EXPECT_LT(testing::relative_error(x, y), 1e-10);
  EXPECT_LT(whole.objective->value(x), 0.9 * whole.objective->value(whole.model.parameters()));
}

TEST(LevenbergMarquardt, KeepsTheBestIterateOnUnchangedData) {
  testing::SineRegression<double> task;
  auto lm = make_optimizer<double>("lm uphill=true uphill_exponent=0.2 keep_best=true");
  Vec x = task.model.parameters();
  double best = task.objective->value(x);
  Vec best_x = x;
  int uphill = 0;
  for (int k = 0; k < 60; ++k) {
    const StepReport r = lm->step(*task.objective, x);
    if (r.status == StepStatus::kAccepted && r.loss_after) {
      if (*r.loss_after > r.loss_before) ++uphill;
      if (*r.loss_after < best) best = *r.loss_after, best_x = x;
    }
    const double current = task.objective->value(x);
    const Vec* kept = lm->evaluation_parameters();
    if (best < current) {
      ASSERT_NE(kept, nullptr) << k;
      EXPECT_EQ(*kept, best_x) << k;
    } else {
      EXPECT_EQ(kept, nullptr) << k;
    }
  }
  EXPECT_GT(uphill, 0) << "the test needs uphill steps to mean anything";
  // New data: the record restarts with the first step on it.
  testing::SineRegression<double> other(64, 9);
  lm->step(*other.objective, x);
  EXPECT_EQ(lm->evaluation_parameters(), nullptr);
}

TEST(LevenbergMarquardt, ReportsItsPhaseTimes) {
  testing::SineRegression<float> task(256);  // m = 256 ≥ n = 25: parameter space
  auto lm = make_optimizer<float>("lm");
  Vector<float> x = task.model.parameters();
  const StepReport r = lm->step(*task.objective, x);
  const StepTimes& t = r.times;
  EXPECT_GT(t.jacobian_seconds, 0);
  EXPECT_GT(t.matrix_seconds, 0);
  EXPECT_GT(t.factorization_seconds, 0);
  EXPECT_LE(t.jacobian_seconds + t.matrix_seconds, t.curvature_seconds);
  EXPECT_LE(t.factorization_seconds, t.direction_seconds);
  EXPECT_LE(t.gradient_seconds + t.curvature_seconds + t.direction_seconds + t.search_seconds,
            t.total_seconds);
}

}  // namespace
}  // namespace curvopt
