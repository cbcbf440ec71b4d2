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

TEST(NetworkProblemAllocations, NoneAfterTheFirstEpochWithAShortLastBatch) {
  if (!testing::allocation_counting_available()) GTEST_SKIP() << "sanitizer build";
  set_num_threads(1);  // OpenBLAS's threading layer allocates on its own; ours must not
  const auto batches = epoch_batches();
  for (const char* spec : kSpecs) {
    ThreeClasses task;
    NetworkProblem<double> problem(task.model, task.loss, task.data);
    auto optimizer = make_optimizer<double>(spec);
    Vector<double> theta = task.model.parameters();
    std::uint64_t seed = 1;
    const auto run_epoch = [&] {
      for (const auto& batch : batches) {
        problem.bind(std::span<const Index>(batch), seed++);
        optimizer->step(problem.problem(), theta);
      }
    };
    run_epoch();  // warm-up: each batch size's buffers are sized here
    run_epoch();  // (some optimizers size a buffer on their second step, e.g. after a pair)
    testing::start_counting_allocations();
    for (int epoch = 0; epoch < 3; ++epoch) run_epoch();
    EXPECT_EQ(testing::stop_counting_allocations(), 0u) << spec;
    EXPECT_TRUE(theta.allFinite()) << spec;
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
