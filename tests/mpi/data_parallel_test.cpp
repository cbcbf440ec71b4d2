// Data-parallel training over the ranks of mpirun; ctest runs this program on 1, 2 and 3 ranks.
// Every rank also computes the single-process answer itself, so each test compares the reduced
// (sharded) result with the whole batch's on one process, and checks that every rank holds the
// same bits. Only EXPECT_*: an ASSERT returning early on one rank would leave the others waiting
// in a collective.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "curvopt/core/mpi.h"
#include "curvopt/core/random.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/optim/registry.h"
#include "curvopt/train/network_problem.h"
#include "curvopt/train/sharded_training_problem.h"
#include "curvopt/train/trainer.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

Communicator* world = nullptr;

// FNV-1a over the bytes: equal hashes on every rank mean equal bits (up to a 2⁻⁶⁴ accident).
std::int64_t bits_hash(const double* data, Index size) {
  std::uint64_t h = 1469598103934665603ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < static_cast<std::size_t>(size) * sizeof(double); ++i)
    h = (h ^ bytes[i]) * 1099511628211ull;
  return static_cast<std::int64_t>(h);
}

void expect_same_bits_on_every_rank(const Matrix<double>& m, const std::string& what) {
  const std::int64_t mine = bits_hash(m.data(), m.size());
  EXPECT_EQ(world->broadcast(mine), mine)
      << what << ": rank " << world->rank() << " holds other bits than rank 0";
}

