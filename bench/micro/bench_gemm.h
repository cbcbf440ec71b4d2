#pragma once
/// The sgemm peak measurement main() runs before the benchmarks.

#include "curvopt/core/types.h"

namespace curvopt_bench {

/// Best-of-repetitions rate (GFLOP/s) of C = A·B for float n × n matrices via Eigen
/// (EIGEN_USE_BLAS → OpenBLAS sgemm), repeating for at least `min_seconds` (and 5 times).
double measure_sgemm_gflops(curvopt::Index n, double min_seconds);

}  // namespace curvopt_bench
