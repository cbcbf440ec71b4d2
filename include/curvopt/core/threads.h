#pragma once
/// One knob for every threading runtime in the process: OpenMP, Eigen and OpenBLAS.

namespace curvopt {

/// Sets the thread count of OpenMP, Eigen and OpenBLAS together. Results are deterministic for a
/// given seed and thread count. n must be >= 1.
void set_num_threads(int n);

/// The thread count currently in force.
int num_threads();

}  // namespace curvopt
