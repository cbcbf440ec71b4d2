// Forward-mode differentiation of a user's residual functor: curvopt's Dual against Eigen's
// AutoDiffScalar (fixed and dynamic derivative vectors), on the Osborne 2 residuals of Moré,
// Garbow & Hillstrom (1981): n = 11 parameters, m = 65 residuals, exp-heavy like most curve fits.
// Each benchmark forms the full 65 × 11 Jacobian once per iteration.
// Then forward against reverse mode (AutoDiffMode) where the shape decides: the residuals of a
// 2-H-H-2 tanh network (2 × (6H + H² + 2)), tall Osborne 2 in reverse mode, and the forward
// sensitivities of a neural ODE (the network as dy/dt) and of Lotka-Volterra (2 × 6).
// Run: <build>/bench/curve_fit/curvopt_autodiff_bench

#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <unsupported/Eigen/AutoDiff>
#include <vector>

#include "curvopt/ode/dormand_prince.h"
#include "curvopt/problem/least_squares_problem.h"
#include "testing/curve_models.h"
#include "testing/mgh_problems.h"

namespace {

using curvopt::Index;
constexpr int kN = 11, kM = 65;
const std::vector<double> kStart{1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5};

// Forms the whole Jacobian of `problem` at a new point (x₀ nudged) each iteration.
void time_jacobian(benchmark::State& state, curvopt::LeastSquaresProblem& problem,
                   curvopt::Vector<double> x) {
  curvopt::Matrix<double> J(problem.num_residuals(), problem.num_parameters());
  for (auto _ : state) {
    x[0] += 1e-12;  // a new point each time: no cached Jacobian
    problem.jacobian(x, J);
    benchmark::DoNotOptimize(J.data());
  }
}

const curvopt::Vector<double> kStartVector =
    Eigen::Map<const curvopt::Vector<double>>(kStart.data(), kN);

void BM_CurvoptDualJacobian(benchmark::State& state) {
  curvopt::LeastSquaresProblem problem(kN);
  problem.add_residual_block(curvopt::testing::mgh::Osborne2{}, kM);
  time_jacobian(state, problem, kStartVector);
}
BENCHMARK(BM_CurvoptDualJacobian);

// The same with n given at compile time: one pass of Dual<double, 11>.
void BM_CurvoptExactDualJacobian(benchmark::State& state) {
  curvopt::LeastSquaresProblem problem(kN);
  problem.add_residual_block<kN>(curvopt::testing::mgh::Osborne2{}, kM);
  time_jacobian(state, problem, kStartVector);
}
BENCHMARK(BM_CurvoptExactDualJacobian);

template <class Derivatives>
void eigen_autodiff(benchmark::State& state) {
  using AD = Eigen::AutoDiffScalar<Derivatives>;
  std::vector<AD> x(kN), r(kM);
  Eigen::Matrix<double, kM, kN> J;
  double shift = 0;
  for (auto _ : state) {
    shift += 1e-12;
    for (int j = 0; j < kN; ++j) x[j] = AD(kStart[j] + (j == 0 ? shift : 0.0), kN, j);
    curvopt::testing::mgh::Osborne2{}(x.data(), r.data());
    for (int i = 0; i < kM; ++i) J.row(i) = r[i].derivatives().transpose();
    benchmark::DoNotOptimize(J.data());
  }
}

void BM_EigenAutoDiffFixedJacobian(benchmark::State& state) {
  eigen_autodiff<Eigen::Matrix<double, kN, 1>>(state);
}
BENCHMARK(BM_EigenAutoDiffFixedJacobian);

void BM_EigenAutoDiffDynamicJacobian(benchmark::State& state) {
  eigen_autodiff<Eigen::VectorXd>(state);
}
BENCHMARK(BM_EigenAutoDiffDynamicJacobian);

}  // namespace

