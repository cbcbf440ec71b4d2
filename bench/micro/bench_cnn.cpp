/// (c): the CNN Conv2d(32, 5) → ReLU → MaxPool2d(2) → Conv2d(64, 5) → ReLU → MaxPool2d(2) →
/// Flatten → Dense(10) on 1 × 28 × 28 inputs, batch 64, softmax cross-entropy. Flop counts are
/// derived in bench_common.h (namespace cnn).

#include "bench_common.h"
#include "bench_fixtures.h"

namespace curvopt_bench {
namespace {

using namespace curvopt;

// Sub-step: forward pass and loss value (Objective::value).
void BM_CnnForward(benchmark::State& state) {
  time_forward<CnnProblem>(state);
  set_flop_counters(state, cnn::kForwardFlops);
}
BENCHMARK(BM_CnnForward)->Unit(benchmark::kMillisecond)->UseRealTime();

// (c) Forward + backward (Objective::gradient). Target ≤ 1.1 × LibTorch, measured in the same run.
void BM_CnnGradient(benchmark::State& state) {
  time_gradient<CnnProblem>(state);
  set_flop_counters(state, cnn::kGradientFlops);
}
BENCHMARK(BM_CnnGradient)->Unit(benchmark::kMillisecond)->UseRealTime();

// The explicit Jacobian of the exact Gauss-Newton face (Objective::jacobian: 64 examples × 10
// classes = 640 rows × 62 346 parameters, 160 MB), which LM forms on this CNN every step.
void BM_CnnJacobian(benchmark::State& state) { time_jacobian<CnnProblem>(state); }
BENCHMARK(BM_CnnJacobian)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace curvopt_bench
