// Fuzz target: model files (curvopt predict --model-file): header, layer specs, weights, CRC.
// The checksum is verified first, so mutated files mostly stop there; each input is therefore
// also read with a correct CRC appended (the seeds are given without theirs: scripts/fuzz strips
// it), which fuzzes the header, layer and weight parsing behind the checksum.

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
  const auto& with_crc = curvopt::fuzz::write_input_with_crc(data, size, "model.bin");
  try {
    curvopt::read_model_info(with_crc);
    curvopt::load_model<double>(with_crc);
  } catch (const curvopt::Error&) {
  }
  return 0;
}
