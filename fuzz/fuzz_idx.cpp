// Fuzz target: the idx reader (MNIST, Fashion-MNIST; plain and gzip), alone and as the image and
// label files of a classification set. A malformed file must raise curvopt::Error with a
// message; any crash, sanitizer report or other exception is a bug.

#include "curvopt/core/errors.h"
#include "curvopt/data/idx.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& file = curvopt::fuzz::write_input(data, size, "images-idx3-ubyte");
  try {
    curvopt::read_idx(file);
  } catch (const curvopt::Error&) {
  }
  try {
    // The same bytes as images and as labels: exercises the pairing checks too.
    curvopt::load_idx_classification<float>(file, file, "fuzz", 256);
  } catch (const curvopt::Error&) {
  }
  return 0;
}
