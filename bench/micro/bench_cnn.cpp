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

// (c) Forward + backward (Objective::gradient). Target ≤ 25 ms and ≤ 1.1 × LibTorch.
void BM_CnnGradient(benchmark::State& state) {
  time_gradient<CnnProblem>(state);
  set_flop_counters(state, cnn::kGradientFlops);
}
BENCHMARK(BM_CnnGradient)->Unit(benchmark::kMillisecond)->UseRealTime();

// The explicit Jacobian of the exact Gauss-Newton face (Objective::jacobian: 64 examples × 10
// classes = 640 rows × 62 346 parameters, 160 MB), which LM forms on this CNN every step. Writing
// J dominates, so "J_GB/s" reports the rate at which it is written.
void BM_CnnJacobian(benchmark::State& state) {
  CnnProblem problem;
  AlternatingParameters params(problem.model.parameters());
  Matrix<float> J(problem.objective->num_residuals(), problem.objective->num_parameters());
  problem.objective->jacobian(params.next(), J);  // warm-up: first-call allocations
  for (auto _ : state) {
    problem.objective->jacobian(params.next(), J);
    benchmark::DoNotOptimize(J.data());
    benchmark::ClobberMemory();
  }
  const double bytes = static_cast<double>(J.size()) * sizeof(float);
  state.counters["J_GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CnnJacobian)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace curvopt_bench
