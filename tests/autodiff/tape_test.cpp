#include "curvopt/autodiff/tape.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "curvopt/autodiff/dual.h"
#include "curvopt/core/errors.h"
#include "testing/allocation_counter.h"
#include "testing/curve_models.h"

namespace curvopt {
namespace {

using D = Dual<double, 1>;

/// f'(x) by one reverse sweep over f's recording.
template <class F>
double reverse_derivative(const F& f, double x, double* value = nullptr) {
  Tape tape;
  std::vector<double> adjoints;
  TapeVar y;
  {
    TapeRecording recording(tape);
    y = f(TapeRecording::independent(x));
  }
  if (value) *value = y.a;
  double dx = 0;
  tape.jacobian_rows(&y.index, 1, 1, &dx, 1, 1, adjoints);
  return dx;
}

// Every elementary function has the value forward mode gives (to the last bits: the compiler may
// fuse a·b + c differently in the two inlined paths) and the same derivative to rounding.
TEST(Tape, ElementaryFunctionsMatchDualNumbers) {
  const auto check = [](const auto& f, double x) {
    double value = 0;
    const double dx = reverse_derivative(f, x, &value);
    const D forward = f(D(x, 0));
    EXPECT_DOUBLE_EQ(value, forward.a) << "at " << x;
    EXPECT_NEAR(dx, forward.v[0], 1e-15 * std::max(1.0, std::abs(forward.v[0]))) << "at " << x;
    EXPECT_TRUE(std::isfinite(dx));
  };
  for (double x : {0.3, 0.7, 1.9}) {
    check([](auto v) { return exp(v); }, x);
    check([](auto v) { return expm1(v); }, x);
    check([](auto v) { return log(v); }, x);
    check([](auto v) { return log1p(v); }, x);
    check([](auto v) { return log10(v); }, x);
    check([](auto v) { return sqrt(v); }, x);
    check([](auto v) { return cbrt(v); }, x);
    check([](auto v) { return sin(v); }, x);
    check([](auto v) { return cos(v); }, x);
    check([](auto v) { return tan(v); }, x);
    check([](auto v) { return atan(v); }, x);
    check([](auto v) { return sinh(v); }, x);
    check([](auto v) { return cosh(v); }, x);
    check([](auto v) { return tanh(v); }, x);
    check([](auto v) { return erf(v); }, x);
    check([](auto v) { return pow(v, 2.5); }, x);
    check([](auto v) { return pow(v, 3); }, x);
    check([](auto v) { return pow(1.7, v); }, x);
    check([](auto v) { return pow(v, v); }, x);
    check([](auto v) { return 1.0 / v - v / 3 + 2 * v - (4 - v) * v; }, x);
  }
  for (double x : {-0.5, 0.2, 0.6}) {
    check([](auto v) { return asin(v); }, x);
    check([](auto v) { return acos(v); }, x);
    check([](auto v) { return abs(v); }, x);
    check([](auto v) { return -fabs(v) + 1; }, x);
  }
}

// x used several times: the sweep adds every path's contribution.
TEST(Tape, FanOutAddsEveryPath) {
  const double x = 1.3;
  const double dx = reverse_derivative(
      [](TapeVar v) {
        TapeVar s = v * v;
        s += sin(v);
        s *= v;  // (x² + sin x)·x
        return s / (1.0 + v);
      },
      x);
  const double f = (x * x + std::sin(x)) * x, df = (2 * x + std::cos(x)) * x + x * x + std::sin(x);
  EXPECT_NEAR(dx, (df * (1 + x) - f) / ((1 + x) * (1 + x)), 1e-14);
}

TEST(Tape, TwoArgumentFunctionsHaveBothPartials) {
  const double a = 0.8, b = -1.3;
  const auto partials = [&](const auto& f) {
    Tape tape;
    std::vector<double> adjoints;
    TapeVar out;
    {
      TapeRecording recording(tape);
      const TapeVar x = TapeRecording::independent(a), y = TapeRecording::independent(b);
      out = f(x, y);
    }
    double row[2];
    tape.jacobian_rows(&out.index, 1, 2, row, 2, 1, adjoints);
    using D2 = Dual<double, 2>;
    const D2 forward = f(D2(a, 0), D2(b, 1));
    EXPECT_DOUBLE_EQ(out.a, forward.a);
    EXPECT_NEAR(row[0], forward.v[0], 1e-15 * std::max(1.0, std::abs(forward.v[0])));
    EXPECT_NEAR(row[1], forward.v[1], 1e-15 * std::max(1.0, std::abs(forward.v[1])));
  };
  partials([](auto x, auto y) { return atan2(y, x); });
  partials([](auto x, auto y) { return hypot(x, y); });
  partials([](auto x, auto y) { return pow(x, y * y); });
  partials([](auto x, auto y) { return x * y - x / y + y / x; });
  partials([](auto x, auto y) { return fmin(x, y) + 2 * fmax(x, y); });
}

// Constants stay off the tape: an expression of constants records nothing, and a constant
// output has a zero row.
TEST(Tape, ConstantsRecordNothing) {
  Tape tape;
  std::vector<double> adjoints;
  TapeVar c, x;
  {
    TapeRecording recording(tape);
    x = TapeRecording::independent(2.0);
    c = exp(TapeVar(1.5)) * 3.0 + TapeVar(2.0) / 7.0;
    EXPECT_EQ(c.index, -1);
    EXPECT_EQ(tape.size(), 1);
  }
  const std::int32_t outputs[2] = {c.index, x.index};
  double rows[2] = {7, 7};
  tape.jacobian_rows(outputs, 2, 1, rows, 1, 1, adjoints);
  EXPECT_EQ(rows[0], 0.0);  // the constant
  EXPECT_EQ(rows[1], 1.0);  // the input itself
  EXPECT_THROW(tape.jacobian_rows(outputs, 2, 5, rows, 1, 1, adjoints), ShapeError);
}

// A network's Jacobian (2 outputs, 114 weights): reverse sweeps, four rows at a time and singly,
// against one forward pass per column.
TEST(Tape, JacobianOfANetworkEqualsForwardMode) {
  const testing::TanhNetwork net{.hidden = 8};
  const Index n = net.num_parameters();
  const Vector<double> th = net.weights();
  // Seven outputs (rows 4 + 2 + 1 in the sweeps): the network's two, their sum and product,
  // and three repeats with a scale.
  const auto outputs7 = [&](const auto* p, auto* out) {
    using T = std::remove_cvref_t<decltype(*p)>;
    T r[2];
    net(p, r);
    out[0] = r[0];
    out[1] = r[1];
    out[2] = r[0] + r[1];
    out[3] = r[0] * r[1];
    for (int k = 4; k < 7; ++k) out[k] = static_cast<double>(k) * r[k % 2];
  };
  Tape tape;
  std::vector<double> adjoints;
  std::vector<TapeVar> x(static_cast<std::size_t>(n)), out(7);
  {
    TapeRecording recording(tape);
    for (Index j = 0; j < n; ++j) x[j] = TapeRecording::independent(th[j]);
    outputs7(x.data(), out.data());
  }
  std::int32_t index[7];
  for (int k = 0; k < 7; ++k) index[k] = out[k].index;
  Matrix<double> J(7, n);  // column-major: row stride 1, column stride 7
  tape.jacobian_rows(index, 7, n, J.data(), 1, 7, adjoints);

  Matrix<double> Jf(7, n);
  std::vector<D> xd(static_cast<std::size_t>(n)), od(7);
  for (Index j = 0; j < n; ++j) {
    for (Index k = 0; k < n; ++k) xd[k] = D(th[k]);
    xd[j].v[0] = 1;
    outputs7(xd.data(), od.data());
    for (int k = 0; k < 7; ++k) Jf(k, j) = od[k].v[0];
  }
  EXPECT_LE((J - Jf).cwiseAbs().maxCoeff(), 1e-14 * Jf.cwiseAbs().maxCoeff());
  EXPECT_GT((J.array() != 0).count(), 6 * n) << "most weights reach most outputs";
}

// Recordings nest (the inner tape is active inside, the outer one again after), and recording
// the same function again reuses the tape's storage.
TEST(Tape, RecordingsNestAndReuseStorage) {
  Tape outer, inner;
  std::vector<double> adjoints;
  TapeVar y;
  {
    TapeRecording a(outer);
    const TapeVar x = TapeRecording::independent(0.5);
    {
      TapeRecording b(inner);
      const TapeVar z = TapeRecording::independent(3.0);
      const TapeVar w = z * z;
      EXPECT_EQ(inner.size(), 2);
      double dz = 0;
      inner.jacobian_rows(&w.index, 1, 1, &dz, 1, 1, adjoints);
      EXPECT_EQ(dz, 6.0);
    }
    y = x * x * x;
  }
  EXPECT_EQ(outer.size(), 3);
  EXPECT_EQ(detail::active_tape, nullptr);

  if (!testing::allocation_counting_available()) GTEST_SKIP() << "sanitizer build";
  const testing::TanhNetwork net{.hidden = 8};
  const Vector<double> th = net.weights();
  std::vector<TapeVar> x(static_cast<std::size_t>(th.size())), r(2);
  Matrix<double> J(2, th.size());
  const auto record = [&] {
    TapeRecording recording(outer);
    for (Index j = 0; j < th.size(); ++j) x[j] = TapeRecording::independent(th[j]);
    net(x.data(), r.data());
  };
  record();
  const std::int32_t index[2] = {r[0].index, r[1].index};
  outer.jacobian_rows(index, 2, th.size(), J.data(), 1, 2, adjoints);
  testing::start_counting_allocations();
  record();
  outer.jacobian_rows(index, 2, th.size(), J.data(), 1, 2, adjoints);
  EXPECT_EQ(testing::stop_counting_allocations(), 0u);
}

TEST(Tape, ModeNamesRoundTrip) {
  for (AutoDiffMode mode : {AutoDiffMode::kAuto, AutoDiffMode::kForward, AutoDiffMode::kReverse}) {
    AutoDiffMode parsed{};
    ASSERT_TRUE(parse_enum(to_string(mode), parsed));
    EXPECT_EQ(parsed, mode);
  }
  AutoDiffMode parsed{};
  EXPECT_FALSE(parse_enum("backward", parsed));
  EXPECT_TRUE(reverse_mode_pays(2, 354));
  EXPECT_FALSE(reverse_mode_pays(65, 11));
  EXPECT_FALSE(reverse_mode_pays(1, 3));
}

}  // namespace
}  // namespace curvopt
