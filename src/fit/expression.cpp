#include "curvopt/fit/expression.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <numbers>
#include <system_error>

namespace curvopt {
namespace {

using Op = Expression::Op;
using Instruction = Expression::Instruction;

struct Function {
  std::string_view name;
  int arity;
  Op op;
};

constexpr std::array<Function, 23> kFunctions{{
    {"exp", 1, Op::kExp},     {"log", 1, Op::kLog},     {"sqrt", 1, Op::kSqrt},
    {"sin", 1, Op::kSin},     {"cos", 1, Op::kCos},     {"tan", 1, Op::kTan},
    {"asin", 1, Op::kAsin},   {"acos", 1, Op::kAcos},   {"atan", 1, Op::kAtan},
    {"sinh", 1, Op::kSinh},   {"cosh", 1, Op::kCosh},   {"tanh", 1, Op::kTanh},
    {"abs", 1, Op::kAbs},     {"erf", 1, Op::kErf},     {"log10", 1, Op::kLog10},
    {"log1p", 1, Op::kLog1p}, {"expm1", 1, Op::kExpm1}, {"cbrt", 1, Op::kCbrt},
    {"atan2", 2, Op::kAtan2}, {"pow", 2, Op::kPow},     {"hypot", 2, Op::kHypot},
    {"min", 2, Op::kMin},     {"max", 2, Op::kMax},
}};

// Deep enough for any model a person writes; shallow enough that the recursive descent cannot
// overflow the call stack on hostile input such as 10⁵ opening parentheses.
constexpr int kMaxNesting = 100;
// Integer exponents up to this size use binary powering (≤ 40 products); beyond, pow().
constexpr double kMaxIntegerExponent = 1 << 20;

bool is_identifier_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

const Function* find_function(std::string_view name) {
  for (const Function& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

std::string_view function_name(Op op) {
  for (const Function& f : kFunctions)
    if (f.op == op) return f.name;
  return "?";
}

// The text as it appears between quotes in a message: one line, shortened when long.
std::string quote(std::string_view text) {
  constexpr std::size_t kShown = 80;
  std::string out = "\"";
  for (char c : text.substr(0, kShown))
    out += std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
  if (text.size() > kShown) out += "...";
  return out + "\"";
}

// Shortest text that reads back as the same double; negative values (and -0) parenthesized so
// that they stay one operand wherever they are printed.
std::string format_number(double v) {
  std::array<char, 32> buffer;
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
  std::string text(buffer.data(), ec == std::errc() ? end : buffer.data());
  return std::signbit(v) ? "(" + text + ")" : text;
}

}  // namespace

/// Recursive descent over the text, emitting postfix as it goes and folding constants on the
/// fly: an operator whose operands are single kConstant instructions is evaluated at once.
class ExpressionParser {
 public:
  ExpressionParser(std::string_view text, std::vector<std::string>& symbols, bool collect,
                   int first_column)
      : text_(text), symbols_(symbols), collect_(collect), first_column_(first_column) {}

  Expression parse() {
    std::vector<std::string_view> sorted(symbols_.begin(), symbols_.end());
    std::sort(sorted.begin(), sorted.end());
    const auto twice = std::adjacent_find(sorted.begin(), sorted.end());
    if (twice != sorted.end())
      throw ValueError("expression " + quote(text_) + ": symbol '" + std::string(*twice) +
                       "' is listed twice");
    skip_space();
    if (pos_ == text_.size()) fail(pos_, "empty expression");
    sum();
    skip_space();
    if (pos_ < text_.size())
      fail(pos_, peek() == ')' ? "unmatched ')'" : "expected an operator, got " + describe(pos_));
    Expression e;
    e.text_ = std::string(text_);
    e.symbols_ = symbols_;
    e.program_ = std::move(program_);
    e.max_stack_ = stack_needed(e.program_);
    return e;
  }

 private:
  [[noreturn]] void fail(std::size_t pos, std::string reason) const {
    const int column = this->column(pos);
    const std::string message =
        "expression " + quote(text_) + " column " + std::to_string(column) + ": " + reason;
    throw ExpressionError(message, column, std::move(reason));
  }

  int column(std::size_t pos) const { return static_cast<int>(pos) + first_column_; }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }
  // Counts one more level of nesting, opened at `pos`.
  void enter(std::size_t pos) {
    if (++nesting_ > kMaxNesting)
      fail(pos, "nested more than " + std::to_string(kMaxNesting) + " levels deep");
  }

  // The token at `pos` as a message shows it.
  std::string describe(std::size_t pos) const {
    if (pos >= text_.size()) return "the end of the expression";
    const char c = text_[pos];
    std::size_t end = pos + 1;
    if (is_identifier_start(c) || is_digit(c) || c == '.') {
      while (end < text_.size() && (is_identifier_char(text_[end]) || text_[end] == '.')) ++end;
    } else if (!std::isprint(static_cast<unsigned char>(c))) {
      return "character " + std::to_string(static_cast<unsigned char>(c));
    }
    // Appended piecewise: GCC 12's -Wrestrict misfires on "'" + std::string(...) here.
    std::string token = "'";
    token.append(text_.substr(pos, end - pos)).push_back('\'');
    return token;
  }

  // sum := term (('+' | '-') term)*
  void sum() {
    term();
    for (skip_space(); peek() == '+' || peek() == '-'; skip_space()) {
      const Op op = peek() == '+' ? Op::kAdd : Op::kSubtract;
      ++pos_;
      term();
      emit_binary(op);
    }
  }

  // term := unary (('*' | '/') unary)*
  void term() {
    unary();
    for (skip_space(); peek() == '*' || peek() == '/'; skip_space()) {
      if (pos_ + 1 < text_.size() && text_.substr(pos_, 2) == "**")
        fail(pos_, "'**' is not an operator; write '^' for a power");
      const Op op = peek() == '*' ? Op::kMultiply : Op::kDivide;
      ++pos_;
      unary();
      emit_binary(op);
    }
  }

  // unary := ('-' | '+') unary | power
  void unary() {
    skip_space();
    if (peek() != '-' && peek() != '+') return power();
    const bool negate = peek() == '-';
    enter(pos_++);
    unary();
    --nesting_;
    if (negate) emit_unary({Op::kNegate, 0, 0.0});
  }

  // power := primary ('^' unary)?, so that 2^3^2 = 2^(3^2) and 2^-1 is allowed.
  void power() {
    primary();
    skip_space();
    if (peek() != '^') return;
    enter(pos_++);
    unary();
    --nesting_;
    emit_power();
  }

  // primary := number | symbol | function '(' arguments ')' | '(' sum ')'
  void primary() {
    skip_space();
    const char c = peek();
    if (is_digit(c) || (c == '.' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])))
      return number();
    if (is_identifier_start(c)) return identifier();
    if (c == '(') {
      const std::size_t open = pos_++;
      enter(open);
      sum();
      --nesting_;
      close(open, "expected ')' to match '(' at column ");
      return;
    }
    fail(pos_, "expected an operand, got " + describe(pos_));
  }

