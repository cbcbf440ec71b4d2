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

/// A 2-H-H-2 tanh network, W₃ tanh(W₂ tanh(W₁ y + b₁) + b₂) + b₃, as an ODE right-hand side
/// dy/dt = NN(y; θ) (a neural ODE) and as a residual functor of one data point (r = NN(x; θ) −
/// target): 6H + H² + 2 parameters, two outputs, the wide Jacobian of reverse mode.
struct TanhNetwork {
  int hidden = 8;
  double x0 = 0.3, x1 = -0.7, target0 = 0.2, target1 = 0.5;  // the data point, as a residual

  Index num_parameters() const { return 6 * hidden + hidden * hidden + 2; }

  template <class T>
  void forward(const T* y, const T* th, T* out) const {
    using std::tanh;
    const int H = hidden;
    const T* W1 = th;
    const T* b1 = W1 + 2 * H;
    const T* W2 = b1 + H;
    const T* b2 = W2 + H * H;
    const T* W3 = b2 + H;
    const T* b3 = W3 + 2 * H;
    T h1[32], h2[32];
    for (int i = 0; i < H; ++i) h1[i] = tanh(W1[2 * i] * y[0] + W1[2 * i + 1] * y[1] + b1[i]);
    for (int i = 0; i < H; ++i) {
      T s = b2[i];
      for (int j = 0; j < H; ++j) s += W2[i * H + j] * h1[j];
      h2[i] = tanh(s);
    }
    for (int o = 0; o < 2; ++o) {
      T s = b3[o];
      for (int j = 0; j < H; ++j) s += W3[o * H + j] * h2[j];
      out[o] = s;
    }
  }
  template <class T>
  bool operator()(double, const T* y, const T* th, T* dydt) const {
    forward(y, th, dydt);
    return true;
  }
  template <class T>
  bool operator()(const T* th, T* r) const {
    const T y[2] = {T(x0), T(x1)};
    forward(y, th, r);
    r[0] -= target0;
    r[1] -= target1;
    return true;
  }
  /// Deterministic weights of scale ±1/√fan-in, the last layer a tenth of that.
  Vector<double> weights(double shift = 0) const {
    Vector<double> th(num_parameters());
    for (Index k = 0; k < th.size(); ++k)
      th[k] = std::sin(1.7 * static_cast<double>(k) + 0.3 + shift) / std::sqrt(double(hidden));
    th.segment(6 * hidden + hidden * hidden - 2 * hidden, 2 * hidden + 2) *= 0.1;
    return th;
  }
};

}  // namespace curvopt::testing
