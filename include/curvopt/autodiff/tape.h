#pragma once
/// Reverse-mode automatic differentiation: a user's templated functor runs once on TapeVar,
/// which records every elementary operation and its partial derivatives on a Tape; one backward
/// sweep over that record then gives the gradient of one output with respect to every input.
/// A Jacobian of m outputs and n inputs costs one recording and m sweeps, against the ⌈n/C⌉
/// passes of forward mode with C-wide dual numbers, so reverse mode is the one for wide
/// Jacobians (few outputs, many inputs: a network inside a model; Griewank & Walther 2008, ch. 3).
///
/// The functor must be generic in its scalar (`template <class T>`), call the elementary
/// functions unqualified (`using std::exp; exp(x)`, found by argument-dependent lookup) and
/// branch on values only — the same rules as for Dual, so one functor serves both modes.

#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/core/types.h"

namespace curvopt {

/// How a functor's Jacobian is formed by automatic differentiation.
enum class AutoDiffMode {
  kAuto,     ///< by the shape: reverse when the Jacobian is much wider than tall
  kForward,  ///< dual numbers, ⌈n/C⌉ passes of the functor (Dual)
  kReverse,  ///< one recording on a Tape and one sweep per output (TapeVar)
};
std::string_view to_string(AutoDiffMode mode);  // "auto", "forward", "reverse"
bool parse_enum(std::string_view text, AutoDiffMode& out);
std::string enum_choices(AutoDiffMode);

/// Whether reverse mode pays for a Jacobian of m rows and n columns: forward mode runs the
/// functor ⌈n/16⌉ times on 16-wide duals (each about as costly as 5–10 plain runs, measured by
/// curvopt_autodiff_bench), reverse mode records it once (2–3 plain runs) and sweeps the tape
/// once per row (about one plain run each, a quarter of that four rows at a time).
/// Reverse mode wins once n exceeds about 4m and one chunk of 16; small n stays forward.
constexpr bool reverse_mode_pays(Index rows, Index columns) {
  return columns > 16 && columns >= 4 * rows;
}

/// The record of one evaluation: node k is a variable, with up to two arguments (earlier nodes)
/// and the partial derivatives of its value with respect to them. Independent variables have
/// none. clear() keeps the storage, so recording the same functor again does not allocate.
class Tape {
 public:
  struct Node {
    std::int32_t arg[2];
    double partial[2];
  };

  void clear() { nodes_.clear(); }
  Index size() const { return static_cast<Index>(nodes_.size()); }
  void reserve(Index nodes) { nodes_.reserve(static_cast<std::size_t>(nodes)); }

  /// A new node of the given arguments (−1: none) and partials; returns its index.
  std::int32_t push(std::int32_t a, double da, std::int32_t b, double db) {
    if (nodes_.size() == nodes_.capacity()) grow();
    nodes_.push_back(Node{{a, b}, {da, db}});
    return static_cast<std::int32_t>(nodes_.size() - 1);
  }

  /// Rows of a Jacobian: for each of the k outputs (tape indices outputs[0..k), −1 for an output
  /// that is a constant) the derivatives with respect to the n independent variables recorded
  /// first (tape indices 0 … n−1), into rows[i·row_stride + j·col_stride]. adjoints is scratch,
  /// resized as needed (kept by the caller so that repeated calls do not allocate).
  void jacobian_rows(const std::int32_t* outputs, Index k, Index n, double* rows, Index row_stride,
                     Index col_stride, std::vector<double>& adjoints) const;

 private:
  void grow();  // reserves more, or throws ValueError beyond 2³¹ − 1 nodes
  std::vector<Node> nodes_;
};

namespace detail {
/// The tape that operations on active TapeVars record onto, set by TapeRecording.
inline thread_local Tape* active_tape = nullptr;
}  // namespace detail

/// A double that records the operations it takes part in on the active tape. A TapeVar made
/// from a double (a constant) is not on the tape (index −1) and records nothing until it meets
/// an active variable.
struct TapeVar {
  double a = 0;
  std::int32_t index = -1;

  TapeVar() = default;
  TapeVar(double value) : a(value) {}  // NOLINT: a constant converts implicitly, as in math
  TapeVar(double value, std::int32_t node) : a(value), index(node) {}

  TapeVar& operator+=(const TapeVar& o);
  TapeVar& operator-=(const TapeVar& o);
  TapeVar& operator*=(const TapeVar& o);
  TapeVar& operator/=(const TapeVar& o);
};

/// Makes `tape` the active one for this thread while it lives (cleared first), and restores the
/// previous one after: recordings nest and threads do not share tapes.
class TapeRecording {
 public:
  explicit TapeRecording(Tape& tape) : previous_(detail::active_tape) {
    tape.clear();
    detail::active_tape = &tape;
  }
  ~TapeRecording() { detail::active_tape = previous_; }
  TapeRecording(const TapeRecording&) = delete;
  TapeRecording& operator=(const TapeRecording&) = delete;

