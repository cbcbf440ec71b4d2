#include "bench_fixtures.h"

#include <cmath>

#include "bench_common.h"

namespace curvopt_bench {

using namespace curvopt;

// The flop counts in bench_common.h assume these batch sizes.
static_assert(MlpProblem::kBatch == static_cast<Index>(mlp::kBatch));
static_assert(CnnProblem::kBatch == static_cast<Index>(cnn::kBatch));

MlpProblem::MlpProblem() {
  model.add<Dense>(kHidden);
  model.add<Elu>();
  model.add<Dense>(kHidden);
  model.add<Elu>();
  model.add<Dense>(1);
  model.initialize(Initializer::kPyTorchDefault, 42);
  inputs.resize(1, kBatch);
  targets.resize(1, kBatch);
  for (Index s = 0; s < kBatch; ++s) {
    const float x = -2.0f + 4.0f * static_cast<float>(s) / static_cast<float>(kBatch - 1);
    inputs(0, s) = x;
    targets(0, s) = std::sin(2.0f * x);
  }
  objective = std::make_unique<Objective<float>>(model, loss);
  objective->set_batch(inputs, targets);
}

CnnProblem::CnnProblem() {
  model.add<Conv2d>(32, 5);
  model.add<Relu>();
  model.add<MaxPool2d>(2);
  model.add<Conv2d>(64, 5);
  model.add<Relu>();
  model.add<MaxPool2d>(2);
  model.add<Flatten>();
  model.add<Dense>(10);
  model.initialize(Initializer::kPyTorchDefault, 42);
  Rng rng(7);
  inputs.resize(model.input_size(), kBatch);
  for (Index i = 0; i < inputs.size(); ++i) inputs.data()[i] = static_cast<float>(rng.uniform());
  targets.resize(1, kBatch);
  for (Index s = 0; s < kBatch; ++s) targets(0, s) = static_cast<float>(s % 10);
  objective = std::make_unique<Objective<float>>(model, loss);
  objective->set_batch(inputs, targets);
}

}  // namespace curvopt_bench
