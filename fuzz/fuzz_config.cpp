// Fuzz target: a run's config.json as `curvopt train --config` reads it (JSON syntax, key types,
// integer ranges, the range rules).

#include "curvopt/core/errors.h"
#include "fuzz_input.h"
#include "run_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    curvopt::cli::read_run_config(curvopt::fuzz::write_input(data, size, "config.json"));
  } catch (const curvopt::Error&) {
  }
  return 0;
}
