// Fuzz target: the .npy reader, and the example reader that detects the format and reads the
// same bytes as features and as targets. A malformed file must raise curvopt::Error with a
// message; any crash, sanitizer report or other exception is a bug.

#include "curvopt/core/errors.h"
#include "curvopt/data/example_files.h"
#include "curvopt/data/npy.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& file = curvopt::fuzz::write_input(data, size, "array.npy");
  try {
    curvopt::read_npy_header(file);
    (void)curvopt::read_npy<float>(file);
    (void)curvopt::read_npy<double>(file);
  } catch (const curvopt::Error&) {
  }
  try {
    curvopt::ExampleFiles files;
    files.features = file;
    files.targets = file;
    files.target_columns = {"0"};
    files.header = false;
    curvopt::DataSchema schema;
    (void)curvopt::read_training_examples<float>(files, std::nullopt, schema);
  } catch (const curvopt::Error&) {
  }
  return 0;
}
