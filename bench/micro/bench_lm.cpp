/// Levenberg-Marquardt's dense kernels (issue 5): the normal matrix JᵀJ (parameter space), the
/// Gram J D⁻¹ Jᵀ (data space) and their factorizations, timed through the descent objects that
/// training uses, and whole LM steps of both forms on the MLP of (a) (m = 1000 < n = 4353).
///
/// Flop counts: JᵀJ by a symmetric rank-k update computes n(n+1)/2 dot products of length m,
/// ≈ m·n² flops; the Gram likewise ≈ n·m². Only the lower triangle is formed, so these counts
/// (not 2mn²) are the work done, and they compare with the sgemm peak as equals.

#include "bench_common.h"
#include "bench_fixtures.h"

namespace curvopt_bench {
namespace {

using namespace curvopt;

/// r = Aθ − y with a fixed random A (m × n): a problem whose Jacobian costs only a copy, so that
/// the descent's matrix work stands alone.
class LinearResiduals final : public Problem<float> {
 public:
  LinearResiduals(Index m, Index n)
      : A_(Matrix<float>::Random(m, n)), y_(Vector<float>::Random(m)) {}
  Index num_parameters() const override { return A_.cols(); }
  Index num_residuals() const override { return A_.rows(); }
  OracleSet oracles() const override {
    return Oracle::kValue | Oracle::kGradient | Oracle::kResiduals | Oracle::kJacobian;
  }
  float value(ConstVectorRef<float> x) override { return 0.5f * (A_ * x - y_).squaredNorm(); }
  float gradient(ConstVectorRef<float> x, VectorRef<float> g) override {
    g.noalias() = A_.transpose() * (A_ * x - y_);
    return value(x);
  }
  void residuals(ConstVectorRef<float> x, VectorRef<float> r) override { r = A_ * x - y_; }
  void jacobian(ConstVectorRef<float>, MatrixRef<float> J) override { J = A_; }

 private:
  Matrix<float> A_;
  Vector<float> y_;
};

/// Attaches "<what>_GFLOP/s" and "<what>_peak_frac" for `flops` per call of a phase that took
/// `seconds` in total over the benchmark's iterations (plain values, not rates).
void set_phase_counters(benchmark::State& state, const char* what, double flops, double seconds) {
  const double gflops = flops * static_cast<double>(state.iterations()) / seconds * 1e-9;
  state.counters[std::string(what) + "_GFLOP/s"] = gflops;
  state.counters[std::string(what) + "_peak_frac"] = gflops / gemm_peak_gflops();
}

// Parameter space: J (a copy) and JᵀJ per call of prepare(); m × n from the arguments.
void BM_LmNormalMatrix(benchmark::State& state) {
  const Index m = state.range(0), n = state.range(1);
  LinearResiduals problem(m, n);
  auto descent = make_gauss_newton_descent<float>(GaussNewtonForm::kParameterSpace);
  const Vector<float> theta = Vector<float>::Zero(n);
  descent->prepare(problem, theta);  // warm-up: first-call allocations
  descent->times() = {};
  for (auto _ : state) {
    descent->prepare(problem, theta);
    benchmark::ClobberMemory();
  }
  const double mn2 = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(n);
  set_phase_counters(state, "matrix", mn2, descent->times().matrix_seconds);
}
BENCHMARK(BM_LmNormalMatrix)
    ->Args({4000, 1000})
    ->Args({2560, 2202})  // mnist-cnn, batch 256, exact GGN: m = 2560 rows, n = 2202
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Data space: per iteration a new damping diagonal, so J D^(-1/2), the Gram, its Cholesky and
// the solve are all redone (what a max-diagonal LM step costs after its Jacobian).
void BM_LmDataSpaceGram(benchmark::State& state) {
  const Index m = state.range(0), n = state.range(1);
  LinearResiduals problem(m, n);
  auto descent = make_gauss_newton_descent<float>(GaussNewtonForm::kDataSpace);
  const Vector<float> theta = Vector<float>::Zero(n);
  descent->prepare(problem, theta);
  Vector<float> d[2] = {Vector<float>::Constant(n, 1.0f), Vector<float>::Constant(n, 2.0f)};
  const Vector<float> b = Vector<float>::Ones(n);
  Vector<float> s(n);
  int iterations = 0, flip = 0;
  descent->solve(1.0, d[1], b, s, iterations);  // warm-up
  descent->times() = {};
  for (auto _ : state) {
    descent->solve(1.0, d[flip ^= 1], b, s, iterations);
    benchmark::DoNotOptimize(s.data());
  }
  const double nm2 = static_cast<double>(n) * static_cast<double>(m) * static_cast<double>(m);
  set_phase_counters(state, "matrix", nm2, descent->times().matrix_seconds);
  state.counters["factorization_ms"] =
      1e3 * descent->times().factorization_seconds / static_cast<double>(state.iterations());
}
BENCHMARK(BM_LmDataSpaceGram)
    ->Args({1000, 4353})  // sine-wide: the MLP of (a) on 1000 points
    ->Args({1500, 10000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One whole LM step (gradient, Jacobian, matrix, factorization, one trial) on the MLP of (a):
// m = 1000 residuals, n = 4353 parameters. Argument 0: parameter space; 1: data space (what
// form=auto picks here; identity damping, so JJᵀ from the Gram oracle without J); 2: data space
// with max-diagonal damping (explicit J, then J D^(-1/2) and syrk). Each iteration starts a fresh
// optimizer from the same θ.
void BM_LmStepMlp(benchmark::State& state) {
  MlpProblem problem;
  static const char* const specs[] = {"lm form=parameter-space", "lm form=data-space",
                                      "lm form=data-space damping_matrix=max-diagonal"};
  const char* spec = specs[state.range(0)];
  const Vector<float> start = problem.model.parameters();
  Vector<float> theta = start;
  StepTimes phases;
  for (auto _ : state) {
    state.PauseTiming();
    auto lm = make_optimizer<float>(spec);
    theta = start;
    state.ResumeTiming();
    const StepReport report = lm->step(*problem.objective, theta);
    phases.jacobian_seconds += report.times.jacobian_seconds;
    phases.matrix_seconds += report.times.matrix_seconds;
    phases.factorization_seconds += report.times.factorization_seconds;
    benchmark::DoNotOptimize(theta.data());
  }
  const double k = static_cast<double>(state.iterations());
  state.counters["jacobian_ms"] = 1e3 * phases.jacobian_seconds / k;
  state.counters["matrix_ms"] = 1e3 * phases.matrix_seconds / k;
  state.counters["factorization_ms"] = 1e3 * phases.factorization_seconds / k;
}
BENCHMARK(BM_LmStepMlp)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace curvopt_bench
