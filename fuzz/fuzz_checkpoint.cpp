// Fuzz target: checkpoints as `curvopt train --resume` loads them, for the sine task's network
// (1 -> 10 ELU -> 1) and Adam, the run the seeds come from (fuzz/make_seeds.cpp). Each input is
// read as it is and with a correct CRC appended (see fuzz_input.h).

#include "curvopt/core/errors.h"
#include "curvopt/data/synthetic.h"
#include "curvopt/loss/squared_error.h"
#include "curvopt/nn/activation.h"
#include "curvopt/nn/dense.h"
#include "curvopt/optim/registry.h"
#include "curvopt/train/trainer.h"
#include "fuzz_input.h"

namespace {

struct SineRun {
  SineRun() : model(curvopt::Shape::flat(1)), data(curvopt::noisy_sine<float>(1000, 0.2, 3)) {
    model.add<curvopt::Dense>(curvopt::Index(10));
    model.add<curvopt::Elu>();
    model.add<curvopt::Dense>(curvopt::Index(1));
    model.initialize(curvopt::Initializer::kPyTorchDefault, 3);
  }
  curvopt::Sequential<float> model;
  curvopt::SquaredError<float> loss;
  curvopt::Dataset<float> data;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static SineRun run;
  const auto& file = curvopt::fuzz::write_input(data, size, "checkpoint.bin");
  auto optimizer = curvopt::make_optimizer<float>("adam lr=0.01");
  curvopt::Trainer<float> trainer(run.model, run.loss, *optimizer, run.data,
                                  {.epochs = 1000, .batching = {.batch_size = 100, .seed = 3}});
  curvopt::Vector<float> theta = run.model.parameters();
  try {
    trainer.load_checkpoint(file, theta);
  } catch (const curvopt::Error&) {
  }
  // Behind a correct checksum: the position checks, the blocks and the optimizer's state.
  try {
    trainer.load_checkpoint(curvopt::fuzz::write_input_with_crc(data, size, "checkpoint.bin"),
                            theta);
  } catch (const curvopt::Error&) {
  }
  return 0;
}
