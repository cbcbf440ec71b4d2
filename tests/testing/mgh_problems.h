#pragma once
// The least-squares problems of Moré, Garbow & Hillstrom (1981), "Testing unconstrained
// optimization software", ACM TOMS 7(1): residuals, standard starting points and the minima the
// paper lists (f = Σ rᵢ², so curvopt's cost ½Σ rᵢ² is half of them).

#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "curvopt/problem/least_squares_problem.h"

namespace curvopt::testing {

struct MghCase {
  std::string name;
  Index n = 0, m = 0;
  std::vector<double> start;
  /// The minima of f = Σ rᵢ² the paper lists for this start (any of them counts as solved).
  std::vector<double> minima;
  /// Adds the residuals, as one block of m residuals with dual-number derivatives.
  std::function<void(LeastSquaresProblem&)> add;
};

namespace mgh {
using std::atan;
using std::cos;
using std::exp;
using std::log;
using std::pow;
using std::sin;
using std::sqrt;

struct Rosenbrock {
  template <class T>
  bool operator()(const T* x, T* r) const {
    r[0] = 10.0 * (x[1] - x[0] * x[0]);
    r[1] = 1.0 - x[0];
    return true;
  }
};
struct FreudensteinRoth {
  template <class T>
  bool operator()(const T* x, T* r) const {
    r[0] = -13.0 + x[0] + ((5.0 - x[1]) * x[1] - 2.0) * x[1];
    r[1] = -29.0 + x[0] + ((x[1] + 1.0) * x[1] - 14.0) * x[1];
    return true;
  }
};
struct PowellBadlyScaled {
  template <class T>
  bool operator()(const T* x, T* r) const {
    r[0] = 1e4 * x[0] * x[1] - 1.0;
    r[1] = exp(-x[0]) + exp(-x[1]) - 1.0001;
    return true;
  }
};
struct BrownBadlyScaled {
  template <class T>
  bool operator()(const T* x, T* r) const {
    r[0] = x[0] - 1e6;
    r[1] = x[1] - 2e-6;
    r[2] = x[0] * x[1] - 2.0;
    return true;
  }
};
struct Beale {
  template <class T>
  bool operator()(const T* x, T* r) const {
    const double y[3] = {1.5, 2.25, 2.625};
    T power = x[1];
    for (int i = 0; i < 3; ++i) {
      r[i] = y[i] - x[0] * (1.0 - power);
      power = power * x[1];
    }
    return true;
  }
};
struct JennrichSampson {
  template <class T>
  bool operator()(const T* x, T* r) const {
    for (int i = 1; i <= 10; ++i)
      r[i - 1] = 2.0 + 2.0 * i - (exp(double(i) * x[0]) + exp(double(i) * x[1]));
    return true;
  }
};
struct HelicalValley {
  template <class T>
  bool operator()(const T* x, T* r) const {
    T theta = atan(x[1] / x[0]) / (2 * std::numbers::pi);
    if (x[0] < 0.0) theta = theta + 0.5;
    r[0] = 10.0 * (x[2] - 10.0 * theta);
    r[1] = 10.0 * (sqrt(x[0] * x[0] + x[1] * x[1]) - 1.0);
    r[2] = x[2];
    return true;
  }
};
struct Bard {
  template <class T>
  bool operator()(const T* x, T* r) const {
    const double y[15] = {0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39,
                          0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39};
    for (int i = 1; i <= 15; ++i) {
      const double u = i, v = 16 - i, w = std::min(u, v);
      r[i - 1] = y[i - 1] - (x[0] + u / (v * x[1] + w * x[2]));
    }
    return true;
  }
};
struct Gaussian {
  template <class T>
  bool operator()(const T* x, T* r) const {
    const double y[15] = {0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
                          0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009};
    for (int i = 1; i <= 15; ++i) {
      const double t = (8.0 - i) / 2;
      const T d = t - x[2];
      r[i - 1] = x[0] * exp(-x[1] * d * d / 2.0) - y[i - 1];
    }
    return true;
  }
};
struct Meyer {
  template <class T>
  bool operator()(const T* x, T* r) const {
    const double y[16] = {34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744,
                          8261,  7030,  6005,  5147,  4427,  3820,  3307,  2872};
    for (int i = 1; i <= 16; ++i) {
      const double t = 45.0 + 5.0 * i;
      r[i - 1] = x[0] * exp(x[1] / (t + x[2])) - y[i - 1];
    }
    return true;
  }
};
struct GulfResearch {
  template <class T>
  bool operator()(const T* x, T* r) const {
    for (int i = 1; i <= 99; ++i) {
      const double t = i / 100.0;
      const double y = 25.0 + std::pow(-50.0 * std::log(t), 2.0 / 3.0);
      T d = y - x[1];
      if (d < 0.0) d = -d;
      // |y − x₂|^x₃ = exp(x₃ log|y − x₂|), finite as long as y ≠ x₂.
      r[i - 1] = exp(-exp(x[2] * log(d)) / x[0]) - t;
    }
    return true;
  }
};
struct Box3d {
  template <class T>
  bool operator()(const T* x, T* r) const {
    for (int i = 1; i <= 10; ++i) {
      const double t = 0.1 * i;
      r[i - 1] = exp(-t * x[0]) - exp(-t * x[1]) - x[2] * (std::exp(-t) - std::exp(-10.0 * t));
    }
    return true;
  }
};
struct PowellSingular {
  template <class T>
  bool operator()(const T* x, T* r) const {
    r[0] = x[0] + 10.0 * x[1];
    r[1] = std::sqrt(5.0) * (x[2] - x[3]);
    r[2] = (x[1] - 2.0 * x[2]) * (x[1] - 2.0 * x[2]);
    r[3] = std::sqrt(10.0) * (x[0] - x[3]) * (x[0] - x[3]);
    return true;
  }
};
struct Wood {
  template <class T>
  bool operator()(const T* x, T* r) const {
    r[0] = 10.0 * (x[1] - x[0] * x[0]);
    r[1] = 1.0 - x[0];
    r[2] = std::sqrt(90.0) * (x[3] - x[2] * x[2]);
    r[3] = 1.0 - x[2];
    r[4] = std::sqrt(10.0) * (x[1] + x[3] - 2.0);
    r[5] = (x[1] - x[3]) / std::sqrt(10.0);
    return true;
  }
};
struct KowalikOsborne {
  template <class T>
  bool operator()(const T* x, T* r) const {
    const double y[11] = {0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627,
                          0.0456, 0.0342, 0.0323, 0.0235, 0.0246};
    const double u[11] = {4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625};
    for (int i = 0; i < 11; ++i)
      r[i] = y[i] - x[0] * (u[i] * u[i] + u[i] * x[1]) / (u[i] * u[i] + u[i] * x[2] + x[3]);
    return true;
  }
};
struct BrownDennis {
  template <class T>
  bool operator()(const T* x, T* r) const {
    for (int i = 1; i <= 20; ++i) {
      const double t = i / 5.0;
      const T a = x[0] + t * x[1] - std::exp(t);
      const T b = x[2] + x[3] * std::sin(t) - std::cos(t);
      r[i - 1] = a * a + b * b;
    }
    return true;
  }
};
struct Osborne1 {
  template <class T>
  bool operator()(const T* x, T* r) const {
    const double y[33] = {0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818,
                          0.784, 0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558,
                          0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438,
                          0.431, 0.424, 0.420, 0.414, 0.411, 0.406};
    for (int i = 0; i < 33; ++i) {
      const double t = 10.0 * i;
      r[i] = y[i] - (x[0] + x[1] * exp(-t * x[3]) + x[2] * exp(-t * x[4]));
    }
    return true;
  }
};
struct BiggsExp6 {
  template <class T>
  bool operator()(const T* x, T* r) const {
    for (int i = 1; i <= 13; ++i) {
      const double t = 0.1 * i;
      const double y = std::exp(-t) - 5.0 * std::exp(-10.0 * t) + 3.0 * std::exp(-4.0 * t);
      r[i - 1] = x[2] * exp(-t * x[0]) - x[3] * exp(-t * x[1]) + x[5] * exp(-t * x[4]) - y;
    }
    return true;
  }
};
struct Osborne2 {
  template <class T>
  bool operator()(const T* x, T* r) const {
    const double y[65] = {
        1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608,
        0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661,
        0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428,
        0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559,
        0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054};
    for (int i = 0; i < 65; ++i) {
      const double t = i / 10.0;
      const T d9 = t - x[8], d10 = t - x[9], d11 = t - x[10];
      r[i] = y[i] - (x[0] * exp(-t * x[4]) + x[1] * exp(-d9 * d9 * x[5]) +
                     x[2] * exp(-d10 * d10 * x[6]) + x[3] * exp(-d11 * d11 * x[7]));
    }
    return true;
  }
};
template <int N>
struct Watson {
  template <class T>
  bool operator()(const T* x, T* r) const {
    for (int i = 1; i <= 29; ++i) {
      const double t = i / 29.0;
      T sum1 = T(0.0), sum2 = T(0.0);
      double power = 1;  // t^(j−2) for the derivative sum, t^(j−1) for the value sum
      for (int j = 2; j <= N; ++j) {
        sum1 = sum1 + (j - 1.0) * power * x[j - 1];
        power *= t;
      }
      power = 1;
      for (int j = 1; j <= N; ++j) {
        sum2 = sum2 + power * x[j - 1];
        power *= t;
      }
      r[i - 1] = sum1 - sum2 * sum2 - 1.0;
    }
    r[29] = x[0];
    r[30] = x[1] - x[0] * x[0] - 1.0;
    return true;
  }
};
struct ExtendedRosenbrock {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    for (int i = 0; i < n; i += 2) {
      r[i] = 10.0 * (x[i + 1] - x[i] * x[i]);
      r[i + 1] = 1.0 - x[i];
    }
    return true;
  }
};
struct ExtendedPowell {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    for (int i = 0; i < n; i += 4) {
      r[i] = x[i] + 10.0 * x[i + 1];
      r[i + 1] = std::sqrt(5.0) * (x[i + 2] - x[i + 3]);
      r[i + 2] = (x[i + 1] - 2.0 * x[i + 2]) * (x[i + 1] - 2.0 * x[i + 2]);
      r[i + 3] = std::sqrt(10.0) * (x[i] - x[i + 3]) * (x[i] - x[i + 3]);
    }
    return true;
  }
};
struct PenaltyI {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    T sum = T(0.0);
    for (int i = 0; i < n; ++i) {
      r[i] = std::sqrt(1e-5) * (x[i] - 1.0);
      sum = sum + x[i] * x[i];
    }
    r[n] = sum - 0.25;
    return true;
  }
};
struct PenaltyII {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    const double a = std::sqrt(1e-5);
    r[0] = x[0] - 0.2;
    for (int i = 2; i <= n; ++i) {
      const double y = std::exp(i / 10.0) + std::exp((i - 1) / 10.0);
      r[i - 1] = a * (exp(x[i - 1] / 10.0) + exp(x[i - 2] / 10.0) - y);
    }
    for (int i = n + 1; i < 2 * n; ++i) r[i - 1] = a * (exp(x[i - n] / 10.0) - std::exp(-0.1));
    T sum = T(0.0);
    for (int j = 1; j <= n; ++j) sum = sum + (n - j + 1.0) * x[j - 1] * x[j - 1];
    r[2 * n - 1] = sum - 1.0;
    return true;
  }
};
struct VariablyDimensioned {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    T sum = T(0.0);
    for (int j = 1; j <= n; ++j) {
      r[j - 1] = x[j - 1] - 1.0;
      sum = sum + double(j) * (x[j - 1] - 1.0);
    }
    r[n] = sum;
    r[n + 1] = sum * sum;
    return true;
  }
};
struct Trigonometric {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    T sum = T(0.0);
    for (int j = 0; j < n; ++j) sum = sum + cos(x[j]);
    for (int i = 1; i <= n; ++i)
      r[i - 1] = double(n) - sum + double(i) * (1.0 - cos(x[i - 1])) - sin(x[i - 1]);
    return true;
  }
};
struct BrownAlmostLinear {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    T sum = T(0.0), product = T(1.0);
    for (int j = 0; j < n; ++j) {
      sum = sum + x[j];
      product = product * x[j];
    }
    for (int i = 0; i < n - 1; ++i) r[i] = x[i] + sum - (n + 1.0);
    r[n - 1] = product - 1.0;
    return true;
  }
};
struct DiscreteBoundaryValue {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    const double h = 1.0 / (n + 1);
    for (int i = 1; i <= n; ++i) {
      const double t = i * h;
      const T left = i > 1 ? x[i - 2] : T(0.0);
      const T right = i < n ? x[i] : T(0.0);
      const T c = x[i - 1] + t + 1.0;
      r[i - 1] = 2.0 * x[i - 1] - left - right + h * h * c * c * c / 2.0;
    }
    return true;
  }
};
struct DiscreteIntegralEquation {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    const double h = 1.0 / (n + 1);
    for (int i = 1; i <= n; ++i) {
      const double ti = i * h;
      T below = T(0.0), above = T(0.0);
      for (int j = 1; j <= n; ++j) {
        const double tj = j * h;
        const T c = x[j - 1] + tj + 1.0;
        if (j <= i)
          below = below + tj * c * c * c;
        else
          above = above + (1.0 - tj) * c * c * c;
      }
      r[i - 1] = x[i - 1] + h * ((1.0 - ti) * below + ti * above) / 2.0;
    }
    return true;
  }
};
struct BroydenTridiagonal {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    for (int i = 0; i < n; ++i) {
      const T left = i > 0 ? x[i - 1] : T(0.0);
      const T right = i < n - 1 ? x[i + 1] : T(0.0);
      r[i] = (3.0 - 2.0 * x[i]) * x[i] - left - 2.0 * right + 1.0;
    }
    return true;
  }
};
struct BroydenBanded {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    for (int i = 1; i <= n; ++i) {
      T sum = T(0.0);
      for (int j = std::max(1, i - 5); j <= std::min(n, i + 1); ++j)
        if (j != i) sum = sum + x[j - 1] * (1.0 + x[j - 1]);
      r[i - 1] = x[i - 1] * (2.0 + 5.0 * x[i - 1] * x[i - 1]) + 1.0 - sum;
    }
    return true;
  }
};
struct LinearFullRank {
  int n, m;
  template <class T>
  bool operator()(const T* x, T* r) const {
    T sum = T(0.0);
    for (int j = 0; j < n; ++j) sum = sum + x[j];
    for (int i = 0; i < m; ++i) r[i] = (i < n ? x[i] : T(0.0)) - 2.0 / m * sum - 1.0;
    return true;
  }
};
struct LinearRank1 {
  int n, m;
  template <class T>
  bool operator()(const T* x, T* r) const {
    T sum = T(0.0);
    for (int j = 1; j <= n; ++j) sum = sum + double(j) * x[j - 1];
    for (int i = 1; i <= m; ++i) r[i - 1] = double(i) * sum - 1.0;
    return true;
  }
};
struct LinearRank1ZeroColumnsRows {
  int n, m;
  template <class T>
  bool operator()(const T* x, T* r) const {
    T sum = T(0.0);
    for (int j = 2; j <= n - 1; ++j) sum = sum + double(j) * x[j - 1];
    for (int i = 1; i <= m; ++i)
      r[i - 1] = (i == 1 || i == m) ? T(-1.0) : double(i - 1) * sum - 1.0;
    return true;
  }
};
struct Chebyquad {
  int n;
  template <class T>
  bool operator()(const T* x, T* r) const {
    // Shifted Chebyshev polynomials T_i(2x − 1) by their recurrence, averaged over the xⱼ.
    for (int i = 0; i < n; ++i) r[i] = T(0.0);
    for (int j = 0; j < n; ++j) {
      const T y = 2.0 * x[j] - 1.0;
      T previous = T(1.0), current = y;
      for (int i = 0; i < n; ++i) {
        r[i] = r[i] + current / double(n);
        const T next = 2.0 * y * current - previous;
        previous = current;
        current = next;
      }
    }
    for (int i = 1; i <= n; ++i)
      if (i % 2 == 0) r[i - 1] = r[i - 1] + 1.0 / (i * i - 1.0);
    return true;
  }
};
}  // namespace mgh

