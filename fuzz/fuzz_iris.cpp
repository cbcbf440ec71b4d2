// Fuzz target: the Iris CSV reader (scikit-learn's header "N,4,name,name,name").

#include "curvopt/core/errors.h"
#include "curvopt/data/iris.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    curvopt::read_iris<float>(curvopt::fuzz::write_input(data, size, "iris.csv"));
  } catch (const curvopt::Error&) {
  }
  return 0;
}