double relative_difference(const Matrix<double>& a, const Matrix<double>& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

// The double rounding of a different summation order over ≤ 90 examples: a few hundred ulps of
// the terms' magnitude, far below this bound, while a wrong weight or a lost shard is O(1).
constexpr double kReductionTolerance = 1e-12;

// Three classes of points, 90 examples, a 4 → 5 tanh → 3 network: 43 parameters.
struct Blobs {
  testing::ThreeClassBlobs blobs{90, 2.0, 5};
  Dataset<double> data{"blobs", blobs.inputs, blobs.labels, 3};
  SoftmaxCrossEntropy<double> loss;
};

// The batch of a shuffled epoch: 37 examples, which no rank count here divides.
std::vector<Index> a_batch(Index size = 37) {
  std::vector<Index> all(90);
  std::iota(all.begin(), all.end(), Index(0));
  std::vector<Index> batch;
  for (Index i = 0; i < size; ++i) batch.push_back(all[static_cast<std::size_t>((i * 53) % 90)]);
  return batch;
}

// The blobs problem twice from the same weights: this rank's shard behind a
// ShardedTrainingProblem, and the whole batch on one process; the curvature batch (0: none) split
// over the ranks as the trainer splits it.
struct ShardAndWhole {
  explicit ShardAndWhole(Index curvature_batch = 0)
      : sharded(with_curvature_batch(curvature_batch), *world, Reduction::kMean, curvature_batch) {}
  void bind(const std::vector<Index>& batch, Index step) {
    sharded.bind(batch, step);
    whole.bind(batch, step);
  }

  Blobs b;
  Sequential<double> shard_model = b.blobs.model, whole_model = b.blobs.model;
  NetworkProblem<double> shard{shard_model, b.loss, b.data}, whole{whole_model, b.loss, b.data};
  ShardedTrainingProblem<double> sharded;

 private:
  NetworkProblem<double>& with_curvature_batch(Index c) {
    if (c > 0) {
      shard.set_curvature_batch(ShardedTrainingProblem<double>::local_curvature_examples(
          c, world->rank(), world->size()));
      whole.set_curvature_batch(c);
    }
    return shard;
  }
};

TEST(DataParallel, ReducedOraclesAreTheWholeBatchs) {
  ShardAndWhole p;
  p.bind(a_batch(), 7);
  Problem<double>& reduced = p.sharded.problem();
  Problem<double>& one = p.whole.problem();
  EXPECT_TRUE(reduced.oracles().contains(Oracle::kGaussNewtonMatrix));
  EXPECT_EQ(reduced.batch_size(), 37);

  const Index n = one.num_parameters();
  Rng rng(11);
  Vector<double> theta = p.b.blobs.model.parameters(), v(n);
  for (Index i = 0; i < n; ++i) v(i) = rng.normal();
  Matrix<double> V(n, 3);
  for (Index i = 0; i < V.size(); ++i) V(i) = rng.normal();

  const double f = reduced.value(theta);
  EXPECT_NEAR(f, one.value(theta), kReductionTolerance * std::abs(f));
  Vector<double> g(n), g1(n);
  EXPECT_NEAR(reduced.gradient(theta, g), one.gradient(theta, g1), kReductionTolerance * f);
  EXPECT_LT(relative_difference(g, g1), kReductionTolerance);
  expect_same_bits_on_every_rank(g, "gradient");

  Vector<double> Gv(n), Gv1(n), Hv(n), Hv1(n);
  reduced.ggn_vector_product(theta, v, Gv);
  one.ggn_vector_product(theta, v, Gv1);
  EXPECT_LT(relative_difference(Gv, Gv1), kReductionTolerance);
  reduced.hessian_vector_product(theta, v, Hv);
  one.hessian_vector_product(theta, v, Hv1);
  EXPECT_LT(relative_difference(Hv, Hv1), kReductionTolerance);
  expect_same_bits_on_every_rank(Hv, "Hessian product");

  Matrix<double> GV(n, 3), GV1(n, 3);
  reduced.ggn_matrix_product(theta, V, GV);
  one.ggn_matrix_product(theta, V, GV1);
  EXPECT_LT(relative_difference(GV, GV1), kReductionTolerance);

  // JᵀJ: the lower triangle summed, the strict upper one left as the caller had it.
  Matrix<double> JtJ = Matrix<double>::Constant(n, n, 42.0), JtJ1(n, n);
  reduced.gauss_newton_matrix(theta, JtJ);
  one.gauss_newton_matrix(theta, JtJ1);
  Matrix<double> lower = JtJ.triangularView<Eigen::Lower>(),
                 lower1 = JtJ1.triangularView<Eigen::Lower>();
  EXPECT_LT(relative_difference(lower, lower1), kReductionTolerance);
  EXPECT_EQ(JtJ(0, n - 1), 42.0);
  expect_same_bits_on_every_rank(lower, "JtJ");
  EXPECT_DOUBLE_EQ(reduced.loss_terms(), one.loss_terms());

  // The empirical Fisher diagonal of Martens' preconditioner, without per-example gradients.
  EXPECT_TRUE(reduced.oracles().contains(Oracle::kEmpiricalFisherDiagonal));
  Vector<double> d(n), d1(n);
  reduced.empirical_fisher_diagonal(theta, d);
  one.empirical_fisher_diagonal(theta, d1);
  EXPECT_LT(relative_difference(d, d1), kReductionTolerance);
}

// The gathered oracles — residuals, J, jvp, vjp, the Gram, per-example rows — are the single
// process's row for row (each rank's rows put where the whole batch has them), not merely up to
// a permutation of the rows.
void expect_gathered_oracles_of_one_process(Problem<double>& reduced, Problem<double>& one,
                                            const std::string& what) {
  for (Oracle o : {Oracle::kResiduals, Oracle::kJacobian, Oracle::kJvp, Oracle::kVjp, Oracle::kGram,
                   Oracle::kPerExampleGradients, Oracle::kSampledGaussNewton}) {
    EXPECT_TRUE(reduced.oracles().contains(o)) << what;
  }
  const Index n = one.num_parameters(), m = one.num_residuals(), b = one.batch_size();
  EXPECT_EQ(reduced.num_residuals(), m) << what;
  EXPECT_EQ(reduced.batch_size(), b) << what;
  EXPECT_EQ(reduced.num_sampled_gauss_newton_rows(), one.num_sampled_gauss_newton_rows()) << what;
  // Shapes agree on every rank alike, so every rank returns here or none does.
  if (reduced.num_residuals() != m || reduced.batch_size() != b) return;
  Rng rng(23);
  Vector<double> theta = Vector<double>::Zero(n), v(n), u(m);
  for (Index i = 0; i < n; ++i) theta(i) = 0.5 * rng.normal();
  for (Index i = 0; i < n; ++i) v(i) = rng.normal();
  for (Index i = 0; i < m; ++i) u(i) = rng.normal();

  Vector<double> r(m), r1(m), Jv(m), Jv1(m), Jtu(n), Jtu1(n);
  reduced.residuals(theta, r);
  one.residuals(theta, r1);
  EXPECT_LT(relative_difference(r, r1), kReductionTolerance) << what << ": residuals";
  reduced.jvp(theta, v, Jv);
  one.jvp(theta, v, Jv1);
  EXPECT_LT(relative_difference(Jv, Jv1), kReductionTolerance) << what << ": jvp";
  reduced.vjp(theta, u, Jtu);
  one.vjp(theta, u, Jtu1);
  EXPECT_LT(relative_difference(Jtu, Jtu1), kReductionTolerance) << what << ": vjp";
  expect_same_bits_on_every_rank(Jtu, what + ": vjp");

  Matrix<double> J(m, n), J1(m, n), G(m, m), G1(m, m);
  reduced.jacobian(theta, J);
  one.jacobian(theta, J1);
  EXPECT_LT(relative_difference(J, J1), kReductionTolerance) << what << ": J";
  expect_same_bits_on_every_rank(J, what + ": J");
  reduced.gram(theta, G);
  one.gram(theta, G1);
  Matrix<double> lower = G.triangularView<Eigen::Lower>(),
                 lower1 = G1.triangularView<Eigen::Lower>();
  EXPECT_LT(relative_difference(lower, lower1), kReductionTolerance) << what << ": Gram";
  EXPECT_EQ((G - G.transpose()).norm(), 0.0) << what << ": the Gram is not symmetric";
  expect_same_bits_on_every_rank(G, what + ": Gram");

  Matrix<double> P(b, n), P1(b, n);
  Vector<double> losses(b), losses1(b);
  reduced.per_example_gradients(theta, P);
  one.per_example_gradients(theta, P1);
  EXPECT_LT(relative_difference(P, P1), kReductionTolerance) << what << ": per-example gradients";
  reduced.per_example_losses(theta, losses);
  one.per_example_losses(theta, losses1);
  EXPECT_LT(relative_difference(losses, losses1), kReductionTolerance) << what << ": losses";

  // Sampled rows come from each rank's own stream: not the single process's draws, but rows
  // whose Gram estimates JᵀJ; here only their shape and finiteness, and equal bits everywhere.
  const Index s = one.num_sampled_gauss_newton_rows();
  Matrix<double> S(s, n);
  Rng draw(9);
  reduced.sampled_gauss_newton_rows(theta, draw, S);
  EXPECT_TRUE(S.allFinite()) << what;
  expect_same_bits_on_every_rank(S, what + ": sampled rows");
}

TEST(DataParallel, GatheredOraclesAreTheWholeBatchsRowForRow) {
  ShardAndWhole p;
  p.bind(a_batch(), 7);
  expect_gathered_oracles_of_one_process(p.sharded.problem(), p.whole.problem(), "whole batch");
}

// Five tasks of unequal cost: each fills its two outputs from its index and counts its runs.
class CountedWork final : public SharedWork {
 public:
  CountedWork() {
    for (int t = 0; t < 5; ++t)
      outputs_.push_back({std::vector<double>(t + 1), std::vector<double>(3)});
  }
  Index num_tasks() const override { return 5; }
  double cost(Index task) const override { return static_cast<double>((task * 7) % 5 + 1); }
  int num_outputs() const override { return 2; }
  bool run(Index task) override {
    ++runs[static_cast<std::size_t>(task)];
    for (auto& part : outputs_[static_cast<std::size_t>(task)])
      for (std::size_t i = 0; i < part.size(); ++i) part[i] = 100.0 * task + i;
    return task != fail;
  }
  std::span<double> output(Index task, int part) override {
    return outputs_[static_cast<std::size_t>(task)][static_cast<std::size_t>(part)];
  }
  std::vector<double> runs = std::vector<double>(5, 0.0);
  Index fail = -1;

 private:
  std::vector<std::array<std::vector<double>, 2>> outputs_;
};

TEST(DataParallel, SharedWorkRunsEachTaskOnceAndEveryRankGetsItsOutputs) {
  ReducedProblem<double> reduced(*world, 3, Oracle::kValue | Oracle::kGradient);
  CountedWork work;
  EXPECT_TRUE(reduced.share_work(work));
  world->sum(std::span<double>(work.runs));  // runs over all ranks
  for (double runs : work.runs) EXPECT_EQ(runs, 1.0);
  for (Index t = 0; t < 5; ++t)
    for (int p = 0; p < 2; ++p) {
      const std::span<double> out = work.output(t, p);
      for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], 100.0 * t + i);
    }
  // A task that fails on its rank fails the whole work on every rank.
  CountedWork failing;
  failing.fail = 3;
  EXPECT_FALSE(reduced.share_work(failing));
}

