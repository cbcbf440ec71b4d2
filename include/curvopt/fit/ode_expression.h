#pragma once
/// ODE right-hand sides typed as text, `dx = a*x - b*x*y; dy = -c*y + d*x*y`, compiled once to
/// Expression programs and evaluated as the templated functor an ODE integrator calls with
/// doubles or with dual numbers (for exact sensitivities).

#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/fit/expression.h"

namespace curvopt {

/// dy/dt = f(t, y, θ) from statements `d<state> = <expression>` (or `d<state>/dt = ...`),
/// separated by ';' or newlines; `#` starts a comment that runs to the end of the line.
///
/// The states are the left-hand sides, in order. An expression may use the states, the time `t`
/// and the parameters; without an explicit parameter list, every other symbol (not a function
/// call, not an unshadowed `pi` or `e`) is a parameter, in order of first appearance. Each rate
/// is parsed against the symbols [states..., t, parameters...]: symbol i < n is y[i], n is t and
/// n + 1 + j is θ[j].
struct OdeExpressionSystem {
  /// State names, in statement order: y[i] is states[i].
  std::vector<std::string> states;
  /// Parameter names: θ[j] is parameters[j].
  std::vector<std::string> parameters;
  /// rates[i] is d states[i]/dt.
  std::vector<Expression> rates;

  /// Parses `text`, collecting the parameters from it. Throws ExpressionError (a ValueError)
  /// naming the statement and the column within it: `ode statement 2 ("dy = -c*y") column 7:
  /// ...`; ValueError for a text with no statement.
  static OdeExpressionSystem parse(std::string_view text);
  /// As parse(text), with the given parameters: any other symbol is an error.
  static OdeExpressionSystem parse(std::string_view text,
                                   const std::vector<std::string>& parameters);

  /// `dx = <rate>; dy = <rate>` in Expression::to_string() form; parses back to the same system
  /// (with the same parameter list).
  std::string to_string() const;

  /// dydt = f(t, y, θ) for T = double or Dual<double, N>. Returns false where a rate (its value
  /// or a derivative) is not finite, so an integrator can reject the step. Allocation-free up to
  /// kInlineSymbols states + parameters.
  template <class T>
  bool operator()(double t, const T* y, const T* theta, T* dydt) const {
    const std::size_t n = states.size();
    const std::size_t k = n + 1 + parameters.size();
    if (k <= kInlineSymbols) {
      std::array<T, kInlineSymbols> values{};
      return evaluate(t, y, theta, dydt, values.data());
    }
    std::vector<T> values(k);
    return evaluate(t, y, theta, dydt, values.data());
  }

  /// Symbol counts up to which operator() keeps its values on the stack.
  static constexpr std::size_t kInlineSymbols = 32;

 private:
  template <class T>
  bool evaluate(double t, const T* y, const T* theta, T* dydt, T* values) const {
    using std::isfinite;
    const std::size_t n = states.size();
    for (std::size_t i = 0; i < n; ++i) values[i] = y[i];
    values[n] = T(t);
    for (std::size_t j = 0; j < parameters.size(); ++j) values[n + 1 + j] = theta[j];
    bool finite = true;
    for (std::size_t i = 0; i < n; ++i) {
      dydt[i] = rates[i].evaluate(values);
      finite = finite && isfinite(dydt[i]);
    }
    return finite;
  }
};

}  // namespace curvopt
