/// Entry point of curvopt_micro_bench (replaces BENCHMARK_MAIN): pins every threading runtime to
/// one thread, measures the sgemm peak that the "peak_frac" counters refer to, runs the
/// benchmarks with a console reporter that also records each benchmark's time, and ends with a
/// summary of ratios measured in the same run: each kernel's GFLOP/s as a fraction of the sgemm
/// peak, the data-space over parameter-space LM step, and curvopt over LibTorch. Verdicts are
/// given only on ratios, never on absolute times: a machine twice as slow gives the same verdict.
///
/// Usage: curvopt_micro_bench [Google Benchmark flags, e.g. --benchmark_min_time=0.5
///        --benchmark_filter=Cnn --benchmark_out=results.json --benchmark_out_format=json]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "bench_common.h"
#include "bench_gemm.h"
#include "curvopt/core/threads.h"

// OpenBLAS's own query (cblas.h), declared here so that no OpenBLAS header is needed.
extern "C" char* openblas_get_corename(void);

namespace curvopt_bench {

namespace {
double g_peak_gflops = 0;

/// The kernel family OpenBLAS runs, and why: OPENBLAS_CORETYPE overrides its CPU detection, and
/// a narrower family than the CPU offers (Haswell's AVX2 on an AVX-512 CPU) halves the sgemm
/// peak that every peak_frac refers to, while LibTorch's oneDNN kernels pick their own ISA.
std::string blas_kernels() {
  std::string text = openblas_get_corename();
  if (const char* forced = std::getenv("OPENBLAS_CORETYPE"))
    text += std::string(" (OPENBLAS_CORETYPE=") + forced + ")";
  if (__builtin_cpu_supports("avx512f")) text += "; the CPU has AVX-512F";
  return text;
}
}  // namespace

double gemm_peak_gflops() { return g_peak_gflops; }

#ifndef CURVOPT_BENCH_HAVE_TORCH
void torch_single_thread() {}
#endif

namespace {

/// The console output, plus each benchmark's wall time per iteration (seconds), by function name.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  // Counters inline ("GFLOP/s=79.2 peak_frac=0.85"), not tabular: the benchmarks carry different
  // counter sets, and a table would repeat its header at every change.
  explicit RecordingReporter(bool color) : ConsoleReporter(color ? OO_Color : OO_None) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    // The rate counters are final by now; print them as plain numbers ("79.2", not "79.2/s":
    // the unit is in the name, and peak_frac has none).
    std::vector<Run> shown = runs;
    for (Run& run : shown)
      for (auto& [name, counter] : run.counters)
        counter.flags =
            static_cast<benchmark::Counter::Flags>(counter.flags & ~benchmark::Counter::kIsRate);
    ConsoleReporter::ReportRuns(shown);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const double seconds =
          run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
      if (run.run_type == Run::RT_Iteration) {
        times_[run.run_name.function_name].push_back(seconds);
        // Benchmarks with arguments are also kept under their full name ("BM_X/1/real_time").
        times_[run.run_name.str()].push_back(seconds);
        for (const auto& [name, counter] : run.counters)
          counters_[run.run_name.str() + ":" + name] = counter.value;
      } else if (run.aggregate_name == "median")
        medians_[run.run_name.function_name] = seconds;
    }
  }

  /// A counter of the last repetition ("BM_X/1/real_time:name"); negative when absent.
  double counter(const std::string& key) const {
    const auto it = counters_.find(key);
    return it == counters_.end() ? -1 : it->second;
  }

  /// Median over repetitions (from the "median" aggregate when only aggregates are reported);
  /// negative when the benchmark did not run.
  double seconds(const std::string& name) const {
    if (const auto it = medians_.find(name); it != medians_.end()) return it->second;
    const auto it = times_.find(name);
    if (it == times_.end()) return -1;
    std::vector<double> t = it->second;
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
  }

 private:
  std::map<std::string, std::vector<double>> times_;
  std::map<std::string, double> medians_;
  std::map<std::string, double> counters_;
};

struct Kernel {
  const char* label;
  const char* benchmark;
};

struct Ratio {
  const char* label;
  const char* curvopt;
  const char* peer;
  double max_ratio;  // 0: informational
};