TEST(DataParallel, KfacFactorsAreTheWholeBatchs) {
  ShardAndWhole p;
  p.bind(a_batch(), 2);
  const Vector<double> theta = p.b.blobs.model.parameters();
  for (KfacTargets targets : {KfacTargets::kEmpirical, KfacTargets::kExact}) {
    std::vector<KfacFactors<double>> mine, one;
    Rng rng(4), rng1(4);
    p.sharded.problem().kfac_statistics(theta, targets, rng, mine);
    p.whole.problem().kfac_statistics(theta, targets, rng1, one);
    EXPECT_EQ(mine.size(), 2u);
    EXPECT_EQ(mine.size(), one.size());
    for (std::size_t l = 0; l < std::min(mine.size(), one.size()); ++l) {
      EXPECT_LT(relative_difference(mine[l].A, one[l].A), kReductionTolerance) << "layer " << l;
      EXPECT_LT(relative_difference(mine[l].G, one[l].G), kReductionTolerance) << "layer " << l;
      expect_same_bits_on_every_rank(mine[l].G, "G");
    }
  }
}

TEST(DataParallel, TheCurvatureBatchIsTheFirstExamplesOfTheWholeBatch) {
  ShardAndWhole p(8);
  p.bind(a_batch(), 3);
  const Index n = p.whole.problem().num_parameters();
  Vector<double> theta = p.b.blobs.model.parameters(), v = Vector<double>::LinSpaced(n, -1, 1);
  Vector<double> Gv(n), Gv1(n), g(n), g1(n);
  p.sharded.problem().ggn_vector_product(theta, v, Gv);
  p.whole.problem().ggn_vector_product(theta, v, Gv1);
  EXPECT_LT(relative_difference(Gv, Gv1), kReductionTolerance);
  p.sharded.problem().gradient(theta, g);  // the gradient stays the whole batch's
  p.whole.problem().gradient(theta, g1);
  EXPECT_LT(relative_difference(g, g1), kReductionTolerance);
  expect_gathered_oracles_of_one_process(p.sharded.problem(), p.whole.problem(), "curvature batch");
}

