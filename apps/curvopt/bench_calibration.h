#pragma once
// The machine's unit of work for `curvopt bench`: a wall-clock budget given in gradient
// evaluations of the task becomes seconds on the machine that runs it, so that a machine twice
// as slow gives every method twice the seconds and the same number of steps, and the verdicts
// (who ends lowest, who reaches the target) stay those of the machine the budget was set on.

#include <cstdint>
#include <string>

namespace curvopt::cli {

/// Seconds of one loss-and-gradient evaluation of task `task`'s model on a batch of `batch`
/// training examples (the whole training set when batch ≤ 0 or larger), at the parameters of
/// initialization seed 1, with `threads` threads (0: as configured): after a warm-up, the
/// fastest of seven timings, each of enough evaluations to last at least 50 ms.
double gradient_seconds(const std::string& task, std::int64_t batch, const std::string& data_dir,
                        int threads);

}  // namespace curvopt::cli