void print_summary(const RecordingReporter& reporter) {
  // Absolute times are printed for reference only; what compares across machines is the
  // fraction of this machine's sgemm peak the kernel reaches.
  static const Kernel kernels[] = {
      {"(a) MLP forward+backward", "BM_MlpGradient"},
      {"(b) MLP per-sample Jacobian", "BM_MlpJacobian"},
      {"(c) CNN forward+backward", "BM_CnnGradient"},
  };
  static const Ratio ratios[] = {
      {"(c) CNN forward+backward", "BM_CnnGradient", "BM_TorchCnnGradient", 1.1},
      {"    CNN forward", "BM_CnnForward", "BM_TorchCnnForward", 0},
      {"(a) MLP forward+backward", "BM_MlpGradient", "BM_TorchMlpGradient", 0},
  };
  std::printf("\nSummary (1 thread, float32, wall time per iteration)\n");
  std::printf("  sgemm peak (Eigen -> OpenBLAS, 1024^3): %.1f GFLOP/s; OpenBLAS kernels: %s\n",
              g_peak_gflops, blas_kernels().c_str());
  for (const Kernel& k : kernels) {
    const double s = reporter.seconds(k.benchmark);
    if (s < 0) continue;
    const double frac = reporter.counter(std::string(k.benchmark) + "/real_time:peak_frac");
    std::printf("  %-30s %-20s %9.3f ms", k.label, k.benchmark, s * 1e3);
    if (frac >= 0) std::printf("  at %4.1f %% of the sgemm peak", frac * 100);
    std::printf("\n");
  }
  // Issue 5: Gram / normal-matrix formation at >= 60 % of the sgemm peak for m, n >= 1000, and
  // the data-space LM step >= 5x faster than the parameter-space one at m = 1000, n = 4353.
  for (const char* run :
       {"BM_LmNormalMatrix/4000/1000/real_time", "BM_LmNormalMatrix/2560/2202/real_time",
        "BM_LmDataSpaceGram/1000/4353/real_time", "BM_LmDataSpaceGram/1500/10000/real_time"}) {
    const double frac = reporter.counter(std::string(run) + ":matrix_peak_frac");
    if (frac < 0) continue;
    std::printf("  %-51s matrix at %4.0f %% of peak  target >= 60 %%  %s\n", run, frac * 100,
                frac >= 0.6 ? "PASS" : "FAIL");
  }
  {
    const double p = reporter.seconds("BM_LmStepMlp/0/real_time"),
                 d = reporter.seconds("BM_LmStepMlp/1/real_time"),
                 dj = reporter.seconds("BM_LmStepMlp/2/real_time");
    if (p > 0 && d > 0)
      std::printf(
          "  LM step m=1000 n=4353: parameter/data space = %.1f ms / %.1f ms = %.1fx  "
          "target >= 5x  %s\n",
          p * 1e3, d * 1e3, p / d, p / d >= 5 ? "PASS" : "FAIL");
    if (p > 0 && dj > 0)
      std::printf("    with max-diagonal damping (explicit J): %.1f ms / %.1f ms = %.1fx  %s\n",
                  p * 1e3, dj * 1e3, p / dj, p / dj >= 5 ? "PASS" : "FAIL");
  }
  // Issue 15: m = 10 Hessian products in one multi-column pass cost at most 3x one product.
  static const char* const nets[] = {"toy 176 (float64, 100 points)", "MNIST CNN 2,202 (batch 64)",
                                     "CNN 62,346 (batch 64)"};
  for (int net = 0; net < 3; ++net) {
    auto seconds = [&](int mode) {
      return reporter.seconds("BM_HessianProducts/net:" + std::to_string(net) +
                              "/mode:" + std::to_string(mode) + "/real_time");
    };
    const double one = seconds(0), singles = seconds(1), batched = seconds(2);
    if (one <= 0 || batched <= 0) continue;
    std::printf("  Hv x10 %-30s batched/one = %.0f us / %.0f us = %.2fx  target <= 3x  %s",
                nets[net], batched * 1e6, one * 1e6, batched / one,
                batched / one <= 3 ? "PASS" : "FAIL");
    if (singles > 0) std::printf("  (10 single products: %.2fx)", singles / one);
    std::printf("\n");
  }
  // Issue 16: one Gauss-Newton product (a CG iteration of Hessian-free) costs at most 2x one
  // gradient on the same batch.
  static const char* const hf_nets[] = {"MNIST CNN 2,202 (batch 256)",
                                        "deep autoencoder 2.8 M (batch 100)"};
  for (int net = 0; net < 2; ++net) {
    auto seconds = [&](int mode) {
      return reporter.seconds("BM_HessianFreeProduct/net:" + std::to_string(net) +
                              "/mode:" + std::to_string(mode) + "/real_time");
    };
    const double gradient = seconds(0), product = seconds(1);
    if (gradient <= 0 || product <= 0) continue;
    std::printf("  Gv/gradient %-35s = %.2f ms / %.2f ms = %.2fx  target <= 2x  %s\n", hf_nets[net],
                product * 1e3, gradient * 1e3, product / gradient,
                product / gradient <= 2 ? "PASS" : "FAIL");
  }
  for (const Ratio& r : ratios) {
    const double a = reporter.seconds(r.curvopt), b = reporter.seconds(r.peer);
    if (a < 0 || b < 0) continue;
    std::printf("  %-30s curvopt/LibTorch = %.3f ms / %.3f ms = %.2f", r.label, a * 1e3, b * 1e3,
                a / b);
    if (r.max_ratio > 0)
      std::printf("  target <= %.2f  %s", r.max_ratio, a / b <= r.max_ratio ? "PASS" : "FAIL");
    std::printf("\n");
  }
}

}  // namespace
}  // namespace curvopt_bench

int main(int argc, char** argv) {
  curvopt::set_num_threads(1);
  curvopt_bench::torch_single_thread();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  curvopt_bench::g_peak_gflops = curvopt_bench::measure_sgemm_gflops(1024, 1.0);
  char peak[32];
  std::snprintf(peak, sizeof peak, "%.1f", curvopt_bench::g_peak_gflops);
  benchmark::AddCustomContext("threads", "1");
  benchmark::AddCustomContext("sgemm_peak_gflops (1024^3, best of >= 1 s)", peak);
  benchmark::AddCustomContext("openblas_kernels", curvopt_bench::blas_kernels());

  // Colors only on a terminal (what --benchmark_color=auto does for the default reporter).
  curvopt_bench::RecordingReporter reporter(isatty(STDOUT_FILENO) != 0);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  curvopt_bench::print_summary(reporter);
  benchmark::Shutdown();
  return 0;
}
