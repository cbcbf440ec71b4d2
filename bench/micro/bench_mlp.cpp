/// (a), (b), (d): the MLP 1 → 64 → 64 → 1 (ELU), batch 1000, squared error. Flop counts are
/// derived in bench_common.h (namespace mlp).

#include "bench_common.h"
#include "bench_fixtures.h"

namespace curvopt_bench {
namespace {

using namespace curvopt;

// Sub-step: forward pass and loss value (Objective::value).
void BM_MlpForward(benchmark::State& state) {
  time_forward<MlpProblem>(state);
  set_flop_counters(state, mlp::kForwardFlops);
}
BENCHMARK(BM_MlpForward)->Unit(benchmark::kMillisecond)->UseRealTime();

// (a) Forward + backward (Objective::gradient), reported as a fraction of the sgemm peak.
void BM_MlpGradient(benchmark::State& state) {
  time_gradient<MlpProblem>(state);
  set_flop_counters(state, mlp::kGradientFlops);
}
BENCHMARK(BM_MlpGradient)->Unit(benchmark::kMillisecond)->UseRealTime();

// (b) Per-sample Jacobian (Objective::jacobian) into a preallocated 1000 × 4353 matrix. Writing J
// (17.4 MB per call) dominates, so "J_GB/s" reports the rate at which it is written.
void BM_MlpJacobian(benchmark::State& state) {
  time_jacobian<MlpProblem>(state);
  set_flop_counters(state, mlp::kJacobianFlops);
}
BENCHMARK(BM_MlpJacobian)->Unit(benchmark::kMillisecond)->UseRealTime();

// Sub-step of (b): only the writing of the rows (Sequential::jacobian_rows), after one forward
// pass and row_cotangents(). Flops: one product per weight entry and row (4224·b).
void BM_MlpJacobianRows(benchmark::State& state) {
  MlpProblem problem;
  problem.model.forward(problem.inputs);
  problem.model.row_cotangents(Matrix<float>::Ones(1, problem.inputs.cols()));
  Matrix<float> J(problem.objective->num_residuals(), problem.objective->num_parameters());
  problem.model.jacobian_rows(J);  // warm-up: first-call allocations
  for (auto _ : state) {
    problem.model.jacobian_rows(J);
    benchmark::DoNotOptimize(J.data());
    benchmark::ClobberMemory();
  }
  set_flop_counters(state, 4224 * mlp::kBatch);
  const double bytes = static_cast<double>(J.size()) * sizeof(float);
  state.counters["J_GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpJacobianRows)->Unit(benchmark::kMillisecond)->UseRealTime();

// Reference for (b): the write-bandwidth bound, filling a matrix of the Jacobian's size
// (1000 × 4353 floats, 17.4 MB) with a constant.
void BM_MlpJacobianFillBound(benchmark::State& state) {
  Matrix<float> J(MlpProblem::kBatch, 4353);
  float value = 0;
  for (auto _ : state) {
    J.setConstant(value);
    value += 1;
    benchmark::DoNotOptimize(J.data());
    benchmark::ClobberMemory();
  }
  const double bytes = static_cast<double>(J.size()) * sizeof(float);
  state.counters["J_GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpJacobianFillBound)->Unit(benchmark::kMillisecond)->UseRealTime();

// (d) Gram matrix J Jᵀ (1000 × 1000) from the Dense layers' identity (Objective::gram).
void BM_MlpGram(benchmark::State& state) {
  MlpProblem problem;
  AlternatingParameters params(problem.model.parameters());
  Matrix<float> G(problem.objective->num_residuals(), problem.objective->num_residuals());
  problem.objective->gram(params.next(), G);  // warm-up: first-call allocations
  for (auto _ : state) {
    problem.objective->gram(params.next(), G);
    benchmark::DoNotOptimize(G.data());
    benchmark::ClobberMemory();
  }
  set_flop_counters(state, mlp::kGramFlops);
}
BENCHMARK(BM_MlpGram)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace curvopt_bench