TEST(DataParallel, ARankWithoutExamplesAddsNothing) {
  ShardAndWhole p;
  const std::vector<Index> two = {5, 61};  // on 3 ranks, rank 2 holds none
  p.bind(two, 1);
  const int k = world->size(), r = world->rank();  // positions 0 and 1: r, r + k, …
  EXPECT_EQ(p.sharded.shard_examples(), (r < 2 ? 1 : 0) + (r + k < 2 ? 1 : 0));
  const Index n = p.whole.problem().num_parameters();
  Vector<double> theta = p.b.blobs.model.parameters(), g(n), g1(n);
  EXPECT_NEAR(p.sharded.problem().gradient(theta, g), p.whole.problem().gradient(theta, g1), 1e-12);
  EXPECT_LT(relative_difference(g, g1), kReductionTolerance);
  // Its rows: none. It knows how many every other rank has once it has seen a batch with
  // examples (the network's rows per example).
  ShardedTrainingProblem<double> seen(p.shard, *world, Reduction::kMean);
  seen.bind(a_batch(), 1);
  seen.bind(two, 1);
  expect_gathered_oracles_of_one_process(seen.problem(), p.whole.problem(), "two examples");
}

TEST(DataParallel, EverySumSendsTwiceTheVectorOverAllRanks) {
  // Σ over ranks of the bytes sent = 2·(K − 1)·n values: the reduce-scatter and the allgather.
  const Index n = 1001;
  Vector<double> x = Vector<double>::Constant(n, world->rank() + 1.0);
  const std::uint64_t before = world->bytes_sent();
  world->sum(std::span<double>(x.data(), static_cast<std::size_t>(n)));
  double sent[1] = {static_cast<double>(world->bytes_sent() - before)};
  world->sum(std::span<double>(sent));
  const int k = world->size();
  EXPECT_EQ(sent[0], 2.0 * (k - 1) * n * sizeof(double));
  EXPECT_EQ(x(0), k * (k + 1) / 2.0);
  EXPECT_EQ(x(n - 1), k * (k + 1) / 2.0);
}