  void close(std::size_t open, const std::string& expected) {
    skip_space();
    if (peek() != ')') fail(pos_, expected + std::to_string(column(open)));
    ++pos_;
  }

  void number() {
    const std::size_t start = pos_;
    while (is_digit(peek())) ++pos_;
    if (peek() == '.')
      for (++pos_; is_digit(peek());) ++pos_;
    // An 'e' is an exponent only when digits follow, so that "2e" reads as 2 then a stray 'e'.
    if (peek() == 'e' || peek() == 'E') {
      std::size_t p = pos_ + 1;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (p < text_.size() && is_digit(text_[p])) {
        pos_ = p;
        while (is_digit(peek())) ++pos_;
      }
    }
    double value = 0;
    const char* first = text_.data() + start;
    const auto [end, ec] = std::from_chars(first, text_.data() + pos_, value);
    if (ec == std::errc::result_out_of_range)
      fail(start, "number '" + std::string(text_.substr(start, pos_ - start)) +
                      "' is out of range for a double");
    if (ec != std::errc() || end != text_.data() + pos_)
      fail(start, "malformed number " + describe(start));
    push({Op::kConstant, 0, value}, start);
  }

  void identifier() {
    const std::size_t start = pos_;
    while (is_identifier_char(peek())) ++pos_;
    const std::string name(text_.substr(start, pos_ - start));
    skip_space();
    if (peek() == '(') return call(name, start);
    const auto found = std::find(symbols_.begin(), symbols_.end(), name);
    if (found != symbols_.end())
      return push({Op::kSymbol, static_cast<int>(found - symbols_.begin()), 0.0}, start);
    if (name == "pi") return push({Op::kConstant, 0, std::numbers::pi}, start);
    if (name == "e") return push({Op::kConstant, 0, std::numbers::e}, start);
    if (!collect_) {
      std::string known;
      for (const std::string& s : symbols_) known += (known.empty() ? "" : ", ") + s;
      fail(start,
           "unknown symbol '" + name + "' (known: " + (known.empty() ? "none" : known) + ")");
    }
    symbols_.push_back(name);
    push({Op::kSymbol, static_cast<int>(symbols_.size()) - 1, 0.0}, start);
  }

  void call(const std::string& name, std::size_t start) {
    const Function* f = find_function(name);
    if (f == nullptr) {
      if (std::find(symbols_.begin(), symbols_.end(), name) != symbols_.end())
        fail(start, "'" + name + "' is not a function (write '" + name + "*(...)' to multiply)");
      std::string known;
      for (const Function& g : kFunctions)
        known += (known.empty() ? "" : ", ") + std::string(g.name);
      fail(start, "unknown function '" + name + "' (known: " + known + ")");
    }
    const std::size_t open = pos_++;
    enter(open);
    int arguments = 0;
    skip_space();
    if (peek() != ')') {
      for (;;) {
        sum();
        ++arguments;
        skip_space();
        if (peek() != ',') break;
        ++pos_;
      }
    }
    --nesting_;
    close(open, f->arity > 1 ? "expected ',' or ')' to match '(' at column "
                             : "expected ')' to match '(' at column ");
    if (arguments != f->arity)
      fail(start, "'" + name + "' takes " + std::to_string(f->arity) +
                      (f->arity == 1 ? " argument" : " arguments") + ", got " +
                      std::to_string(arguments));
    if (f->op == Op::kPow) return emit_power();
    if (f->arity == 1) return emit_unary({f->op, 0, 0.0});
    emit_binary(f->op);
  }

