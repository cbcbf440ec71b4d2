/// Dense sgemm through Eigen (EIGEN_USE_BLAS → OpenBLAS): the peak every other benchmark is
/// compared with, plus the GEMM shapes the CNN benchmark (c) spends its time in, so that the CNN's
/// efficiency can be judged against what the same BLAS reaches on the same shapes.

#include <algorithm>
#include <chrono>

#include "bench_common.h"
#include "bench_gemm.h"
#include "curvopt/core/types.h"

namespace curvopt_bench {
namespace {

using curvopt::Index;
using Mat = curvopt::Matrix<float>;

Mat random_matrix(Index rows, Index cols) {
  // Eigen's Random() uses std::rand; the values do not matter for timing.
  return Mat::Random(rows, cols);
}

// C (m × n) = op(A) · op(B) with inner dimension k; transposes as the layers use them.
// Flops: 2·m·n·k.
void BM_Sgemm(benchmark::State& state) {
  const Index m = state.range(0), n = state.range(1), k = state.range(2);
  const bool trans_a = state.range(3) != 0, trans_b = state.range(4) != 0;
  const Mat A = trans_a ? random_matrix(k, m) : random_matrix(m, k);
  const Mat B = trans_b ? random_matrix(n, k) : random_matrix(k, n);
  Mat C(m, n);
  const auto product = [&] {
    if (trans_a && trans_b)
      C.noalias() = A.transpose() * B.transpose();
    else if (trans_a)
      C.noalias() = A.transpose() * B;
    else if (trans_b)
      C.noalias() = A * B.transpose();
    else
      C.noalias() = A * B;
  };
  product();  // warm-up
  for (auto _ : state) {
    product();
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  set_flop_counters(state,
                    2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k));
}

// Args: m, n, k, transpose A, transpose B.
BENCHMARK(BM_Sgemm)
    ->ArgNames({"m", "n", "k", "tA", "tB"})
    // The peak: a large square product.
    ->Args({1024, 1024, 1024, 0, 0})
    // CNN (c), batch 64. Conv2d(32→64, 5): patches 4096 × 800 (64 examples × 64 positions).
    ->Args({4096, 64, 800, 0, 1})  // forward: cols · Wᵀ
    ->Args({64, 800, 4096, 1, 0})  // weight gradient: posᵀ · cols
    ->Args({4096, 800, 64, 0, 0})  // input gradient: pos · W
    // Conv2d(1→32, 5): patches 36864 × 25 (64 examples × 576 positions).
    ->Args({36864, 32, 25, 0, 1})  // forward
    ->Args({32, 25, 36864, 1, 0})  // weight gradient
    // MLP (a), batch 1000: the 64 × 64 hidden layer.
    ->Args({64, 1000, 64, 0, 0})  // forward: W · X
    ->Args({64, 64, 1000, 0, 1})  // weight gradient: dY · Xᵀ
    ->Args({64, 1000, 64, 1, 0})  // input gradient: Wᵀ · dY
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

double measure_sgemm_gflops(Index n, double min_seconds) {
  const Mat A = random_matrix(n, n), B = random_matrix(n, n);
  Mat C(n, n);
  C.noalias() = A * B;  // warm-up: page faults, BLAS buffers, clock ramp
  C.noalias() = A * B;
  using Clock = std::chrono::steady_clock;
  double best = 1e300, total = 0;
  int reps = 0;
  while (total < min_seconds || reps < 5) {
    const auto start = Clock::now();
    C.noalias() = A * B;
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    best = std::min(best, seconds);
    total += seconds;
    ++reps;
  }
  return 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) / best *
         1e-9;
}

}  // namespace curvopt_bench
