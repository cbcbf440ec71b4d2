#pragma once
/// Forward-mode dual numbers: a value and N directional derivatives carried through a user's
/// templated residual functor, so its Jacobian is exact to rounding (Griewank & Walther 2008).

#include <array>
#include <cmath>
#include <limits>
#include <ostream>
#include <type_traits>

namespace curvopt {

/// a + Σᵢ vᵢεᵢ with εᵢεⱼ = 0: arithmetic and the elementary functions propagate the N partial
/// derivatives v alongside the value a (a "jet" in Ceres' words). N is fixed at compile time so
/// the derivative part lives on the stack and the loops unroll; a Jacobian with more columns
/// than N is formed in chunks of N columns (see LeastSquaresProblem).
///
/// Comparisons look at the value only, so branches in a functor follow the value, as with any
/// forward-mode tool; functions that are not differentiable at a point (abs at 0, min/max at a
/// tie, sqrt at 0) return the one-sided derivative the branch chooses.
/// @tparam T the scalar (double)
/// @tparam N the number of derivative directions, ≥ 1
template <class T, int N>
struct Dual {
  static_assert(N >= 1, "Dual<T, N> needs N >= 1 derivative directions");
  T a;
  std::array<T, N> v;

  constexpr Dual() : a(), v() {}
  /// Uninitialized derivatives, for results every entry of which is written next.
  struct Uninitialized {};
  explicit Dual(Uninitialized) : a() {}       // NOLINT: v is filled by the caller
  constexpr Dual(T value) : a(value), v() {}  // NOLINT: a constant converts implicitly, as in math
  /// The i-th independent variable: value x and derivative direction eᵢ.
  constexpr Dual(T value, int i) : a(value), v() { v[static_cast<std::size_t>(i)] = T(1); }