  void push(const Instruction& in, std::size_t pos) {
    if (++depth_ > Expression::kMaxStack)
      fail(pos, "too complex: needs more than " + std::to_string(Expression::kMaxStack) +
                    " stack slots");
    program_.push_back(in);
  }

  bool last_is_constant(std::size_t from_end) const {
    return program_.size() > from_end &&
           program_[program_.size() - 1 - from_end].op == Op::kConstant;
  }

  void emit_unary(const Instruction& in) {
    if (last_is_constant(0)) {
      const double folded = Expression::apply_unary(in, program_.back().value);
      // A non-finite result (log(0)) stays an instruction, so to_string() still prints it.
      if (std::isfinite(folded)) {
        program_.back().value = folded;
        return;
      }
    }
    program_.push_back(in);
  }

  void emit_binary(Op op) {
    --depth_;
    if (last_is_constant(0) && last_is_constant(1)) {
      const double folded =
          Expression::apply_binary(op, program_[program_.size() - 2].value, program_.back().value);
      if (std::isfinite(folded)) {
        program_.pop_back();
        program_.back().value = folded;
        return;
      }
    }
    program_.push_back({op, 0, 0.0});
  }

  // x^y: a constant y becomes a unary op on x, by multiplication when it is an integer.
  void emit_power() {
    if (!last_is_constant(0)) return emit_binary(Op::kPow);
    const double y = program_.back().value;
    program_.pop_back();
    --depth_;
    if (y == std::trunc(y) && std::abs(y) <= kMaxIntegerExponent)
      emit_unary({Op::kPowInt, static_cast<int>(y), 0.0});
    else
      emit_unary({Op::kPowConst, 0, y});
  }

  static int stack_needed(const std::vector<Instruction>& program) {
    int depth = 0, most = 0;
    for (const Instruction& in : program) {
      if (in.op == Op::kConstant || in.op == Op::kSymbol)
        most = std::max(most, ++depth);
      else if (Expression::is_binary(in.op))
        --depth;
    }
    return most;
  }

  std::string_view text_;
  std::vector<std::string>& symbols_;
  bool collect_;
  int first_column_;
  std::size_t pos_ = 0;
  int nesting_ = 0;
  int depth_ = 0;  // values on the stack after the program so far
  std::vector<Instruction> program_;
};

Expression Expression::parse(std::string_view text, const std::vector<std::string>& symbols,
                             int first_column) {
  std::vector<std::string> names = symbols;
  return ExpressionParser(text, names, false, first_column).parse();
}

Expression Expression::parse_collecting(std::string_view text, std::vector<std::string>& symbols,
                                        int first_column) {
  return ExpressionParser(text, symbols, true, first_column).parse();
}

std::vector<int> Expression::used_symbols() const {
  std::vector<int> used;
  for (const Instruction& in : program_)
    if (in.op == Op::kSymbol) used.push_back(in.index);
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  return used;
}

std::string Expression::to_string() const {
  std::vector<std::string> stack;
  for (const Instruction& in : program_) {
    if (in.op == Op::kConstant || in.op == Op::kSymbol) {
      stack.push_back(in.op == Op::kConstant ? format_number(in.value)
                                             : symbols_[static_cast<std::size_t>(in.index)]);
      continue;
    }
    std::string& x = stack[stack.size() - (is_binary(in.op) ? 2 : 1)];
    const std::string y = is_binary(in.op) ? stack.back() : std::string();
    const char* infix = in.op == Op::kAdd        ? " + "
                        : in.op == Op::kSubtract ? " - "
                        : in.op == Op::kMultiply ? "*"
                        : in.op == Op::kDivide   ? "/"
                        : in.op == Op::kPow      ? "^"
                                                 : nullptr;
    if (in.op == Op::kNegate)
      x = "(-" + x + ")";
    else if (in.op == Op::kPowInt || in.op == Op::kPowConst)
      x = "(" + x + "^" + format_number(in.op == Op::kPowInt ? in.index : in.value) + ")";
    else if (infix != nullptr)
      x = "(" + x + infix + y + ")";
    else
      x = std::string(function_name(in.op)) + "(" + x + (is_binary(in.op) ? ", " + y : "") + ")";
    if (is_binary(in.op)) stack.pop_back();
  }
  return stack.empty() ? std::string() : stack.front();
}

}  // namespace curvopt