/// Calls sink(name, n, m, start, minima, functor) for each problem of Moré, Garbow & Hillstrom
/// (1981), numbers 1–35 at the sizes of the paper's tables, with the functor's own type, so a
/// benchmark can hand the same functor to another solver (Ceres' autodiff accepts it as is).
template <class Sink>
void for_each_mgh_problem(Sink&& sink) {
  using namespace mgh;
  sink(std::string("rosenbrock"), Index(2), Index(2), {-1.2, 1}, {0}, Rosenbrock{});
  sink(std::string("freudenstein-roth"), Index(2), Index(2), {0.5, -2}, {0, 48.9842},
       FreudensteinRoth{});
  sink(std::string("powell-badly-scaled"), Index(2), Index(2), {0, 1}, {0}, PowellBadlyScaled{});
  sink(std::string("brown-badly-scaled"), Index(2), Index(3), {1, 1}, {0}, BrownBadlyScaled{});
  sink(std::string("beale"), Index(2), Index(3), {1, 1}, {0}, Beale{});
  sink(std::string("jennrich-sampson"), Index(2), Index(10), {0.3, 0.4}, {124.362},
       JennrichSampson{});
  sink(std::string("helical-valley"), Index(3), Index(3), {-1, 0, 0}, {0}, HelicalValley{});
  sink(std::string("bard"), Index(3), Index(15), {1, 1, 1}, {8.21487e-3, 17.4286}, Bard{});
  sink(std::string("gaussian"), Index(3), Index(15), {0.4, 1, 0}, {1.12793e-8}, Gaussian{});
  sink(std::string("meyer"), Index(3), Index(16), {0.02, 4000, 250}, {87.9458}, Meyer{});
  sink(std::string("gulf-research"), Index(3), Index(99), {5, 2.5, 0.15}, {0}, GulfResearch{});
  sink(std::string("box-3d"), Index(3), Index(10), {0, 10, 20}, {0}, Box3d{});
  sink(std::string("powell-singular"), Index(4), Index(4), {3, -1, 0, 1}, {0}, PowellSingular{});
  sink(std::string("wood"), Index(4), Index(6), {-3, -1, -3, -1}, {0}, Wood{});
  sink(std::string("kowalik-osborne"), Index(4), Index(11), {0.25, 0.39, 0.415, 0.39}, {3.07505e-4},
       KowalikOsborne{});
  sink(std::string("brown-dennis"), Index(4), Index(20), {25, 5, -5, -1}, {85822.2}, BrownDennis{});
  sink(std::string("osborne-1"), Index(5), Index(33), {0.5, 1.5, -1, 0.01, 0.02}, {5.46489e-5},
       Osborne1{});
  sink(std::string("biggs-exp6"), Index(6), Index(13), {1, 2, 1, 1, 1, 1}, {5.65565e-3, 0},
       BiggsExp6{});
  sink(std::string("osborne-2"), Index(11), Index(65),
       {1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5}, {4.01377e-2}, Osborne2{});
  sink(std::string("watson-6"), Index(6), Index(31), std::vector<double>(6, 0.0), {2.28767e-3},
       Watson<6>{});
  sink(std::string("watson-9"), Index(9), Index(31), std::vector<double>(9, 0.0), {1.39976e-6},
       Watson<9>{});
  sink(std::string("watson-12"), Index(12), Index(31), std::vector<double>(12, 0.0), {4.72238e-10},
       Watson<12>{});
  {
    std::vector<double> s(10);
    for (int i = 0; i < 10; ++i) s[i] = i % 2 == 0 ? -1.2 : 1;
    sink(std::string("extended-rosenbrock-10"), Index(10), Index(10), s, {0},
         ExtendedRosenbrock{10});
  }
  {
    std::vector<double> s(12);
    for (int i = 0; i < 12; ++i) s[i] = std::vector<double>{3, -1, 0, 1}[i % 4];
    sink(std::string("extended-powell-12"), Index(12), Index(12), s, {0}, ExtendedPowell{12});
  }
  {
    std::vector<double> s4{1, 2, 3, 4}, s10(10);
    for (int i = 0; i < 10; ++i) s10[i] = i + 1;
    sink(std::string("penalty-1-4"), Index(4), Index(5), s4, {2.24997e-5}, PenaltyI{4});
    sink(std::string("penalty-1-10"), Index(10), Index(11), s10, {7.08765e-5}, PenaltyI{10});
  }
  sink(std::string("penalty-2-4"), Index(4), Index(8), std::vector<double>(4, 0.5), {9.37629e-6},
       PenaltyII{4});
  sink(std::string("penalty-2-10"), Index(10), Index(20), std::vector<double>(10, 0.5),
       {2.93660e-4}, PenaltyII{10});
  {
    std::vector<double> s(10);
    for (int j = 1; j <= 10; ++j) s[j - 1] = 1 - j / 10.0;
    sink(std::string("variably-dimensioned-10"), Index(10), Index(12), s, {0},
         VariablyDimensioned{10});
  }
  sink(std::string("trigonometric-10"), Index(10), Index(10), std::vector<double>(10, 0.1),
       {0, 2.79506e-5}, Trigonometric{10});
  sink(std::string("brown-almost-linear-10"), Index(10), Index(10), std::vector<double>(10, 0.5),
       {0, 1}, BrownAlmostLinear{10});
  {
    std::vector<double> s(10);
    for (int i = 1; i <= 10; ++i) s[i - 1] = (i / 11.0) * (i / 11.0 - 1);
    sink(std::string("discrete-boundary-value-10"), Index(10), Index(10), s, {0},
         DiscreteBoundaryValue{10});
    sink(std::string("discrete-integral-equation-10"), Index(10), Index(10), s, {0},
         DiscreteIntegralEquation{10});
  }
  sink(std::string("broyden-tridiagonal-10"), Index(10), Index(10), std::vector<double>(10, -1.0),
       {0}, BroydenTridiagonal{10});
  sink(std::string("broyden-banded-10"), Index(10), Index(10), std::vector<double>(10, -1.0), {0},
       BroydenBanded{10});
  sink(std::string("linear-full-rank-10-20"), Index(10), Index(20), std::vector<double>(10, 1.0),
       {10}, LinearFullRank{10, 20});
  sink(std::string("linear-rank-1-10-20"), Index(10), Index(20), std::vector<double>(10, 1.0),
       {20.0 * 19 / (2 * 41)}, LinearRank1{10, 20});
  sink(std::string("linear-rank-1-zero-10-20"), Index(10), Index(20), std::vector<double>(10, 1.0),
       {(400.0 + 60 - 6) / (2 * 37)}, LinearRank1ZeroColumnsRows{10, 20});
  {
    std::vector<double> s(8);
    for (int j = 1; j <= 8; ++j) s[j - 1] = j / 9.0;
    sink(std::string("chebyquad-8"), Index(8), Index(8), s, {3.51687e-3}, Chebyquad{8});
  }
}

/// The same problems as MghCase records, for tests.
inline std::vector<MghCase> mgh_problems() {
  std::vector<MghCase> cases;
  for_each_mgh_problem([&cases](std::string name, Index n, Index m, std::vector<double> start,
                                std::vector<double> minima, auto functor) {
    MghCase c{std::move(name), n, m, std::move(start), std::move(minima), {}};
    c.add = [functor, m](LeastSquaresProblem& p) { p.add_residual_block(functor, m); };
    cases.push_back(std::move(c));
  });
  return cases;
}

}  // namespace curvopt::testing
