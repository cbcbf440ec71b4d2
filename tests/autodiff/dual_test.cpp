#include "curvopt/autodiff/dual.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace curvopt {
namespace {

using D = Dual<double, 2>;

// d/dx of f at x by the dual number seeded with ε₀, against central differences of f on
// doubles (step 1e-5, error ~1e-10 for these smooth functions).
void expect_derivative(const std::function<D(D)>& fd, const std::function<double(double)>& f,
                       double x) {
  const D y = fd(D(x, 0));
  EXPECT_DOUBLE_EQ(y.a, f(x)) << "value at " << x;
  const double h = 1e-5;
  const double reference = (f(x + h) - f(x - h)) / (2 * h);
  EXPECT_NEAR(y.v[0], reference, 1e-8 * std::max(1.0, std::abs(reference))) << "at " << x;
  EXPECT_EQ(y.v[1], 0.0) << "the unseeded direction stays zero";
}

TEST(Dual, ElementaryFunctionsMatchFiniteDifferences) {
  for (double x : {0.3, 0.7, 1.9}) {
    expect_derivative([](D v) { return exp(v); }, [](double v) { return std::exp(v); }, x);
    expect_derivative([](D v) { return expm1(v); }, [](double v) { return std::expm1(v); }, x);
    expect_derivative([](D v) { return log(v); }, [](double v) { return std::log(v); }, x);
    expect_derivative([](D v) { return log1p(v); }, [](double v) { return std::log1p(v); }, x);
    expect_derivative([](D v) { return log10(v); }, [](double v) { return std::log10(v); }, x);
    expect_derivative([](D v) { return sqrt(v); }, [](double v) { return std::sqrt(v); }, x);
    expect_derivative([](D v) { return cbrt(v); }, [](double v) { return std::cbrt(v); }, x);
    expect_derivative([](D v) { return sin(v); }, [](double v) { return std::sin(v); }, x);
    expect_derivative([](D v) { return cos(v); }, [](double v) { return std::cos(v); }, x);
    expect_derivative([](D v) { return tan(v); }, [](double v) { return std::tan(v); }, x);
    expect_derivative([](D v) { return atan(v); }, [](double v) { return std::atan(v); }, x);
    expect_derivative([](D v) { return sinh(v); }, [](double v) { return std::sinh(v); }, x);
    expect_derivative([](D v) { return cosh(v); }, [](double v) { return std::cosh(v); }, x);
    expect_derivative([](D v) { return tanh(v); }, [](double v) { return std::tanh(v); }, x);
    expect_derivative([](D v) { return erf(v); }, [](double v) { return std::erf(v); }, x);
    expect_derivative([](D v) { return pow(v, 2.5); }, [](double v) { return std::pow(v, 2.5); },
                      x);
    expect_derivative([](D v) { return pow(v, 3); }, [](double v) { return std::pow(v, 3); }, x);
    expect_derivative([](D v) { return pow(1.7, v); }, [](double v) { return std::pow(1.7, v); },
                      x);
    expect_derivative([](D v) { return pow(v, v); }, [](double v) { return std::pow(v, v); }, x);
    expect_derivative([](D v) { return 1.0 / v - v / 3 + 2 * v; },
                      [](double v) { return 1.0 / v - v / 3 + 2 * v; }, x);
  }
  for (double x : {-0.5, 0.2, 0.6}) {
    expect_derivative([](D v) { return asin(v); }, [](double v) { return std::asin(v); }, x);
    expect_derivative([](D v) { return acos(v); }, [](double v) { return std::acos(v); }, x);
    expect_derivative([](D v) { return abs(v); }, [](double v) { return std::abs(v); }, x);
  }
}

TEST(Dual, TwoArgumentFunctionsHaveBothPartials) {
  const double a = 0.8, b = -1.3;
  const D x(a, 0), y(b, 1);
  const D h = atan2(x, y);
  // ∂atan2(x, y)/∂x = y/(x² + y²), ∂/∂y = −x/(x² + y²).
  EXPECT_NEAR(h.v[0], b / (a * a + b * b), 1e-15);
  EXPECT_NEAR(h.v[1], -a / (a * a + b * b), 1e-15);
  const D p = x * y / (x + y);
  const double s = a + b;
  EXPECT_NEAR(p.v[0], b * b / (s * s), 1e-14);
  EXPECT_NEAR(p.v[1], a * a / (s * s), 1e-14);
  const D r = hypot(x, y);
  EXPECT_NEAR(r.v[0], a / std::hypot(a, b), 1e-15);
  const D q = pow(x + 2.0, y);  // (a + 2)^b
  EXPECT_NEAR(q.v[0], b * std::pow(a + 2, b - 1), 1e-14);
  EXPECT_NEAR(q.v[1], std::pow(a + 2, b) * std::log(a + 2), 1e-14);
}

TEST(Dual, ComparisonsAndBranchesFollowTheValue) {
  const D x(2.0, 0);
  EXPECT_TRUE(x > 1.0);
  EXPECT_TRUE(1 < x);
  EXPECT_FALSE(x == D(3.0));
  EXPECT_EQ(fmax(x, D(1.0)).v[0], 1.0);
  EXPECT_EQ(fmin(x, D(1.0)).v[0], 0.0);
  EXPECT_TRUE(isfinite(x));
  EXPECT_FALSE(isfinite(log(D(0.0, 0))));
}

}  // namespace
}  // namespace curvopt
