#include "curvopt/fit/expression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "curvopt/autodiff/dual.h"
#include "testing/allocation_counter.h"

namespace curvopt {
namespace {

const std::vector<std::string> kAbcx{"a", "b", "c", "x"};

double value(std::string_view text, const std::vector<double>& values,
             const std::vector<std::string>& symbols = kAbcx) {
  return Expression::parse(text, symbols).evaluate(values.data());
}

// What parse() throws for `text`: the whole message, or "" when the text parses.
std::string error_of(std::string_view text, const std::vector<std::string>& symbols = kAbcx) {
  try {
    Expression::parse(text, symbols);
  } catch (const ExpressionError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
    return e.what();
  }
  return "";
}

int error_column(std::string_view text) {
  try {
    Expression::parse(text, kAbcx);
  } catch (const ExpressionError& e) {
    return e.column();
  }
  return 0;
}

TEST(Expression, ExponentialModelMatchesTheSameFormulaInCpp) {
  const Expression model = Expression::parse("a*exp(-b*x)+c", kAbcx);
  for (double x : {-1.0, 0.0, 0.5, 3.0}) {
    // c > 0: no cancellation, so a fused multiply-add in the reference stays within 4 ulps.
    const double v[] = {2.5, 0.7, 0.3, x};
    EXPECT_DOUBLE_EQ(model.evaluate(v), 2.5 * std::exp(-0.7 * x) + 0.3) << x;
  }
  const Expression lv = Expression::parse("a*x - b*x*c", kAbcx);
  const double v[] = {1.1, 0.4, 2.0, 3.0};
  EXPECT_DOUBLE_EQ(lv.evaluate(v), 1.1 * 3.0 - 0.4 * 3.0 * 2.0);
}

TEST(Expression, EveryFunctionMatchesItsCppCounterpart) {
  const std::vector<std::pair<std::string, std::function<double(double)>>> unary{
      {"exp", [](double x) { return std::exp(x); }},
      {"log", [](double x) { return std::log(x); }},
      {"sqrt", [](double x) { return std::sqrt(x); }},
      {"sin", [](double x) { return std::sin(x); }},
      {"cos", [](double x) { return std::cos(x); }},
      {"tan", [](double x) { return std::tan(x); }},
      {"asin", [](double x) { return std::asin(x); }},
      {"acos", [](double x) { return std::acos(x); }},
      {"atan", [](double x) { return std::atan(x); }},
      {"sinh", [](double x) { return std::sinh(x); }},
      {"cosh", [](double x) { return std::cosh(x); }},
      {"tanh", [](double x) { return std::tanh(x); }},
      {"abs", [](double x) { return std::abs(x); }},
      {"erf", [](double x) { return std::erf(x); }},
      {"log10", [](double x) { return std::log10(x); }},
      {"log1p", [](double x) { return std::log1p(x); }},
      {"expm1", [](double x) { return std::expm1(x); }},
      {"cbrt", [](double x) { return std::cbrt(x); }},
  };
  for (const auto& [name, f] : unary) {
    const Expression e = Expression::parse(name + "(x)", {"x"});
    for (double x : {0.3, 0.8}) EXPECT_DOUBLE_EQ(e.evaluate(&x), f(x)) << name;
    // A constant argument folds with the same function.
    EXPECT_DOUBLE_EQ(value(name + "(0.3)", {}), f(0.3)) << name;
  }
  const std::vector<double> v{0.6, -1.7, 0, 0};
  EXPECT_DOUBLE_EQ(value("atan2(a, b)", v), std::atan2(0.6, -1.7));
  EXPECT_DOUBLE_EQ(value("pow(a, b)", v), std::pow(0.6, -1.7));
  EXPECT_DOUBLE_EQ(value("hypot(a, b)", v), std::hypot(0.6, -1.7));
  EXPECT_EQ(value("min(a, b)", v), -1.7);
  EXPECT_EQ(value("max(a, b)", v), 0.6);
  EXPECT_DOUBLE_EQ(value("pi", {}), std::numbers::pi);
  EXPECT_DOUBLE_EQ(value("e", {}), std::numbers::e);
}

TEST(Expression, PrecedenceAndAssociativity) {
  EXPECT_EQ(value("2^3^2", {}), 512);
  EXPECT_EQ(value("-2^2", {}), -4);
  EXPECT_EQ(value("1-2-3", {}), -4);
  EXPECT_EQ(value("8/4/2", {}), 1);
  EXPECT_EQ(value("2+3*4", {}), 14);
  EXPECT_EQ(value("(2+3)*4", {}), 20);
  EXPECT_EQ(value("2*3^2", {}), 18);
  EXPECT_EQ(value("2^-1", {}), 0.5);
  EXPECT_EQ(value("--+-3", {}), -3);
  EXPECT_EQ(value("-x^2", {0, 0, 0, 3}), -9);
  EXPECT_DOUBLE_EQ(value("x^2^0.5", {0, 0, 0, 4}), std::pow(4.0, std::sqrt(2.0)));
  EXPECT_EQ(value("1 - x + 2", {0, 0, 0, 5}), -2);
}

TEST(Expression, NumberForms) {
  EXPECT_EQ(value("1", {}), 1);
  EXPECT_EQ(value("1.5", {}), 1.5);
  EXPECT_EQ(value("1e-3", {}), 1e-3);
  EXPECT_EQ(value(".5", {}), 0.5);
  EXPECT_EQ(value("2E+2", {}), 200);
  EXPECT_EQ(value("3.", {}), 3);
  EXPECT_EQ(value(" \t7 \n", {}), 7);
}

TEST(Expression, ConstantsYieldToSymbolsOfTheSameName) {
  const std::vector<std::string> symbols{"e", "pi"};
  EXPECT_EQ(value("e*2 + pi", {5, 1}, symbols), 11);
  EXPECT_DOUBLE_EQ(value("e", {}, {"x"}), std::numbers::e);
  EXPECT_EQ(value("exp", {4}, {"exp"}), 4) << "a symbol may be named like a function";
}

TEST(Expression, DualDerivativesMatchAnalyticOnes) {
  using D = Dual<double, 3>;
  const Expression model = Expression::parse("a*exp(-b*x)+c", kAbcx);
  const double a = 2.5, b = 0.7, x = 1.3;
  const D v[] = {D(a, 0), D(b, 1), D(-0.3, 2), D(x)};
  const D r = model.evaluate(v);
  EXPECT_DOUBLE_EQ(r.a, a * std::exp(-b * x) - 0.3);
  EXPECT_DOUBLE_EQ(r.v[0], std::exp(-b * x));
  EXPECT_DOUBLE_EQ(r.v[1], -a * x * std::exp(-b * x));
  EXPECT_DOUBLE_EQ(r.v[2], 1.0);

  // Two-argument functions and a varying exponent, at one point.
  using D2 = Dual<double, 2>;
  const std::vector<std::string> xy{"x", "y"};
  const D2 p[] = {D2(1.5, 0), D2(0.8, 1)};
  const D2 q = Expression::parse("x^y + atan2(y, x) + hypot(x, y)", xy).evaluate(p);
  const double h = std::hypot(1.5, 0.8), r2 = 1.5 * 1.5 + 0.8 * 0.8;
  EXPECT_NEAR(q.v[0], 0.8 * std::pow(1.5, -0.2) - 0.8 / r2 + 1.5 / h, 1e-14);
  EXPECT_NEAR(q.v[1], std::pow(1.5, 0.8) * std::log(1.5) + 1.5 / r2 + 0.8 / h, 1e-14);
  const D2 m = Expression::parse("min(x, y) + 2*max(x, y)", xy).evaluate(p);
  EXPECT_EQ(m.v[0], 2.0);
  EXPECT_EQ(m.v[1], 1.0);

  // Any N, including 1 and one that is not a power of two.
  const Dual<double, 1> s1[] = {Dual<double, 1>(0.4, 0)};
  const Dual<double, 1> s = Expression::parse("sin(x)^2", {"x"}).evaluate(s1);
  EXPECT_DOUBLE_EQ(s.v[0], 2 * std::sin(0.4) * std::cos(0.4));
  using D7 = Dual<double, 7>;
  const D7 w[] = {D7(0.9, 6)};
  EXPECT_NEAR(Expression::parse("sqrt(x)*log(x)", {"x"}).evaluate(w).v[6],
              0.5 / std::sqrt(0.9) * std::log(0.9) + std::sqrt(0.9) / 0.9, 1e-14);
}

TEST(Expression, IntegerPowersMultiplySoNegativeBasesHaveExactDerivatives) {
  using D = Dual<double, 1>;
  const std::vector<std::string> x{"x"};
  for (const char* text : {"x^2", "pow(x, 2)", "x^(1+1)"}) {
    const Expression e = Expression::parse(text, x);
    ASSERT_EQ(e.program().back().op, Expression::Op::kPowInt) << text;
    const D r = e.evaluate(std::vector<D>{D(-1.5, 0)}.data());
    EXPECT_EQ(r.a, 2.25) << text;
    EXPECT_EQ(r.v[0], -3.0) << text;
  }
  const D cube = Expression::parse("x^3", x).evaluate(std::vector<D>{D(-2, 0)}.data());
  EXPECT_EQ(cube.a, -8);
  EXPECT_EQ(cube.v[0], 12);
  const D inverse = Expression::parse("x^-2", x).evaluate(std::vector<D>{D(-2, 0)}.data());
  EXPECT_EQ(inverse.a, 0.25);
  EXPECT_EQ(inverse.v[0], 0.25);  // -2 x^-3 at x = -2
  EXPECT_EQ(value("x^0", {0, 0, 0, 0}), 1);
  for (int n = -7; n <= 12; ++n)
    EXPECT_NEAR(Expression::pow_int(1.1, n), std::pow(1.1, n), 1e-14 * std::pow(1.1, n)) << n;
  EXPECT_EQ(Expression::parse("x^2.5", x).program().back().op, Expression::Op::kPowConst);
  EXPECT_EQ(Expression::parse("x^a", {"x", "a"}).program().back().op, Expression::Op::kPow);
  EXPECT_EQ(Expression::parse("2^x", x).program().back().op, Expression::Op::kPow);
}

TEST(Expression, ConstantSubexpressionsFold) {
  EXPECT_EQ(Expression::parse("2^3^2", {}).program().size(), 1u);
  const Expression e = Expression::parse("2*pi*x + (1 - 3)/4", {"x"});
  EXPECT_EQ(e.program().size(), 5u);  // (2π)·x + (−0.5)
  const double x = 0.25;
  EXPECT_DOUBLE_EQ(e.evaluate(&x), 2 * std::numbers::pi * 0.25 - 0.5);
  // A non-finite constant stays unevaluated and still prints.
  const Expression inf = Expression::parse("log(0)", {});
  EXPECT_EQ(inf.program().size(), 2u);
  EXPECT_EQ(inf.evaluate<double>(nullptr), -INFINITY);
  EXPECT_EQ(inf.to_string(), "log(0)");
}

TEST(Expression, UsedSymbolsAndStackDepth) {
  EXPECT_EQ(Expression::parse("c + a*a", kAbcx).used_symbols(), (std::vector<int>{0, 2}));
  EXPECT_EQ(Expression::parse("1 + 2", kAbcx).used_symbols(), std::vector<int>{});
  EXPECT_EQ(Expression::parse("a+b+c+x", kAbcx).max_stack(), 2);
  EXPECT_EQ(Expression::parse("a*(b+(c+x))", kAbcx).max_stack(), 4);
  EXPECT_EQ(Expression::parse("x + 2*3", kAbcx).max_stack(), 2) << "measured after folding";
  EXPECT_EQ(Expression::parse("a", kAbcx).symbol_count(), 4);
}

TEST(Expression, CanonicalTextParsesBackToTheSameValues) {
  EXPECT_EQ(Expression::parse("a*exp(-b*x)+c", kAbcx).to_string(), "((a*exp(((-b)*x))) + c)");
  EXPECT_EQ(Expression::parse("-x^-2 - 1e-3", kAbcx).to_string(), "((-(x^(-2))) - 0.001)");
  for (const char* text :
       {"a*exp(-b*x)+c", "-x^2 + 2^x - x^2.5", "atan2(a, b) * hypot(c, x) / min(a, max(b, c))",
        "1/3*x + pi*a - e", "abs(a - b)^3 + erf(x)*log1p(c^2) - cbrt(-b)", "a - (b - c)",
        "pow(a, b) + -0.0*x", "sin(cos(tan(asin(acos(atan(x/4))))))", "-(a)^(b)^(c)"}) {
    const Expression e = Expression::parse(text, kAbcx);
    const Expression back = Expression::parse(e.to_string(), kAbcx);
    EXPECT_EQ(back.to_string(), e.to_string()) << text;
    const double v[] = {1.7, 0.3, 0.9, 2.1};
    const double original = e.evaluate(v), reparsed = back.evaluate(v);
    EXPECT_TRUE(original == reparsed || (std::isnan(original) && std::isnan(reparsed)))
        << text << " → " << e.to_string();
  }
}

TEST(Expression, EvaluationDoesNotAllocate) {
  if (!testing::allocation_counting_available()) GTEST_SKIP() << "no counting in this build";
  const Expression e = Expression::parse("a*exp(-b*x)+c + sin(a*(b+(c+(x+a^2))))", kAbcx);
  using D = Dual<double, 4>;
  const double v[] = {1, 2, 3, 4};
  const D d[] = {D(1, 0), D(2, 1), D(3, 2), D(4, 3)};
  double sum = 0;
  testing::start_counting_allocations();
  for (int i = 0; i < 100; ++i) sum += e.evaluate(v) + e.evaluate(d).v[1];
  EXPECT_EQ(testing::stop_counting_allocations(), 0u);
  EXPECT_TRUE(std::isfinite(sum));
}

TEST(Expression, ErrorsNameTheColumnAndTheProblem) {
  EXPECT_EQ(error_of("a*exp(-b*x"),
            "expression \"a*exp(-b*x\" column 11: expected ')' to match '(' at column 6");
  EXPECT_EQ(error_of("a*q"), "expression \"a*q\" column 3: unknown symbol 'q' (known: a, b, c, x)");
  EXPECT_EQ(error_of("q", {}), "expression \"q\" column 1: unknown symbol 'q' (known: none)");
  EXPECT_EQ(error_of("expp(x)").rfind("expression \"expp(x)\" column 1: unknown function 'expp' "
                                      "(known: exp, log, sqrt,",
                                      0),
            0u);
  EXPECT_EQ(error_of("1 + atan2(x)"),
            "expression \"1 + atan2(x)\" column 5: 'atan2' takes 2 arguments, got 1");
  EXPECT_EQ(error_of("exp(a, b)"),
            "expression \"exp(a, b)\" column 1: 'exp' takes 1 argument, got 2");
  EXPECT_EQ(error_of("exp()"), "expression \"exp()\" column 1: 'exp' takes 1 argument, got 0");
  EXPECT_EQ(error_of(""), "expression \"\" column 1: empty expression");
  EXPECT_EQ(error_of("  "), "expression \"  \" column 3: empty expression");
  EXPECT_EQ(error_of("a b"), "expression \"a b\" column 3: expected an operator, got 'b'");
  EXPECT_EQ(error_of("2x"), "expression \"2x\" column 2: expected an operator, got 'x'");
  EXPECT_EQ(error_of("a)"), "expression \"a)\" column 2: unmatched ')'");
  EXPECT_EQ(error_of("a+"),
            "expression \"a+\" column 3: expected an operand, got the end of the expression");
  EXPECT_EQ(error_of("a*/b"), "expression \"a*/b\" column 3: expected an operand, got '/'");
  EXPECT_EQ(error_of("a**2"),
            "expression \"a**2\" column 2: '**' is not an operator; write '^' for a power");
  EXPECT_EQ(error_of("(a+b"),
            "expression \"(a+b\" column 5: expected ')' to match '(' at column 1");
  EXPECT_EQ(error_of("atan2(a b)"),
            "expression \"atan2(a b)\" column 9: expected ',' or ')' to match '(' at column 6");
  EXPECT_EQ(error_of("a(b)"),
            "expression \"a(b)\" column 1: 'a' is not a function (write 'a*(...)' to multiply)");
  EXPECT_EQ(error_of("1e999"),
            "expression \"1e999\" column 1: number '1e999' is out of range for "
            "a double");
  EXPECT_EQ(error_of("a $ b"), "expression \"a $ b\" column 3: expected an operator, got '$'");
  EXPECT_EQ(error_of("a + \x01"),
            "expression \"a +  \" column 5: expected an operand, got character 1");
  EXPECT_EQ(error_of("a +\n q"),
            "expression \"a +  q\" column 6: unknown symbol 'q' (known: a, "
            "b, c, x)");
  EXPECT_EQ(error_column("1.5.3"), 4);
  EXPECT_EQ(error_column(". 5"), 1);
  EXPECT_EQ(error_column("x^"), 3);
  EXPECT_THROW(Expression::parse("a + q", kAbcx), ValueError);
}

TEST(Expression, HostileInputIsRefusedNotCrashedOn) {
  const std::string deep = std::string(101, '(') + "a" + std::string(101, ')');
  EXPECT_NE(error_of(deep).find("column 101: nested more than 100 levels deep"), std::string::npos)
      << error_of(deep);
  EXPECT_NE(error_of(std::string(5000, '-') + "a").find("nested more than 100 levels deep"),
            std::string::npos);
  std::string wide = "a";
  for (int i = 0; i < 70; ++i) wide = "a+(" + wide + ")";
  EXPECT_NE(error_of(wide).find("too complex: needs more than 64 stack slots"), std::string::npos)
      << error_of(wide);
  EXPECT_EQ(error_of(std::string(300, 'x')).find("expression \"xxxx"), 0u);
  EXPECT_NE(error_of(std::string(300, 'x')).find("...\" column 1"), std::string::npos);
  EXPECT_THROW(Expression::parse("a", {"a", "b", "a"}), ValueError);
}

TEST(Expression, ParseCollectingAppendsUnknownSymbols) {
  std::vector<std::string> symbols{"x", "t"};
  const Expression e = Expression::parse_collecting("k*x + t*q - k + pi + exp(x)", symbols);
  EXPECT_EQ(symbols, (std::vector<std::string>{"x", "t", "k", "q"}));
  const double v[] = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(e.evaluate(v), 3 * 1 + 2 * 4 - 3 + std::numbers::pi + std::exp(1.0));
  EXPECT_THROW(Expression::parse_collecting("foo(x)", symbols), ExpressionError);
}

}  // namespace
}  // namespace curvopt
