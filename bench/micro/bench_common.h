#pragma once
/// Shared helpers of the micro-benchmarks (bench/micro). Deliberately free of Eigen and curvopt
/// includes so that the LibTorch translation unit can use it too.
///
/// Conventions for every benchmark:
///  - float32, one thread (main() calls curvopt::set_num_threads(1) before anything runs);
///  - wall-clock time (UseRealTime), reported in milliseconds;
///  - "GFLOP/s" is computed from flops per iteration counted analytically (each benchmark
///    documents its count): 2 flops per multiply-add of the matrix products the computation
///    needs; element-wise work (bias, activations, loss, pooling, copies) is not counted, so the
///    number compares directly with the sgemm peak;
///  - "peak_frac" = GFLOP/s / (sgemm peak measured by main() in the same run, before any
///    benchmark).

#include <benchmark/benchmark.h>

namespace curvopt_bench {

/// The single-thread sgemm rate (GFLOP/s) that main() measured before running the benchmarks.
double gemm_peak_gflops();

/// Attaches the "GFLOP/s" and "peak_frac" rate counters for `flops_per_iteration`.
inline void set_flop_counters(benchmark::State& state, double flops_per_iteration) {
  const double gflop = flops_per_iteration * 1e-9;
  state.counters["GFLOP/s"] =
      benchmark::Counter(gflop, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_frac"] =
      benchmark::Counter(gflop / gemm_peak_gflops(), benchmark::Counter::kIsIterationInvariantRate);
}

// ---- Flop counts per iteration ------------------------------------------------------------------
// 2 flops per multiply-add of the matrix products a pass needs; element-wise work (bias,
// activations, loss, pooling, copies) is not counted.

/// MLP 1 → 64 → 64 → 1 (ELU), batch b = 1000 (benchmarks (a), (b), (d)). Layer sizes
/// (fan_in → units) 1 → 64, 64 → 64, 64 → 1, so Σ fan_in·units = 4224:
///   forward          Y = W X for each Dense:                         2·b·4224           = 8448·b
///   backward         grad W = dY Xᵀ for each Dense:                 2·b·4224           = 8448·b
///                    dX = Wᵀ dY for every Dense but the first:      2·b·(64·64 + 64·1) = 8320·b
///   row cotangents   backward without parameter gradients:          8320·b
///   per-sample rows  one product δ·x per weight entry and row:      b·4224             = 4224·b
///   Gram, per Dense  X̄ᵀX̄ (full b × b product over fan_in):       2·b²·fan_in
///                    ΔᵀΔ (rank update, lower triangle):            b²·units
///                    Σ over the three layers: b²·(2·(1 + 64 + 64) + (64 + 64 + 1)) = 387·b²
namespace mlp {
inline constexpr double kBatch = 1000;
inline constexpr double kForwardFlops = 8448 * kBatch;
inline constexpr double kGradientFlops = (8448 + 8448 + 8320) * kBatch;
inline constexpr double kJacobianFlops = (8448 + 8320 + 4224) * kBatch;
inline constexpr double kGramFlops = (8448 + 8320) * kBatch + 387 * kBatch * kBatch;
}  // namespace mlp

/// CNN Conv2d(32, 5) → ReLU → MaxPool2d(2) → Conv2d(64, 5) → ReLU → MaxPool2d(2) → Flatten →
/// Dense(10) on 1 × 28 × 28, batch b = 64 (benchmark (c)). A convolution with P output
/// positions, patch size K and O filters costs 2·P·K·O per example for each of: forward
/// (patches · Wᵀ), weight gradient (δᵀ · patches), input gradient (δ · W).
///   Conv2d(1 → 32, 5):  P = 24·24 = 576, K = 1·25 = 25,   O = 32 → 2·P·K·O =   921 600
///   Conv2d(32 → 64, 5): P = 8·8 = 64,    K = 32·25 = 800, O = 64 → 2·P·K·O = 6 553 600
///   Dense(1024 → 10):                                             2·1024·10 =    20 480
/// forward  = 921 600 + 6 553 600 + 20 480               =  7 495 680 per example
/// gradient = forward + weight gradients of all three + input gradients of the last two
///          = 2·921 600 + 3·6 553 600 + 3·20 480         = 21 565 440 per example
/// (the first layer needs no input gradient). Per iteration (× 64): 479.7 / 1380.2 MFLOP.
namespace cnn {
inline constexpr double kBatch = 64;
inline constexpr double kConv1 = 2.0 * 576 * 25 * 32;
inline constexpr double kConv2 = 2.0 * 64 * 800 * 64;
inline constexpr double kDense = 2.0 * 1024 * 10;
inline constexpr double kForwardFlops = (kConv1 + kConv2 + kDense) * kBatch;
inline constexpr double kGradientFlops = (2 * kConv1 + 3 * kConv2 + 3 * kDense) * kBatch;
}  // namespace cnn

/// Single-threaded LibTorch (intra- and inter-op); defined only when peers are built.
void torch_single_thread();

}  // namespace curvopt_bench
