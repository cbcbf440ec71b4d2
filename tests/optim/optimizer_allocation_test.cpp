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

}  // namespace
}  // namespace curvopt