  Dual& operator+=(const Dual& o) {
    a += o.a;
    for (int i = 0; i < N; ++i) v[i] += o.v[i];
    return *this;
  }
  Dual& operator-=(const Dual& o) {
    a -= o.a;
    for (int i = 0; i < N; ++i) v[i] -= o.v[i];
    return *this;
  }
  Dual& operator*=(const Dual& o) { return *this = *this * o; }
  Dual& operator/=(const Dual& o) { return *this = *this / o; }
  Dual& operator+=(T s) {
    a += s;
    return *this;
  }
  Dual& operator-=(T s) {
    a -= s;
    return *this;
  }
  Dual& operator*=(T s) {
    a *= s;
    for (int i = 0; i < N; ++i) v[i] *= s;
    return *this;
  }
  Dual& operator/=(T s) {
    a /= s;
    for (int i = 0; i < N; ++i) v[i] /= s;
    return *this;
  }
};

namespace detail {
/// value f and derivative df/da → the dual f(x) by the chain rule.
template <class T, int N>
inline Dual<T, N> chain(const Dual<T, N>& x, T f, T df) {
  Dual<T, N> r{typename Dual<T, N>::Uninitialized{}};
  r.a = f;
  for (int i = 0; i < N; ++i) r.v[i] = df * x.v[i];
  return r;
}
}  // namespace detail

// Arithmetic.
template <class T, int N>
inline Dual<T, N> operator+(const Dual<T, N>& x) {
  return x;
}
template <class T, int N>
inline Dual<T, N> operator-(const Dual<T, N>& x) {
  Dual<T, N> r{typename Dual<T, N>::Uninitialized{}};
  r.a = -x.a;
  for (int i = 0; i < N; ++i) r.v[i] = -x.v[i];
  return r;
}
template <class T, int N>
inline Dual<T, N> operator+(Dual<T, N> x, const Dual<T, N>& y) {
  return x += y;
}
template <class T, int N>
inline Dual<T, N> operator-(Dual<T, N> x, const Dual<T, N>& y) {
  return x -= y;
}
template <class T, int N>
inline Dual<T, N> operator*(const Dual<T, N>& x, const Dual<T, N>& y) {
  Dual<T, N> r{typename Dual<T, N>::Uninitialized{}};
  r.a = x.a * y.a;
  for (int i = 0; i < N; ++i) r.v[i] = x.a * y.v[i] + y.a * x.v[i];
  return r;
}
template <class T, int N>
inline Dual<T, N> operator/(const Dual<T, N>& x, const Dual<T, N>& y) {
  // (x/y)' = (x' − (x/y)·y')/y. The value is the plain quotient, so a functor's residuals are
  // bit-identical on doubles and on duals (a solver compares costs from both).
  Dual<T, N> r{typename Dual<T, N>::Uninitialized{}};
  r.a = x.a / y.a;
  for (int i = 0; i < N; ++i) r.v[i] = (x.v[i] - r.a * y.v[i]) / y.a;
  return r;
}
template <class T, int N>
inline Dual<T, N> operator+(Dual<T, N> x, std::type_identity_t<T> s) {
  return x += s;
}
template <class T, int N>
inline Dual<T, N> operator+(std::type_identity_t<T> s, Dual<T, N> x) {
  return x += s;
}
template <class T, int N>
inline Dual<T, N> operator-(Dual<T, N> x, std::type_identity_t<T> s) {
  return x -= s;
}
template <class T, int N>
inline Dual<T, N> operator-(std::type_identity_t<T> s, const Dual<T, N>& x) {
  Dual<T, N> r = -x;
  r.a += s;
  return r;
}
template <class T, int N>
inline Dual<T, N> operator*(Dual<T, N> x, std::type_identity_t<T> s) {
  return x *= s;
}
template <class T, int N>
inline Dual<T, N> operator*(std::type_identity_t<T> s, Dual<T, N> x) {
  return x *= s;
}
template <class T, int N>
inline Dual<T, N> operator/(Dual<T, N> x, std::type_identity_t<T> s) {
  return x /= s;
}
template <class T, int N>
inline Dual<T, N> operator/(std::type_identity_t<T> s, const Dual<T, N>& x) {
  const T q = s / x.a;
  return detail::chain(x, q, -q / x.a);
}

// Comparisons, on the value.
#define CURVOPT_DUAL_COMPARISON(op)                                         \
  template <class T, int N>                                                 \
  inline bool operator op(const Dual<T, N>& x, const Dual<T, N>& y) {       \
    return x.a op y.a;                                                      \
  }                                                                         \
  template <class T, int N>                                                 \
  inline bool operator op(const Dual<T, N>& x, std::type_identity_t<T> s) { \
    return x.a op s;                                                        \
  }                                                                         \
  template <class T, int N>                                                 \
  inline bool operator op(std::type_identity_t<T> s, const Dual<T, N>& x) { \
    return s op x.a;                                                        \
  }
CURVOPT_DUAL_COMPARISON(<)
CURVOPT_DUAL_COMPARISON(<=)
CURVOPT_DUAL_COMPARISON(>)
CURVOPT_DUAL_COMPARISON(>=)
CURVOPT_DUAL_COMPARISON(==)
CURVOPT_DUAL_COMPARISON(!=)
#undef CURVOPT_DUAL_COMPARISON

// Elementary functions, found by argument-dependent lookup so a functor can write `exp(x)` for
// double and Dual alike (with `using std::exp;` for the double case).
template <class T, int N>
inline Dual<T, N> exp(const Dual<T, N>& x) {
  const T e = std::exp(x.a);
  return detail::chain(x, e, e);
}
template <class T, int N>
inline Dual<T, N> expm1(const Dual<T, N>& x) {
  return detail::chain(x, std::expm1(x.a), std::exp(x.a));
}
template <class T, int N>
inline Dual<T, N> log(const Dual<T, N>& x) {
  return detail::chain(x, std::log(x.a), T(1) / x.a);
}
template <class T, int N>
inline Dual<T, N> log1p(const Dual<T, N>& x) {
  return detail::chain(x, std::log1p(x.a), T(1) / (T(1) + x.a));
}
template <class T, int N>
inline Dual<T, N> log10(const Dual<T, N>& x) {
  return detail::chain(x, std::log10(x.a), T(1) / (x.a * std::log(T(10))));
}
template <class T, int N>
inline Dual<T, N> sqrt(const Dual<T, N>& x) {
  const T s = std::sqrt(x.a);
  return detail::chain(x, s, T(0.5) / s);
}
template <class T, int N>
inline Dual<T, N> cbrt(const Dual<T, N>& x) {
  const T c = std::cbrt(x.a);
  return detail::chain(x, c, T(1) / (T(3) * c * c));
}
template <class T, int N>
inline Dual<T, N> sin(const Dual<T, N>& x) {
  return detail::chain(x, std::sin(x.a), std::cos(x.a));
}
template <class T, int N>
inline Dual<T, N> cos(const Dual<T, N>& x) {
  return detail::chain(x, std::cos(x.a), -std::sin(x.a));
}
template <class T, int N>
inline Dual<T, N> tan(const Dual<T, N>& x) {
  const T t = std::tan(x.a);
  return detail::chain(x, t, T(1) + t * t);
}
template <class T, int N>
inline Dual<T, N> asin(const Dual<T, N>& x) {
  return detail::chain(x, std::asin(x.a), T(1) / std::sqrt(T(1) - x.a * x.a));
}
template <class T, int N>
inline Dual<T, N> acos(const Dual<T, N>& x) {
  return detail::chain(x, std::acos(x.a), T(-1) / std::sqrt(T(1) - x.a * x.a));
}
template <class T, int N>
inline Dual<T, N> atan(const Dual<T, N>& x) {
  return detail::chain(x, std::atan(x.a), T(1) / (T(1) + x.a * x.a));
}
template <class T, int N>
inline Dual<T, N> sinh(const Dual<T, N>& x) {
  return detail::chain(x, std::sinh(x.a), std::cosh(x.a));
}
template <class T, int N>
inline Dual<T, N> cosh(const Dual<T, N>& x) {
  return detail::chain(x, std::cosh(x.a), std::sinh(x.a));
}
template <class T, int N>
inline Dual<T, N> tanh(const Dual<T, N>& x) {
  const T t = std::tanh(x.a);
  return detail::chain(x, t, T(1) - t * t);
}
template <class T, int N>
inline Dual<T, N> erf(const Dual<T, N>& x) {
  // d erf/dx = 2/√π · exp(−x²)
  return detail::chain(x, std::erf(x.a), T(1.1283791670955126) * std::exp(-x.a * x.a));
}
template <class T, int N>
inline Dual<T, N> abs(const Dual<T, N>& x) {
  return x.a < T(0) ? -x : x;
}
template <class T, int N>
inline Dual<T, N> fabs(const Dual<T, N>& x) {
  return abs(x);
}
template <class T, int N>
inline Dual<T, N> atan2(const Dual<T, N>& y, const Dual<T, N>& x) {
  // d atan2(y, x) = (x dy − y dx)/(x² + y²)
  const T inv = T(1) / (x.a * x.a + y.a * y.a);
  Dual<T, N> r{typename Dual<T, N>::Uninitialized{}};
  r.a = std::atan2(y.a, x.a);
  for (int i = 0; i < N; ++i) r.v[i] = (x.a * y.v[i] - y.a * x.v[i]) * inv;
  return r;
}
template <class T, int N>
inline Dual<T, N> hypot(const Dual<T, N>& x, const Dual<T, N>& y) {
  const T h = std::hypot(x.a, y.a);
  Dual<T, N> r{typename Dual<T, N>::Uninitialized{}};
  r.a = h;
  const T inv = h > T(0) ? T(1) / h : T(0);
  for (int i = 0; i < N; ++i) r.v[i] = (x.a * x.v[i] + y.a * y.v[i]) * inv;
  return r;
}
/// xᵖ for a constant exponent: d/dx = p·x^(p−1), finite at x = 0 for p ≥ 1.
template <class T, int N>
inline Dual<T, N> pow(const Dual<T, N>& x, std::type_identity_t<T> p) {
  if (p == T(0)) return Dual<T, N>(T(1));
  return detail::chain(x, std::pow(x.a, p), p * std::pow(x.a, p - T(1)));
}
/// bˣ for a constant base: d/dx = log(b)·bˣ.
template <class T, int N>
inline Dual<T, N> pow(std::type_identity_t<T> b, const Dual<T, N>& x) {
  const T f = std::pow(b, x.a);
  return detail::chain(x, f, b == T(0) ? T(0) : f * std::log(b));
}
/// xʸ with both varying: xʸ·(y' log x + y x'/x); at x = 0 only the y x^(y−1) x' term is kept.
template <class T, int N>
inline Dual<T, N> pow(const Dual<T, N>& x, const Dual<T, N>& y) {
  const T f = std::pow(x.a, y.a);
  const T dx = x.a == T(0) ? (y.a == T(1) ? T(1) : T(0)) : y.a * std::pow(x.a, y.a - T(1));
  const T dy = x.a > T(0) ? f * std::log(x.a) : T(0);
  Dual<T, N> r{typename Dual<T, N>::Uninitialized{}};
  r.a = f;
  for (int i = 0; i < N; ++i) r.v[i] = dx * x.v[i] + dy * y.v[i];
  return r;
}
template <class T, int N>
inline Dual<T, N> pow(const Dual<T, N>& x, int p) {
  return pow(x, static_cast<T>(p));
}
template <class T, int N>
inline Dual<T, N> fmin(const Dual<T, N>& x, const Dual<T, N>& y) {
  return y < x ? y : x;
}
template <class T, int N>
inline Dual<T, N> fmax(const Dual<T, N>& x, const Dual<T, N>& y) {
  return x < y ? y : x;
}
template <class T, int N>
inline bool isfinite(const Dual<T, N>& x) {
  if (!std::isfinite(x.a)) return false;
  for (int i = 0; i < N; ++i)
    if (!std::isfinite(x.v[i])) return false;
  return true;
}
template <class T, int N>
inline bool isnan(const Dual<T, N>& x) {
  return std::isnan(x.a);
}

template <class T, int N>
std::ostream& operator<<(std::ostream& os, const Dual<T, N>& x) {
  os << '[' << x.a << "; ";
  for (int i = 0; i < N; ++i) os << (i ? ", " : "") << x.v[i];
  return os << ']';
}

/// The value part of a double or a dual, for code templated on the scalar.
inline double value_of(double x) { return x; }
template <class T, int N>
inline T value_of(const Dual<T, N>& x) {
  return x.a;
}

}  // namespace curvopt
