#pragma once
// Small models the curve-fitting tests share: the decay y = a·exp(−b·t) + c and Lotka-Volterra.

#include <cmath>

#include "curvopt/problem/least_squares_problem.h"

namespace curvopt::testing {

/// The residual y − (a·exp(−b·t) + c) of one data point (t, y), parameters (a, b, c).
struct Decay {
  double t, y;
  template <class T>
  bool operator()(const T* p, T* r) const {
    using std::exp;
    r[0] = y - (p[0] * exp(-p[1] * t) + p[2]);
    return true;
  }
};

/// Twelve points t = 0, 0.5, …, 5.5 of 5·exp(−0.7t) + 1, without noise: the minimum (5, 0.7, 1)
/// has zero cost.
inline LeastSquaresProblem exact_decay() {
  LeastSquaresProblem problem(3);
  for (int i = 0; i < 12; ++i) {
    const double t = 0.5 * i;
    problem.add_residual_block(Decay{t, 5 * std::exp(-0.7 * t) + 1}, 1);
  }
  return problem;
}

/// dx = a x − b x y; dy = −c y + d x y, θ = (a, b, c, d).
struct LotkaVolterra {
  template <class T>
  bool operator()(double, const T* y, const T* p, T* dydt) const {
    dydt[0] = p[0] * y[0] - p[1] * y[0] * y[1];
    dydt[1] = -p[2] * y[1] + p[3] * y[0] * y[1];
    return true;
  }
};

}  // namespace curvopt::testing
