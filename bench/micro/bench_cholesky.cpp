/// Dense Cholesky of an n × n SPD float matrix: Eigen's LLT against LAPACK's potrf (OpenBLAS),
/// the two paths curvopt::Cholesky chooses between by size (kCholeskyLapackMinSize). Flops n³/3.
/// Sizes: the small Kronecker factors of K-FAC, the Gram of sine-wide (1000), the 1026-parameter
/// CNN's normal matrix and the exact-GGN Gram of mnist-cnn at batch 256 (2560).

#include <Eigen/Cholesky>

#include "bench_common.h"
#include "curvopt/linalg/cholesky.h"

namespace curvopt_bench {
namespace {

using namespace curvopt;

Matrix<float> spd_matrix(Index n) {
  const Matrix<float> A = Matrix<float>::Random(n, 2 * n);
  Matrix<float> K = A * A.transpose() / static_cast<float>(2 * n);
  K.diagonal().array() += 1.0f;
  return K;
}

// Argument 0: n; argument 1: 0 = Eigen LLT, 1 = potrf.
void BM_Cholesky(benchmark::State& state) {
  const Index n = state.range(0);
  const bool lapack = state.range(1) == 1;
  const Matrix<float> K = spd_matrix(n);
  Matrix<float> work(n, n);
  Eigen::LLT<Eigen::Ref<Matrix<float>>> llt(work);
  for (auto _ : state) {
    work = K;
    if (lapack) {
      if (lapack_cholesky_lower(work.data(), n, n) != 0) state.SkipWithError("potrf failed");
    } else {
      llt.compute(work);
    }
    benchmark::DoNotOptimize(work.data());
  }
  const double nd = static_cast<double>(n);
  set_flop_counters(state, nd * nd * nd / 3);
}
BENCHMARK(BM_Cholesky)
    ->ArgsProduct({{8, 16, 32, 64, 96, 128, 256, 512, 1000, 1026, 2560}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace curvopt_bench
