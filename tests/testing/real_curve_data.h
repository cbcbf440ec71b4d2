#pragma once
// Two real regression datasets (scripts/fetch_data curve-fitting, from Debian's statsmodels):
// Longley's (1967) employment data, a NIST StRD linear least-squares problem of higher
// difficulty with certified values, and the yearly sunspot numbers 1700–2008, whose ~11-year
// cycle makes a fit nonlinear in the period. Each is one residual functor over the whole data,
// for the tests and the curve-fitting benchmark.

#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <vector>

#include <Eigen/QR>

#include "curvopt/data/csv.h"
#include "testing/helpers.h"

namespace curvopt::testing {

/// TOTEMP = β₀ + β₁·GNPDEFL + β₂·GNP + β₃·UNEMP + β₄·ARMED + β₅·POP + β₆·YEAR: 16 × 7.
struct LongleyResiduals {
  Matrix<double> x;  // 6 × 16
  Vector<double> y;  // 16
  template <class T>
  bool operator()(const T* beta, T* r) const {
    for (Index i = 0; i < y.size(); ++i) {
      T sum = beta[0];
      for (Index k = 0; k < 6; ++k) sum += beta[k + 1] * x(k, i);
      r[i] = y[i] - sum;
    }
    return true;
  }
  /// NIST's certified values (StRD, Longley) and residual sum of squares.
  static constexpr double kCertified[7] = {
      -3482258.63459582, 15.0618722713733,      -0.358191792925910e-1, -2.02022980381683,
      -1.03322686717359, -0.511041056535807e-1, 1829.15146461355};
  static constexpr double kCertifiedRss = 836424.055505915;
};

inline std::optional<LongleyResiduals> load_longley() {
  const auto path = real_data_file("curve-fitting/longley.csv");
  if (path.empty()) return std::nullopt;
  CsvOptions options;
  options.feature_columns = {"GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"};
  options.target_columns = {"TOTEMP"};
  const Dataset<double> data = read_csv<double>(path, options);
  return LongleyResiduals{data.inputs, data.targets.row(0).transpose()};
}

/// yₜ = a + b·sin(2πt/P) + c·cos(2πt/P), t the year − 1700: parameters (a, b, c, P), 309 years.
struct SunspotResiduals {
  Vector<double> t, y;
  template <class T>
  bool operator()(const T* q, T* r) const {
    using std::cos;
    using std::sin;
    for (Index i = 0; i < y.size(); ++i) {
      const T phase = 2 * std::numbers::pi * t[i] / q[3];
      r[i] = y[i] - (q[0] + q[1] * sin(phase) + q[2] * cos(phase));
    }
    return true;
  }
  /// From the textbook 11-year period, the mean and a small cycle.
  std::vector<double> start() const { return {y.mean(), 10, 10, 11}; }
  /// ½Σr² with (a, b, c) solved exactly (QR) for a fixed period, and those (a, b, c).
  double profile(double period, Vector<double>* abc = nullptr) const {
    Matrix<double> A(y.size(), 3);
    for (Index i = 0; i < y.size(); ++i) {
      const double phase = 2 * std::numbers::pi * t[i] / period;
      A.row(i) << 1, std::sin(phase), std::cos(phase);
    }
    const Vector<double> coef = A.colPivHouseholderQr().solve(y);
    if (abc) *abc = coef;
    return 0.5 * (y - A * coef).squaredNorm();
  }
  /// The best period on a grid of 1e-4 years over [10.5, 11.5] and its profile cost.
  std::pair<double, double> grid_minimum() const {
    double best_period = 0, best_cost = std::numeric_limits<double>::infinity();
    for (int k = 0; k <= 10000; ++k) {
      const double period = 10.5 + 1e-4 * k, cost = profile(period);
      if (cost < best_cost) {
        best_cost = cost;
        best_period = period;
      }
    }
    return {best_period, best_cost};
  }
};

inline std::optional<SunspotResiduals> load_sunspots() {
  const auto path = real_data_file("curve-fitting/sunspots.csv");
  if (path.empty()) return std::nullopt;
  CsvOptions options;
  options.feature_columns = {"YEAR"};
  options.target_columns = {"SUNACTIVITY"};
  const Dataset<double> data = read_csv<double>(path, options);
  return SunspotResiduals{data.inputs.row(0).transpose().array() - 1700,
                          data.targets.row(0).transpose()};
}

}  // namespace curvopt::testing