  /// The next independent variable, of value x (record inputs before anything else).
  static TapeVar independent(double x) { return {x, detail::active_tape->push(-1, 0, -1, 0)}; }

 private:
  Tape* previous_;
};

namespace detail {
/// f(x) with ∂f/∂x = df: a node when x is on the tape, a constant otherwise.
inline TapeVar record(const TapeVar& x, double f, double df) {
  if (x.index < 0) return TapeVar(f);
  return {f, active_tape->push(x.index, df, -1, 0)};
}
/// f(x, y) with partials dfx, dfy.
inline TapeVar record(const TapeVar& x, const TapeVar& y, double f, double dfx, double dfy) {
  if (x.index < 0) return record(y, f, dfy);
  if (y.index < 0) return record(x, f, dfx);
  return {f, active_tape->push(x.index, dfx, y.index, dfy)};
}
}  // namespace detail

// Arithmetic.
inline TapeVar operator+(const TapeVar& x) { return x; }
inline TapeVar operator-(const TapeVar& x) { return detail::record(x, -x.a, -1.0); }
inline TapeVar operator+(const TapeVar& x, const TapeVar& y) {
  return detail::record(x, y, x.a + y.a, 1.0, 1.0);
}
inline TapeVar operator-(const TapeVar& x, const TapeVar& y) {
  return detail::record(x, y, x.a - y.a, 1.0, -1.0);
}
inline TapeVar operator*(const TapeVar& x, const TapeVar& y) {
  return detail::record(x, y, x.a * y.a, y.a, x.a);
}
inline TapeVar operator/(const TapeVar& x, const TapeVar& y) {
  const double inv = 1.0 / y.a;
  const double q = x.a * inv;
  return detail::record(x, y, x.a / y.a, inv, -q * inv);
}
inline TapeVar operator+(const TapeVar& x, double s) { return detail::record(x, x.a + s, 1.0); }
inline TapeVar operator+(double s, const TapeVar& x) { return detail::record(x, s + x.a, 1.0); }
inline TapeVar operator-(const TapeVar& x, double s) { return detail::record(x, x.a - s, 1.0); }
inline TapeVar operator-(double s, const TapeVar& x) { return detail::record(x, s - x.a, -1.0); }
inline TapeVar operator*(const TapeVar& x, double s) { return detail::record(x, x.a * s, s); }
inline TapeVar operator*(double s, const TapeVar& x) { return detail::record(x, s * x.a, s); }
inline TapeVar operator/(const TapeVar& x, double s) { return detail::record(x, x.a / s, 1.0 / s); }
inline TapeVar operator/(double s, const TapeVar& x) {
  const double q = s / x.a;
  return detail::record(x, q, -q / x.a);
}
inline TapeVar& TapeVar::operator+=(const TapeVar& o) { return *this = *this + o; }
inline TapeVar& TapeVar::operator-=(const TapeVar& o) { return *this = *this - o; }
inline TapeVar& TapeVar::operator*=(const TapeVar& o) { return *this = *this * o; }
inline TapeVar& TapeVar::operator/=(const TapeVar& o) { return *this = *this / o; }

// Comparisons, on the value.
#define CURVOPT_TAPE_COMPARISON(op)                                                  \
  inline bool operator op(const TapeVar& x, const TapeVar& y) { return x.a op y.a; } \
  inline bool operator op(const TapeVar& x, double s) { return x.a op s; }           \
  inline bool operator op(double s, const TapeVar& x) { return s op x.a; }
CURVOPT_TAPE_COMPARISON(<)
CURVOPT_TAPE_COMPARISON(<=)
CURVOPT_TAPE_COMPARISON(>)
CURVOPT_TAPE_COMPARISON(>=)
CURVOPT_TAPE_COMPARISON(==)
CURVOPT_TAPE_COMPARISON(!=)
#undef CURVOPT_TAPE_COMPARISON

// Elementary functions: the same set, derivatives and one-sided choices as Dual's.
inline TapeVar exp(const TapeVar& x) {
  const double e = std::exp(x.a);
  return detail::record(x, e, e);
}
inline TapeVar expm1(const TapeVar& x) { return detail::record(x, std::expm1(x.a), std::exp(x.a)); }
inline TapeVar log(const TapeVar& x) { return detail::record(x, std::log(x.a), 1.0 / x.a); }
inline TapeVar log1p(const TapeVar& x) {
  return detail::record(x, std::log1p(x.a), 1.0 / (1.0 + x.a));
}
inline TapeVar log10(const TapeVar& x) {
  return detail::record(x, std::log10(x.a), 1.0 / (x.a * std::log(10.0)));
}
inline TapeVar sqrt(const TapeVar& x) {
  const double s = std::sqrt(x.a);
  return detail::record(x, s, 0.5 / s);
}
inline TapeVar cbrt(const TapeVar& x) {
  const double c = std::cbrt(x.a);
  return detail::record(x, c, 1.0 / (3.0 * c * c));
}
inline TapeVar sin(const TapeVar& x) { return detail::record(x, std::sin(x.a), std::cos(x.a)); }
inline TapeVar cos(const TapeVar& x) { return detail::record(x, std::cos(x.a), -std::sin(x.a)); }
inline TapeVar tan(const TapeVar& x) {
  const double t = std::tan(x.a);
  return detail::record(x, t, 1.0 + t * t);
}
inline TapeVar asin(const TapeVar& x) {
  return detail::record(x, std::asin(x.a), 1.0 / std::sqrt(1.0 - x.a * x.a));
}
inline TapeVar acos(const TapeVar& x) {
  return detail::record(x, std::acos(x.a), -1.0 / std::sqrt(1.0 - x.a * x.a));
}
inline TapeVar atan(const TapeVar& x) {
  return detail::record(x, std::atan(x.a), 1.0 / (1.0 + x.a * x.a));
}
inline TapeVar sinh(const TapeVar& x) { return detail::record(x, std::sinh(x.a), std::cosh(x.a)); }
inline TapeVar cosh(const TapeVar& x) { return detail::record(x, std::cosh(x.a), std::sinh(x.a)); }
inline TapeVar tanh(const TapeVar& x) {
  const double t = std::tanh(x.a);
  return detail::record(x, t, 1.0 - t * t);
}
inline TapeVar erf(const TapeVar& x) {
  // d erf/dx = 2/√π · exp(−x²)
  return detail::record(x, std::erf(x.a), 1.1283791670955126 * std::exp(-x.a * x.a));
}
inline TapeVar abs(const TapeVar& x) { return x.a < 0 ? -x : x; }
inline TapeVar fabs(const TapeVar& x) { return abs(x); }
inline TapeVar atan2(const TapeVar& y, const TapeVar& x) {
  // d atan2(y, x) = (x dy − y dx)/(x² + y²)
  const double inv = 1.0 / (x.a * x.a + y.a * y.a);
  return detail::record(y, x, std::atan2(y.a, x.a), x.a * inv, -y.a * inv);
}
inline TapeVar hypot(const TapeVar& x, const TapeVar& y) {
  const double h = std::hypot(x.a, y.a);
  const double inv = h > 0 ? 1.0 / h : 0.0;
  return detail::record(x, y, h, x.a * inv, y.a * inv);
}
/// xᵖ for a constant exponent: d/dx = p·x^(p−1), finite at x = 0 for p ≥ 1.
inline TapeVar pow(const TapeVar& x, double p) {
  if (p == 0) return TapeVar(1.0);
  return detail::record(x, std::pow(x.a, p), p * std::pow(x.a, p - 1));
}
inline TapeVar pow(const TapeVar& x, int p) { return pow(x, static_cast<double>(p)); }
/// bˣ for a constant base: d/dx = log(b)·bˣ.
inline TapeVar pow(double b, const TapeVar& x) {
  const double f = std::pow(b, x.a);
  return detail::record(x, f, b == 0 ? 0.0 : f * std::log(b));
}
/// xʸ with both varying: at x = 0 only the y x^(y−1) x' term is kept, as Dual does.
inline TapeVar pow(const TapeVar& x, const TapeVar& y) {
  const double f = std::pow(x.a, y.a);
  const double dx = x.a == 0 ? (y.a == 1 ? 1.0 : 0.0) : y.a * std::pow(x.a, y.a - 1);
  const double dy = x.a > 0 ? f * std::log(x.a) : 0.0;
  return detail::record(x, y, f, dx, dy);
}
inline TapeVar fmin(const TapeVar& x, const TapeVar& y) { return y < x ? y : x; }
inline TapeVar fmax(const TapeVar& x, const TapeVar& y) { return x < y ? y : x; }
inline bool isfinite(const TapeVar& x) { return std::isfinite(x.a); }
inline bool isnan(const TapeVar& x) { return std::isnan(x.a); }
inline std::ostream& operator<<(std::ostream& os, const TapeVar& x) {
  return os << x.a << (x.index >= 0 ? " (on tape)" : "");
}
/// The value part, for code templated on the scalar.
inline double value_of(const TapeVar& x) { return x.a; }

}  // namespace curvopt