// Training `spec` for two epochs of three batches on every rank's shard equals training it on
// the whole batches in one process, up to the reductions' rounding. How far rounding can carry
// is the problem's own: a one-process run from θ₀·(1 + 1e-15) measures it (small damped systems
// amplify the last bits; a wrong weight or a lost row moves θ by O(1) instead).
void expect_trajectory_of_one_process(const std::string& spec, Index batch_size,
                                      Index curvature_batch = 0) {
  Blobs b;
  TrainerOptions options;
  options.epochs = 2;
  options.batching.batch_size = batch_size;
  options.batching.seed = 5;
  options.seed = 5;
  options.curvature_batch = curvature_batch;

  Sequential<double> alone_model = b.blobs.model;
  auto alone_optimizer = make_optimizer<double>(spec);
  Trainer<double> alone(alone_model, b.loss, *alone_optimizer, b.data, options);
  Vector<double> theta1 = alone_model.parameters();
  const TrainingSummary s1 = alone.train(theta1);

  Sequential<double> shard_model = b.blobs.model;
  NetworkProblem<double> shard(shard_model, b.loss, b.data);
  shard.set_curvature_batch(ShardedTrainingProblem<double>::local_curvature_examples(
      curvature_batch, world->rank(), world->size()));
  ShardedTrainingProblem<double> sharded(shard, *world, Reduction::kMean, curvature_batch);
  auto optimizer = make_optimizer<double>(spec);
  TrainerOptions per_rank = options;
  per_rank.curvature_batch = 0;
  Trainer<double> trainer(sharded, *optimizer, per_rank);
  trainer.set_communicator(world);
  Vector<double> theta = shard_model.parameters();
  const TrainingSummary s = trainer.train(theta);

  Sequential<double> nudged_model = b.blobs.model;
  auto nudged_optimizer = make_optimizer<double>(spec);
  Trainer<double> nudged(nudged_model, b.loss, *nudged_optimizer, b.data, options);
  Vector<double> theta2 = nudged_model.parameters() * (1 + 1e-15);
  nudged.train(theta2);
  const double tolerance = std::max(1e-9, 100 * relative_difference(theta2, theta1));

  EXPECT_EQ(s.steps, s1.steps) << spec;
  EXPECT_LT(relative_difference(theta, theta1), tolerance)
      << spec << " on " << world->size() << " ranks: θ differs from one process's";
  EXPECT_GT((theta - b.blobs.model.parameters()).norm(), 1e-3) << spec << " did not move";
  expect_same_bits_on_every_rank(theta, spec);
}

TEST(DataParallel, FirstOrderMethodsFollowTheOneProcessTrajectory) {
  expect_trajectory_of_one_process("sgd lr=0.1 momentum=0.9", 30);
  expect_trajectory_of_one_process("adam lr=0.01", 30);
}

TEST(DataParallel, LbfgsFollowsTheOneProcessTrajectory) {
  expect_trajectory_of_one_process("lbfgs", 90);  // full batch: its line search sees one function
}

TEST(DataParallel, LevenbergMarquardtFollowsTheOneProcessTrajectory) {
  expect_trajectory_of_one_process("lm", 30);  // m = 90 ≥ n = 43: parameter space, JᵀJ summed
  // m = 30 < n: the data-space form, from the Gram of the gathered J (split by columns) or,
  // with max-diagonal damping, from J itself.
  expect_trajectory_of_one_process("lm", 10);
  expect_trajectory_of_one_process("lm damping_matrix=max-diagonal", 10);
  expect_trajectory_of_one_process("lm-modified", 30);
  expect_trajectory_of_one_process("lm geodesic=true", 30);
  expect_trajectory_of_one_process("lm curvature=empirical-fisher", 30);
}

