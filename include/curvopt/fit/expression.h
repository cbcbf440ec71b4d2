#pragma once
/// A small math-expression language for user models (`a*exp(-b*x) + c`): parsed once into a flat
/// postfix program, then evaluated many times on doubles or on dual numbers, so a model typed on
/// the command line gets exact Jacobians like a hand-written templated functor.

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "curvopt/autodiff/dual.h"
#include "curvopt/core/errors.h"

namespace curvopt {

/// A parse error with its place: what() is the whole one-line message, column() the 1-based
/// column it names and reason() the message without the location, so a caller that parsed a
/// piece of a larger text (an ODE statement) can restate the column in its own terms.
class ExpressionError : public ValueError {
 public:
  ExpressionError(const std::string& message, int column, std::string reason)
      : ValueError(message), column_(column), reason_(std::move(reason)) {}
  /// 1-based column in the text that was parsed.
  int column() const noexcept { return column_; }
  /// What is wrong, without the location ("expected ')'").
  const std::string& reason() const noexcept { return reason_; }

 private:
  int column_;
  std::string reason_;
};

/// An arithmetic expression over named symbols, compiled to postfix.
///
/// Grammar, loosest binding first: `+ -` (left-associative), `* /` (left), unary `- +`, `^`
/// (right-associative, and tighter than a unary minus on its left: -x^2 = -(x^2), 2^-1 = 0.5).
/// Operands are numbers (1, 1.5, 1e-3, .5), symbols ([A-Za-z_][A-Za-z0-9_]*), parenthesized
/// expressions and calls of exp log sqrt sin cos tan asin acos atan sinh cosh tanh abs erf log10
/// log1p expm1 cbrt (one argument) and atan2 pow hypot min max (two). `pi` and `e` are constants
/// unless a symbol has that name. There is no implicit multiplication: `2x` is an error.
///
/// Constant subexpressions are folded at parse time (when the result is finite), and a power
/// with a constant integer exponent evaluates by repeated multiplication, so x^2 has the exact
/// derivative 2x at x < 0 too, where pow's log-based derivative would not.
///
/// Immutable once parsed: evaluate() is const and keeps its stack on the call stack, so one
/// Expression may be evaluated from many threads. A default-constructed one is empty (value 0).
class Expression {
 public:
  /// One postfix instruction. Binary ops pop two values (the first operand is the deeper one);
  /// unary ops replace the top value.
  enum class Op : std::uint8_t {
    kConstant,  ///< push `value`
    kSymbol,    ///< push values[`index`]
    kNegate,
    kAdd,
    kSubtract,
    kMultiply,
    kDivide,
    kPowInt,    ///< x^`index`, by multiplication
    kPowConst,  ///< x^`value` for a constant non-integer exponent
    kPow,       ///< x^y with both varying
    kExp,
    kLog,
    kSqrt,
    kSin,
    kCos,
    kTan,
    kAsin,
    kAcos,
    kAtan,
    kSinh,
    kCosh,
    kTanh,
    kAbs,
    kErf,
    kLog10,
    kLog1p,
    kExpm1,
    kCbrt,
    kAtan2,
    kHypot,
    kMin,
    kMax,
  };
  /// An op and its immediate operand.
  struct Instruction {
    Op op = Op::kConstant;
    int index = 0;     ///< the symbol of kSymbol, the exponent of kPowInt
    double value = 0;  ///< the constant of kConstant, the exponent of kPowConst
  };

  /// The deepest value stack a program may need; evaluation keeps its stack in a fixed array.
  static constexpr int kMaxStack = 64;

  /// Parses `text` against `symbols`, the names it may use (symbol i is values[i] at
  /// evaluation). Throws ExpressionError (a ValueError) with one line naming the 1-based column
  /// and what is wrong, and ValueError if `symbols` lists a name twice. `first_column` is the
  /// column of text[0] in a larger text the caller reports against (an ODE statement): error
  /// columns, including those inside reason(), count from it.
  static Expression parse(std::string_view text, const std::vector<std::string>& symbols,
                          int first_column = 1);

  /// As parse(), but an identifier that is neither in `symbols`, nor a function call, nor an
  /// unshadowed `pi` or `e` is appended to `symbols` instead of refused: for callers that
  /// discover parameters by their first appearance. Existing indices do not change.
  static Expression parse_collecting(std::string_view text, std::vector<std::string>& symbols,
                                     int first_column = 1);

  /// The value at `values` (values[i] is symbol i; at least symbol_count() of them). T is
  /// double or Dual<double, N>. Does not allocate.
  template <class T>
  T evaluate(const T* values) const {
    if (max_stack_ <= 8) return run<T, 8>(values);
    if (max_stack_ <= 16) return run<T, 16>(values);
    return run<T, kMaxStack>(values);
  }

