// Forward-mode differentiation of a user's residual functor: curvopt's Dual against Eigen's
// AutoDiffScalar (fixed and dynamic derivative vectors), on the Osborne 2 residuals of Moré,
// Garbow & Hillstrom (1981): n = 11 parameters, m = 65 residuals, exp-heavy like most curve fits.
// Each benchmark forms the full 65 × 11 Jacobian once per iteration.
// Run: <build>/bench/curve_fit/curvopt_autodiff_bench

#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <unsupported/Eigen/AutoDiff>
#include <vector>

#include "curvopt/problem/least_squares_problem.h"
#include "testing/mgh_problems.h"

namespace {

using curvopt::Index;
constexpr int kN = 11, kM = 65;
const std::vector<double> kStart{1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5};

void BM_CurvoptDualJacobian(benchmark::State& state) {
  curvopt::LeastSquaresProblem problem(kN);
  problem.add_residual_block(curvopt::testing::mgh::Osborne2{}, kM);
  curvopt::Vector<double> x = Eigen::Map<const curvopt::Vector<double>>(kStart.data(), kN);
  curvopt::Matrix<double> J(kM, kN);
  for (auto _ : state) {
    x[0] += 1e-12;  // a new point each time: no cached Jacobian
    problem.jacobian(x, J);
    benchmark::DoNotOptimize(J.data());
  }
}
BENCHMARK(BM_CurvoptDualJacobian);

// The same with n given at compile time: one pass of Dual<double, 11>.
void BM_CurvoptExactDualJacobian(benchmark::State& state) {
  curvopt::LeastSquaresProblem problem(kN);
  problem.add_residual_block<kN>(curvopt::testing::mgh::Osborne2{}, kM);
  curvopt::Vector<double> x = Eigen::Map<const curvopt::Vector<double>>(kStart.data(), kN);
  curvopt::Matrix<double> J(kM, kN);
  for (auto _ : state) {
    x[0] += 1e-12;
    problem.jacobian(x, J);
    benchmark::DoNotOptimize(J.data());
  }
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

BENCHMARK_MAIN();
