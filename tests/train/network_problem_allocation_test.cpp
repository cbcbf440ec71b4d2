// An epoch whose last batch is short: after the first epoch, binding a batch and taking a step
// allocate nothing, for every kind of optimizer (a performance rule of the project), and the lanes
// NetworkProblem keeps per batch size change no result.

#include <gtest/gtest.h>

#include <numeric>
#include <span>
#include <vector>

#include "curvopt/core/threads.h"
#include "curvopt/data/batch_sampler.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "curvopt/optim/registry.h"
#include "curvopt/problem/objective.h"
#include "curvopt/train/network_problem.h"
#include "testing/allocation_counter.h"
#include "testing/helpers.h"

namespace curvopt {
namespace {

// 40 examples of a 3-class problem in 4-D, learnt by a 4 → 6 RReLU → 3 network (RReLU: the noise
// seed each bind draws must reach whichever lane serves the batch).
struct ThreeClasses {
  ThreeClasses() : model(Shape::flat(4)) {
    Rng rng(5);
    data.name = "three-classes";
    data.inputs = testing::random_matrix(4, 40, rng);
    data.targets.resize(1, 40);
    for (Index s = 0; s < 40; ++s) data.targets(0, s) = double(s % 3);
    data.num_classes = 3;
    model.add<Dense>(Index(6));
    model.add<Rrelu>();
    model.add<Dense>(Index(3));
    model.initialize(Initializer::kPyTorchDefault, 7);
  }
  Dataset<double> data;
  Sequential<double> model;
  SoftmaxCrossEntropy<double> loss;
};

// The epoch's batches: 24 examples, then the 16 left over.
std::vector<std::vector<Index>> epoch_batches() {
  std::vector<Index> all(40);
  std::iota(all.begin(), all.end(), Index(0));
  return {std::vector<Index>(all.begin(), all.begin() + 24),
          std::vector<Index>(all.begin() + 24, all.end())};
}

const char* const kSpecs[] = {
    "adam",
    "lbfgs memory=4",
    "lm",
    "lm form=parameter-space",
    "lm form=data-space momentum=true uphill=true lr_search=true",
    "lm form=cg geodesic=true",
    "nllsl",
    "slbfgs",
    "slsr1",
};

// Allocations in epochs 3 to 5 of bind + step, after two epochs of warm-up (which size each batch
// size's buffers; some optimizers size one on their second step, after a pair).
std::size_t allocations_after_warm_up(NetworkProblem<double>& problem, Optimizer<double>& optimizer,
                                      Vector<double>& theta) {
  const auto batches = epoch_batches();
  std::uint64_t seed = 1;
  const auto run_epoch = [&] {
    for (const auto& batch : batches) {
      problem.bind(std::span<const Index>(batch), seed++);
      optimizer.step(problem.problem(), theta);
    }
  };
  run_epoch();
  run_epoch();
  testing::start_counting_allocations();
  for (int epoch = 0; epoch < 3; ++epoch) run_epoch();
  return testing::stop_counting_allocations();
}

TEST(NetworkProblemAllocations, NoneAfterTheFirstEpochWithAShortLastBatch) {
  if (!testing::allocation_counting_available()) GTEST_SKIP() << "sanitizer build";
  set_num_threads(1);  // OpenBLAS's threading layer allocates on its own; ours must not
  for (const char* spec : kSpecs) {
    ThreeClasses task;
    NetworkProblem<double> problem(task.model, task.loss, task.data);
    auto optimizer = make_optimizer<double>(spec);
    Vector<double> theta = task.model.parameters();
    EXPECT_EQ(allocations_after_warm_up(problem, *optimizer, theta), 0u) << spec;
    EXPECT_TRUE(theta.allFinite()) << spec;
  }
}

// With a curvature batch, the optimizer's curvature oracles see the first examples of each batch
// (the short last batch included) and the gradient the whole batch; no step allocates after the
// first epoch either.
TEST(NetworkProblemAllocations, ACurvatureBatchServesTheCurvatureOraclesOnly) {
  const auto batches = epoch_batches();
  ThreeClasses task;
  NetworkProblem<double> problem(task.model, task.loss, task.data);
  problem.set_curvature_batch(10);
  const Vector<double> theta = task.model.parameters();
  Vector<double> gradient(theta.size()), v = Vector<double>::Ones(theta.size()), hv(theta.size()),
                                         hv_subset(theta.size());
  for (const auto& batch : batches) {
    problem.bind(std::span<const Index>(batch), 1);
    Problem<double>& p = problem.problem();
    EXPECT_EQ(p.batch_size(), static_cast<Index>(batch.size()));
    EXPECT_EQ(p.num_residuals(), 10 * 3);  // softmax cross-entropy: 3 rows per example
    // The curvature equals that of an objective bound to the batch's first 10 examples alone,
    // whose RReLU slopes are drawn as the subset's: from the seed bind() was given.
    ThreeClasses reference;
    Objective<double> first_ten(reference.model, reference.loss);
    first_ten.set_training(true);
    reference.model.set_noise_seed(1);
    Matrix<double> inputs, targets;
    gather_batch(reference.data, std::span<const Index>(batch.data(), 10), inputs, targets);
    first_ten.set_batch(inputs, targets);
    p.ggn_vector_product(theta, v, hv_subset);
    first_ten.ggn_vector_product(theta, v, hv);
    EXPECT_LE((hv - hv_subset).norm(), 1e-12 * hv.norm());
    // The gradient is the whole batch's.
    ThreeClasses whole_reference;
    Objective<double> whole(whole_reference.model, whole_reference.loss);
    whole.set_training(true);
    whole_reference.model.set_noise_seed(1);  // the seed bind() was given
    gather_batch(whole_reference.data, std::span<const Index>(batch), inputs, targets);
    whole.set_batch(inputs, targets);
    Vector<double> expected(theta.size());
    whole.gradient(theta, expected);
    p.gradient(theta, gradient);
    EXPECT_LE((gradient - expected).norm(), 1e-12 * expected.norm());
  }
  if (!testing::allocation_counting_available()) return;  // sanitizer build
  set_num_threads(1);
  for (const char* spec : {"lm", "slsr1", "slbfgs"}) {
    ThreeClasses fresh;
    NetworkProblem<double> sub(fresh.model, fresh.loss, fresh.data);
    sub.set_curvature_batch(10);
    auto optimizer = make_optimizer<double>(spec);
    Vector<double> params = fresh.model.parameters();
    EXPECT_EQ(allocations_after_warm_up(sub, *optimizer, params), 0u) << spec;
  }
}

// The same steps through one Objective re-bound to each batch (which resizes its buffers) reach
// the same parameters bit for bit: the lanes are a matter of memory, not of arithmetic.
TEST(NetworkProblemAllocations, LanesLeaveTheTrajectoryUnchanged) {
  const auto batches = epoch_batches();
  for (const char* spec : kSpecs) {
    ThreeClasses task;
    NetworkProblem<double> problem(task.model, task.loss, task.data);
    auto with_lanes = make_optimizer<double>(spec);
    Vector<double> theta_lanes = task.model.parameters();

    ThreeClasses reference_task;
    Objective<double> objective(reference_task.model, reference_task.loss);
    objective.set_training(true);
    auto reference = make_optimizer<double>(spec);
    Vector<double> theta_reference = reference_task.model.parameters();
    Matrix<double> inputs, targets;

    std::uint64_t seed = 1;
    for (int epoch = 0; epoch < 3; ++epoch) {
      for (const auto& batch : batches) {
        problem.bind(std::span<const Index>(batch), seed);
        with_lanes->step(problem.problem(), theta_lanes);
        gather_batch(reference_task.data, std::span<const Index>(batch), inputs, targets);
        reference_task.model.set_noise_seed(seed++);
        objective.set_batch(inputs, targets);
        reference->step(objective, theta_reference);
      }
    }
    EXPECT_EQ(theta_lanes, theta_reference) << spec;
    EXPECT_NE(theta_lanes, task.model.parameters()) << spec << ": training moved nothing";
  }
}

}  // namespace
}  // namespace curvopt