TEST(DataParallel, NllsMethodsFollowTheOneProcessTrajectory) {
  expect_trajectory_of_one_process("nlls-full", 10);  // the Gram, jvp and vjp of the whole batch
  // It picks residuals by index: the gathered rows must be in the single process's order.
  expect_trajectory_of_one_process("nllsl", 30);
}

TEST(DataParallel, HessianFreeFollowsTheOneProcessTrajectory) {
  expect_trajectory_of_one_process("hessian-free", 30, 12);
}

TEST(DataParallel, KfacFollowsTheOneProcessTrajectory) {
  expect_trajectory_of_one_process("kfac estimation=exact", 30);
  expect_trajectory_of_one_process("sgd lr=0.1 precondition=kfac kfac_estimation=empirical", 30);
}

TEST(DataParallel, SampledQuasiNewtonFollowsTheOneProcessTrajectory) {
  expect_trajectory_of_one_process("slbfgs", 90);
  expect_trajectory_of_one_process("slsr1", 90);
}

// Adam over the ranks on the blobs, `epochs` epochs of batches of `batch_size`.
struct ShardedAdam {
  ShardedAdam(std::int64_t epochs, Index batch_size) {
    TrainerOptions options;
    options.epochs = epochs;
    options.batching.batch_size = batch_size;
    trainer = std::make_unique<Trainer<double>>(sharded, *optimizer, options);
    trainer->set_communicator(world);
  }
  Blobs b;
  Sequential<double> model = b.blobs.model;
  NetworkProblem<double> shard{model, b.loss, b.data};
  ShardedTrainingProblem<double> sharded{shard, *world, Reduction::kMean};
  std::unique_ptr<Optimizer<double>> optimizer = make_optimizer<double>("adam");
  std::unique_ptr<Trainer<double>> trainer;
  Vector<double> theta = model.parameters();
};

TEST(DataParallel, AnAdamStepSendsItsGradientOnceAndTwoStopFlags) {
  // The docs' volume formula, against the counter: per step one sum of [∇f; f] (n + 1 values,
  // 2(K − 1)(n + 1) of them sent over all ranks) and two broadcasts of rank 0's stop decisions
  // (8(K − 1) bytes each), plus two broadcasts per epoch.
  ShardedAdam run(2, 30);
  const std::uint64_t before = world->bytes_sent();
  const TrainingSummary s = run.trainer->train(run.theta);
  double sent[1] = {static_cast<double>(world->bytes_sent() - before)};
  world->sum(std::span<double>(sent));
  const double k = world->size(), n = static_cast<double>(run.theta.size());
  const double steps = static_cast<double>(s.steps), epochs = 2;
  EXPECT_EQ(steps, 6);
  EXPECT_EQ(sent[0], steps * 2 * (k - 1) * (n + 1) * sizeof(double) +
                         (2 * steps + 2 * epochs) * 8 * (k - 1));
}

// Stops only on rank 0 after `steps` steps (as a time budget might, reading rank 0's clock).
class StopOnRankZero final : public Callback<double> {
 public:
  explicit StopOnRankZero(std::int64_t steps) : steps_(steps) {}
  CallbackAction on_step_end(const TrainingContext<double>& c, const StepInfo&) override {
    return c.step >= steps_ ? CallbackAction::kStop : CallbackAction::kContinue;
  }

 private:
  std::int64_t steps_;
};

TEST(DataParallel, EveryRankStopsWhenRankZeroStops) {
  ShardedAdam run(5, 10);
  if (world->rank() == 0) run.trainer->add_callback(std::make_unique<StopOnRankZero>(4));
  const TrainingSummary s = run.trainer->train(run.theta);
  EXPECT_EQ(s.steps, 4);
  EXPECT_EQ(s.reason, StopReason::kCallback);
  if (world->rank() > 0) {
    EXPECT_EQ(s.message, "stopped with rank 0");
  }
}

}  // namespace
}  // namespace curvopt

int main(int argc, char** argv) {
  curvopt::MpiSession session(argc, argv);
  curvopt::world = &session.world();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