namespace {
// The dual type alone (no problem bookkeeping), at the exact width and at the chunk widths.
template <int C>
void BM_DualFunctorOnly(benchmark::State& state) {
  using D = curvopt::Dual<double, C>;
  std::vector<D> x(kN), r(kM);
  Eigen::Matrix<double, kM, kN> J;
  double shift = 0;
  for (auto _ : state) {
    shift += 1e-12;
    for (int j = 0; j < kN; ++j) {
      x[j] = D(kStart[j] + (j == 0 ? shift : 0.0));
      if (j < C) x[j].v[j] = 1;
    }
    curvopt::testing::mgh::Osborne2{}(x.data(), r.data());
    for (int i = 0; i < kM; ++i)
      for (int j = 0; j < std::min(C, kN); ++j) J(i, j) = r[i].v[j];
    benchmark::DoNotOptimize(J.data());
  }
}
BENCHMARK(BM_DualFunctorOnly<11>);
BENCHMARK(BM_DualFunctorOnly<12>);
BENCHMARK(BM_DualFunctorOnly<16>);
}  // namespace

namespace {

// Osborne 2 (65 × 11, tall) in reverse mode: 65 sweeps where forward mode needs one pass.
void BM_OsborneReverseJacobian(benchmark::State& state) {
  curvopt::LeastSquaresProblem problem(kN);
  problem.add_residual_block(curvopt::testing::mgh::Osborne2{}, kM, nullptr,
                             curvopt::AutoDiffMode::kReverse);
  time_jacobian(state, problem, kStartVector);
}
BENCHMARK(BM_OsborneReverseJacobian);

// One data point of a 2-H-H-2 tanh network: 2 residuals, 6H + H² + 2 parameters.
// Arguments: H, then 0 = forward, 1 = reverse.
void BM_NetworkResidualJacobian(benchmark::State& state) {
  const curvopt::testing::TanhNetwork net{.hidden = static_cast<int>(state.range(0))};
  const Index n = net.num_parameters();
  curvopt::LeastSquaresProblem problem(n);
  problem.add_residual_block(
      net, 2, nullptr,
      state.range(1) ? curvopt::AutoDiffMode::kReverse : curvopt::AutoDiffMode::kForward);
  time_jacobian(state, problem, net.weights());
  state.counters["parameters"] = static_cast<double>(n);
}
BENCHMARK(BM_NetworkResidualJacobian)->ArgsProduct({{2, 3, 4, 8, 16}, {0, 1}});

// One integration with sensitivities over [0, 3] (31 outputs) of dy/dt = NN(y; θ) (H = 16: 354
// weights, the neural-ODE benchmark's network) or of Lotka-Volterra (H = 0).
// Arguments: H, then 0 = forward, 1 = reverse.
void BM_OdeSensitivities(benchmark::State& state) {
  const int hidden = static_cast<int>(state.range(0));
  const curvopt::testing::TanhNetwork net{.hidden = std::max(hidden, 1)};
  const Index p = hidden ? net.num_parameters() : 4;
  const curvopt::Vector<double> theta =
      hidden ? net.weights() : (curvopt::Vector<double>(4) << 1.5, 1.0, 3.0, 1.0).finished();
  const curvopt::Vector<double> y0 = curvopt::Vector<double>::Constant(2, 1.0);
  const curvopt::Vector<double> times = curvopt::Vector<double>::LinSpaced(31, 0, 3);
  curvopt::OdeOptions options;
  options.relative_tolerance = 1e-6;
  options.absolute_tolerance = 1e-8;
  options.sensitivity_mode =
      state.range(1) ? curvopt::AutoDiffMode::kReverse : curvopt::AutoDiffMode::kForward;
  curvopt::OdeWorkspace ws;
  curvopt::Matrix<double> y, S;
  std::int64_t evaluations = 0;
  for (auto _ : state) {
    const auto result =
        hidden ? curvopt::integrate_with_sensitivities(net, 2, p, y0, theta, times, 0, options, y,
                                                       S, &ws)
               : curvopt::integrate_with_sensitivities(curvopt::testing::LotkaVolterra{}, 2, p, y0,
                                                       theta, times, 0, options, y, S, &ws);
    evaluations = result.num_accepted_steps + result.num_rejected_steps;
    benchmark::DoNotOptimize(S.data());
  }
  state.counters["steps"] = static_cast<double>(evaluations);
}
BENCHMARK(BM_OdeSensitivities)->ArgsProduct({{0, 16}, {0, 1}})->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
