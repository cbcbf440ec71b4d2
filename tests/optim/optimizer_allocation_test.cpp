// After its first step no optimizer allocates (a performance rule of the project): every buffer,
// including the L-BFGS pair storage and the line search's, is sized on the first step.

#include <gtest/gtest.h>

#include "curvopt/core/threads.h"
#include "curvopt/optim/registry.h"
#include "testing/allocation_counter.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

TEST(OptimizerAllocations, NoneAfterTheFirstStep) {
  if (!testing::allocation_counting_available()) GTEST_SKIP() << "sanitizer build";
  set_num_threads(1);  // OpenBLAS's threading layer allocates on its own; ours must not
  const char* const specs[] = {
      "gd",
      "sgd momentum=0.9 nesterov=true weight_decay=1e-4 clip_norm=1 clip_value=2",
      "adagrad schedule=cosine",
      "rmsprop momentum=0.9 centered=true",
      "adam amsgrad=true averaging=polyak averaging_start=3",
      "adamw averaging=exponential",
      "lbfgs memory=4",
      "lbfgs line_search=armijo memory=4",
      "hessian-free",
      "hf preconditioner=none residual_refresh=3 cg_backtracking=false",
      "hf structural_damping=0.1 uphill=true keep_best=true",
      "kfac inverse_period=3",
      "kfac inverse=eigen inverse_period=2 reject=true",
      "sgd momentum=0.9 precondition=kfac kfac_inverse_period=3",
  };
  for (const char* spec : specs) {
    testing::SineRegression<float> task;
    auto optimizer = make_optimizer<float>(spec);
    Vector<float> theta = task.model.parameters();
    optimizer->step(*task.objective, theta);
    testing::start_counting_allocations();
    for (int k = 0; k < 10; ++k) optimizer->step(*task.objective, theta);  // L-BFGS ring wraps
    EXPECT_EQ(testing::stop_counting_allocations(), 0u) << spec;
  }
}

// Levenberg-Marquardt in each form, the full-Jacobian NLLS and L-BFGS, on a full batch and on
// epochs of two batches whose second is short: after the first epoch (which sizes the buffers for
// both shapes) no step allocates.
TEST(OptimizerAllocations, GaussNewtonMethodsNoneAfterWarmUpWithAShortLastBatch) {
  if (!testing::allocation_counting_available()) GTEST_SKIP() << "sanitizer build";
  set_num_threads(1);
  const char* const specs[] = {
      "lm",
      "lm form=parameter-space",
      "lm form=data-space",
      "lm form=cg",
      "lm damping_matrix=marquardt",
      "lm-modified",
      "lm momentum=true uphill=true keep_best=true lr_search=true lr_search_grid=halving",
      "lm geodesic=true",
      "nlls-full",
      "lbfgs memory=4",
  };
  for (const char* spec : specs) {
    testing::SineRegression<double> task(40);
    auto optimizer = make_optimizer<double>(spec);
    Vector<double> theta = task.model.parameters();
    // Full batch.
    optimizer->step(*task.objective, theta);
    testing::start_counting_allocations();
    for (int k = 0; k < 5; ++k) optimizer->step(*task.objective, theta);
    EXPECT_EQ(testing::stop_counting_allocations(), 0u) << spec << ", full batch";
    // Batches of 24 and 16 examples, as an epoch with a short last batch. Each batch size has its
    // own objective (the objective's and model's buffers are sized per batch size): what is
    // counted is the optimizer's own work, whose descents are cached by shape.
    testing::SineRegression<double> full(24), short_batch(16);
    Problem<double>* batches[] = {full.objective.get(), short_batch.objective.get()};
    for (int k = 0; k < 2; ++k) optimizer->step(*batches[k % 2], theta);
    testing::start_counting_allocations();
    for (int k = 2; k < 8; ++k) optimizer->step(*batches[k % 2], theta);
    EXPECT_EQ(testing::stop_counting_allocations(), 0u) << spec << ", short last batch";
  }
}

}  // namespace
}  // namespace curvopt
