// Fuzz target: the MovieLens ratings reader and the split that follows it in the task.

#include "curvopt/core/errors.h"
#include "curvopt/data/movielens.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const curvopt::Ratings ratings =
        curvopt::read_movielens_ratings(curvopt::fuzz::write_input(data, size, "ratings.csv"));
    curvopt::split_ratings<float>(ratings, 0.8, 42);
  } catch (const curvopt::Error&) {
  }
  return 0;
}
