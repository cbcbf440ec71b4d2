#include "curvopt/fit/ode_expression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "curvopt/autodiff/dual.h"
#include "testing/allocation_counter.h"

namespace curvopt {
namespace {

const char* const kLotkaVolterra = "dx = a*x - b*x*y; dy = -c*y + d*x*y";

using Names = std::vector<std::string>;

// What parse() throws for `text`: the whole message, or "" when the text parses.
std::string error_of(std::string_view text, const Names* parameters = nullptr) {
  try {
    if (parameters)
      OdeExpressionSystem::parse(text, *parameters);
    else
      OdeExpressionSystem::parse(text);
  } catch (const ValueError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
    return e.what();
  }
  return "";
}

TEST(OdeExpressionSystem, LotkaVolterraParsesWithParametersInOrderOfAppearance) {
  const OdeExpressionSystem f = OdeExpressionSystem::parse(kLotkaVolterra);
  EXPECT_EQ(f.states, (Names{"x", "y"}));
  EXPECT_EQ(f.parameters, (Names{"a", "b", "c", "d"}));
  ASSERT_EQ(f.rates.size(), 2u);
  const double y[] = {10, 5}, theta[] = {1.1, 0.4, 0.4, 0.1};
  double dydt[2];
  EXPECT_TRUE(f(0.0, y, theta, dydt));
  EXPECT_DOUBLE_EQ(dydt[0], 1.1 * 10 - 0.4 * 10 * 5);
  EXPECT_DOUBLE_EQ(dydt[1], -0.4 * 5 + 0.1 * 10 * 5);
}

TEST(OdeExpressionSystem, DualsGiveTheExactJacobianInStatesAndParameters) {
  using D = Dual<double, 6>;
  const OdeExpressionSystem f = OdeExpressionSystem::parse(kLotkaVolterra);
  const double x = 10, y = 5, a = 1.1, b = 0.4, c = 0.4, d = 0.1;
  const D yd[] = {D(x, 0), D(y, 1)};
  const D theta[] = {D(a, 2), D(b, 3), D(c, 4), D(d, 5)};
  D dydt[2];
  ASSERT_TRUE(f(0.0, yd, theta, dydt));
  const double dx[6] = {a - b * y, -b * x, x, -x * y, 0, 0};
  const double dy[6] = {d * y, -c + d * x, 0, 0, -y, x * y};
  for (int j = 0; j < 6; ++j) {
    EXPECT_DOUBLE_EQ(dydt[0].v[j], dx[j]) << j;
    EXPECT_DOUBLE_EQ(dydt[1].v[j], dy[j]) << j;
  }
}

TEST(OdeExpressionSystem, StatementFormsTimeAndComments) {
  const OdeExpressionSystem f = OdeExpressionSystem::parse(
      "# a forced oscillator\n"
      "  dx/dt = v   # velocity\n"
      "\n"
      "dv = -k*x - damping*v + sin(omega*t);;\r\n");
  EXPECT_EQ(f.states, (Names{"x", "v"}));
  EXPECT_EQ(f.parameters, (Names{"k", "damping", "omega"}));
  const double y[] = {0.5, -1}, theta[] = {4, 0.1, 2};
  double dydt[2];
  ASSERT_TRUE(f(0.3, y, theta, dydt));
  EXPECT_EQ(dydt[0], -1);
  EXPECT_DOUBLE_EQ(dydt[1], -4 * 0.5 - 0.1 * -1 + std::sin(2 * 0.3));
  // A rate may use a state whose statement comes later; e and pi are constants, not parameters.
  const OdeExpressionSystem g = OdeExpressionSystem::parse("dx = y*e; dy = -x*pi");
  EXPECT_EQ(g.parameters, Names{});
  const double z[] = {2, 3};
  ASSERT_TRUE(g(0.0, z, static_cast<const double*>(nullptr), dydt));
  EXPECT_DOUBLE_EQ(dydt[0], 3 * std::exp(1.0));
  EXPECT_DOUBLE_EQ(dydt[1], -2 * std::acos(-1.0));
}

TEST(OdeExpressionSystem, ExplicitParametersSetTheOrderAndRefuseOthers) {
  const Names parameters{"d", "c", "b", "a", "unused"};
  const OdeExpressionSystem f = OdeExpressionSystem::parse(kLotkaVolterra, parameters);
  EXPECT_EQ(f.parameters, parameters);
  const double y[] = {10, 5}, theta[] = {0.1, 0.4, 0.4, 1.1, 99};
  double dydt[2];
  ASSERT_TRUE(f(0.0, y, theta, dydt));
  EXPECT_DOUBLE_EQ(dydt[0], 1.1 * 10 - 0.4 * 10 * 5);
  EXPECT_DOUBLE_EQ(dydt[1], -0.4 * 5 + 0.1 * 10 * 5);
  const Names abc{"a", "b", "c"};
  EXPECT_EQ(error_of(kLotkaVolterra, &abc),
            "ode statement 2 (\"dy = -c*y + d*x*y\") column 13: unknown symbol 'd' (known: x, y, "
            "t, a, b, c)");
  const Names twice{"a", "b", "a"}, time{"a", "t"}, state{"a", "y"};
  EXPECT_EQ(error_of(kLotkaVolterra, &twice), "ode system: parameter 'a' is listed twice");
  EXPECT_EQ(error_of(kLotkaVolterra, &time), "ode system: parameter 't' is the time variable");
  EXPECT_EQ(error_of(kLotkaVolterra, &state),
            "ode statement 2 (\"dy = -c*y + d*x*y\") column 2: 'y' is both a state and a "
            "parameter");
}

TEST(OdeExpressionSystem, ErrorsNameTheStatementAndColumn) {
  EXPECT_EQ(error_of("dx = a*x; dy = -c*y +"),
            "ode statement 2 (\"dy = -c*y +\") column 12: expected an operand, got the end of the "
            "expression");
  EXPECT_EQ(error_of("dx = a*x\n\n  dy = (x"),
            "ode statement 2 (\"dy = (x\") column 8: expected ')' to match '(' at column 6");
  EXPECT_EQ(error_of("dx = a*x; dx = b"),
            "ode statement 2 (\"dx = b\") column 1: duplicate state 'x' (its rate is given by "
            "statement 1)");
  EXPECT_EQ(error_of("dx a*x"),
            "ode statement 1 (\"dx a*x\") column 4: missing '=' after 'dx' (expected d<state> = "
            "<expression>)");
  EXPECT_EQ(error_of("dx"),
            "ode statement 1 (\"dx\") column 3: missing '=' after 'dx' (expected "
            "d<state> = <expression>)");
  EXPECT_EQ(error_of("x = a*x"),
            "ode statement 1 (\"x = a*x\") column 1: left side 'x' is not of "
            "the form d<state> (as in 'dx = -k*x')");
  EXPECT_EQ(error_of("d = 1"),
            "ode statement 1 (\"d = 1\") column 1: left side 'd' is not of the "
            "form d<state> (as in 'dx = -k*x')");
  EXPECT_EQ(error_of("dx = 1; d2y = 1")
                .find("ode statement 2 (\"d2y = 1\") column 1: left side "
                      "'d2y' is not of the form"),
            0u);
  EXPECT_EQ(error_of("= 1"),
            "ode statement 1 (\"= 1\") column 1: missing the left side (expected "
            "d<state> = <expression>)");
  EXPECT_EQ(error_of("dx/dy = 1"),
            "ode statement 1 (\"dx/dy = 1\") column 4: expected 'dt' after '/' in 'dx/dt'");
  EXPECT_EQ(error_of("dt = 1"),
            "ode statement 1 (\"dt = 1\") column 1: 'dt' would make the time t a state");
  EXPECT_EQ(error_of("dx = "), "ode statement 1 (\"dx =\") column 5: empty expression");
  EXPECT_EQ(error_of(" ;\n# nothing\n"),
            "ode system: no statements (expected equations such as 'dx = -k*x')");
  EXPECT_EQ(error_of(""), "ode system: no statements (expected equations such as 'dx = -k*x')");
  try {
    OdeExpressionSystem::parse("dx = x +* 2");
    FAIL() << "parsed";
  } catch (const ExpressionError& e) {
    EXPECT_EQ(e.column(), 9);
    EXPECT_EQ(e.reason(), "expected an operand, got '*'");
  }
}

TEST(OdeExpressionSystem, NonFiniteRatesReturnFalse) {
  const OdeExpressionSystem f = OdeExpressionSystem::parse("dx = log(x)*k");
  const double theta[] = {2};
  double dydt[1];
  const double one[] = {1}, zero[] = {0};
  EXPECT_TRUE(f(0.0, one, theta, dydt));
  EXPECT_FALSE(f(0.0, zero, theta, dydt));
  // A finite value with an infinite derivative is refused too: sensitivities would be poisoned.
  using D = Dual<double, 1>;
  const OdeExpressionSystem g = OdeExpressionSystem::parse("dx = sqrt(x)");
  const D x0[] = {D(0, 0)};
  D r[1];
  EXPECT_FALSE(g(0.0, x0, static_cast<const D*>(nullptr), r));
}

TEST(OdeExpressionSystem, CanonicalTextParsesBack) {
  const OdeExpressionSystem f = OdeExpressionSystem::parse(kLotkaVolterra);
  EXPECT_EQ(f.to_string(), "dx = ((a*x) - ((b*x)*y)); dy = (((-c)*y) + ((d*x)*y))");
  const OdeExpressionSystem g = OdeExpressionSystem::parse(f.to_string(), f.parameters);
  EXPECT_EQ(g.to_string(), f.to_string());
  const OdeExpressionSystem h = OdeExpressionSystem::parse(f.to_string());
  EXPECT_EQ(h.parameters, f.parameters);
}

TEST(OdeExpressionSystem, ManySymbolsFallBackToTheHeapAndAgree) {
  std::string rate = "dx = -x";
  std::vector<double> theta;
  double expected = -1;
  for (int j = 0; j < 40; ++j) {
    rate += " + p" + std::to_string(j) + "*t";
    theta.push_back(j);
    expected += j * 0.5;
  }
  const OdeExpressionSystem f = OdeExpressionSystem::parse(rate);
  ASSERT_EQ(f.parameters.size(), 40u);
  const double y[] = {1};
  double dydt[1];
  ASSERT_TRUE(f(0.5, y, theta.data(), dydt));
  EXPECT_DOUBLE_EQ(dydt[0], expected);
}

TEST(OdeExpressionSystem, EvaluationDoesNotAllocate) {
  if (!testing::allocation_counting_available()) GTEST_SKIP() << "no counting in this build";
  const OdeExpressionSystem f = OdeExpressionSystem::parse(kLotkaVolterra);
  using D = Dual<double, 6>;
  const D y[] = {D(10, 0), D(5, 1)};
  const D theta[] = {D(1.1, 2), D(0.4, 3), D(0.4, 4), D(0.1, 5)};
  const double yv[] = {10, 5}, thetav[] = {1.1, 0.4, 0.4, 0.1};
  D dydt[2];
  double dydtv[2];
  bool ok = true;
  testing::start_counting_allocations();
  for (int i = 0; i < 100; ++i) ok = f(0.0, y, theta, dydt) && f(0.0, yv, thetav, dydtv) && ok;
  EXPECT_EQ(testing::stop_counting_allocations(), 0u);
  EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace curvopt
