// Fuzz target: model files (curvopt predict --model-file): header, layer specs, weights, CRC.
// The checksum is verified first, so mutated files mostly stop there; the fuzzer's CRC-aware
// mutations (it learns comparisons) and the seeds' valid files reach the header parser.

#include "curvopt/core/errors.h"
#include "curvopt/nn/model_file.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& file = curvopt::fuzz::write_input(data, size, "model.bin");
  try {
    curvopt::read_model_info(file);
  } catch (const curvopt::Error&) {
  }
  try {
    curvopt::load_model<float>(file);
  } catch (const curvopt::Error&) {
  }
  return 0;
}