  /// The symbols the program reads, ascending (folding never removes a symbol).
  std::vector<int> used_symbols() const;
  /// A canonical, fully parenthesized form that parses back (with the same symbols) to the same
  /// program: constants are printed exactly, negative ones in parentheses.
  std::string to_string() const;
  /// The deepest the value stack gets while evaluating.
  int max_stack() const { return max_stack_; }
  /// How many symbols the expression was parsed against.
  int symbol_count() const { return static_cast<int>(symbols_.size()); }
  /// The names it was parsed against.
  const std::vector<std::string>& symbols() const { return symbols_; }
  /// The text it was parsed from.
  const std::string& text() const { return text_; }
  /// The compiled postfix program.
  const std::vector<Instruction>& program() const { return program_; }

  /// x^n by binary powering: exact products, so the derivative of x^2 is 2x everywhere.
  template <class T>
  static T pow_int(const T& x, int n) {
    unsigned m = n < 0 ? 0u - static_cast<unsigned>(n) : static_cast<unsigned>(n);
    if (m == 0) return T(1.0);
    T base = x;
    while ((m & 1u) == 0) {
      base = base * base;
      m >>= 1;
    }
    T result = base;
    for (m >>= 1; m != 0; m >>= 1) {
      base = base * base;
      if (m & 1u) result = result * base;
    }
    return n < 0 ? T(1.0) / result : result;
  }

  /// One unary op on `x` (kNegate, kPowInt, kPowConst and the one-argument functions).
  template <class T>
  static T apply_unary(const Instruction& in, const T& x) {
    using std::abs, std::acos, std::asin, std::atan, std::cbrt, std::cos, std::cosh, std::erf,
        std::exp, std::expm1, std::log, std::log10, std::log1p, std::pow, std::sin, std::sinh,
        std::sqrt, std::tan, std::tanh;
    switch (in.op) {
      case Op::kNegate:
        return -x;
      case Op::kPowInt:
        return pow_int(x, in.index);
      case Op::kPowConst:
        return pow(x, in.value);
      case Op::kExp:
        return exp(x);
      case Op::kLog:
        return log(x);
      case Op::kSqrt:
        return sqrt(x);
      case Op::kSin:
        return sin(x);
      case Op::kCos:
        return cos(x);
      case Op::kTan:
        return tan(x);
      case Op::kAsin:
        return asin(x);
      case Op::kAcos:
        return acos(x);
      case Op::kAtan:
        return atan(x);
      case Op::kSinh:
        return sinh(x);
      case Op::kCosh:
        return cosh(x);
      case Op::kTanh:
        return tanh(x);
      case Op::kAbs:
        return abs(x);
      case Op::kErf:
        return erf(x);
      case Op::kLog10:
        return log10(x);
      case Op::kLog1p:
        return log1p(x);
      case Op::kExpm1:
        return expm1(x);
      case Op::kCbrt:
        return cbrt(x);
      default:
        return x;  // not unary: parse() never emits this
    }
  }

  /// One binary op on `x` (the first operand) and `y`.
  template <class T>
  static T apply_binary(Op op, const T& x, const T& y) {
    using std::atan2, std::hypot, std::pow;
    switch (op) {
      case Op::kAdd:
        return x + y;
      case Op::kSubtract:
        return x - y;
      case Op::kMultiply:
        return x * y;
      case Op::kDivide:
        return x / y;
      case Op::kPow:
        return pow(x, y);
      case Op::kAtan2:
        return atan2(x, y);
      case Op::kHypot:
        return hypot(x, y);
      // By comparison rather than std::fmin, so doubles and duals pick the same branch (NaN
      // included) and the derivative is that of the chosen operand.
      case Op::kMin:
        return y < x ? y : x;
      case Op::kMax:
        return x < y ? y : x;
      default:
        return x;  // not binary: parse() never emits this
    }
  }

  /// Whether `op` pops two values.
  static constexpr bool is_binary(Op op) {
    return (op >= Op::kAdd && op <= Op::kDivide) || op == Op::kPow || op >= Op::kAtan2;
  }

 private:
  friend class ExpressionParser;

  template <class T, int Capacity>
  T run(const T* values) const {
    std::array<T, Capacity> stack{};
    T* top = stack.data();  // one past the top value
    for (const Instruction& in : program_) {
      switch (in.op) {
        case Op::kConstant:
          *top++ = T(in.value);
          break;
        case Op::kSymbol:
          *top++ = values[in.index];
          break;
        default:
          if (is_binary(in.op)) {
            --top;
            top[-1] = apply_binary(in.op, top[-1], top[0]);
          } else {
            top[-1] = apply_unary(in, top[-1]);
          }
      }
    }
    return stack[0];
  }

  std::string text_;
  std::vector<std::string> symbols_;
  std::vector<Instruction> program_;
  int max_stack_ = 0;
};

}  // namespace curvopt
