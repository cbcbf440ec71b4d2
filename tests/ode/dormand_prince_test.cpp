#include "curvopt/ode/dormand_prince.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "curvopt/core/errors.h"
#include "testing/curve_models.h"

namespace curvopt {
namespace {

// y' = −k y.
struct Decay {
  template <class T>
  bool operator()(double, const T* y, const T* theta, T* dydt) const {
    dydt[0] = -theta[0] * y[0];
    return true;
  }
};

// x' = v, v' = −ω² x.
struct Oscillator {
  template <class T>
  bool operator()(double, const T* y, const T* theta, T* dydt) const {
    dydt[0] = y[1];
    dydt[1] = -theta[0] * theta[0] * y[0];
    return true;
  }
};

using testing::LotkaVolterra;  // dx = a x − b x y; dy = −c y + d x y

// n independent yᵢ' = −kᵢ yᵢ + bᵢ with θ = [k₀…k_{n−1}, b₀…b_{n−1}]: n + 2n columns of S, more
// than one chunk of 16 for n = 6.
struct Relaxations {
  Index n;
  template <class T>
  bool operator()(double, const T* y, const T* p, T* dydt) const {
    for (Index i = 0; i < n; ++i) dydt[i] = -p[i] * y[i] + p[n + i];
    return true;
  }
};

// Never evaluable.
struct AlwaysFails {
  template <class T>
  bool operator()(double, const T*, const T*, T*) const {
    return false;
  }
};

// Outside its domain for t > 1.
struct FailsAfterOne {
  template <class T>
  bool operator()(double t, const T* y, const T*, T* dydt) const {
    dydt[0] = -y[0];
    return t <= 1;
  }
};

// NaN from t > 0.5 on.
struct NanAfterHalf {
  template <class T>
  bool operator()(double t, const T* y, const T*, T* dydt) const {
    dydt[0] = t > 0.5 ? T(std::numeric_limits<double>::quiet_NaN()) : -y[0];
    return true;
  }
};

// y' = y² blows up at t = 1 from y(0) = 1.
struct BlowUp {
  template <class T>
  bool operator()(double, const T* y, const T*, T* dydt) const {
    dydt[0] = y[0] * y[0];
    return true;
  }
};

Vector<double> vec(std::initializer_list<double> v) {
  Vector<double> out(static_cast<Index>(v.size()));
  Index i = 0;
  for (double x : v) out[i++] = x;
  return out;
}

Vector<double> linspace(double a, double b, Index count) {
  return Vector<double>::LinSpaced(count, a, b);
}

TEST(DormandPrince, TableauSatisfiesTheOrderConditions) {
  const ButcherTableau& bt = dormand_prince_tableau();
  double sum_b = 0, sum_e = 0;
  double moments[5] = {0, 0, 0, 0, 0};  // Σ bᵢ cᵢ^q = 1/(q + 1) for q ≤ 4
  for (int i = 0; i < 7; ++i) {
    double row = 0;
    for (int j = 0; j < i; ++j) row += bt.a[i][j];
    EXPECT_NEAR(row, bt.c[i], 1e-15) << "row " << i;
    sum_b += bt.b[i];
    sum_e += bt.e[i];
    for (int q = 0; q < 5; ++q) moments[q] += bt.b[i] * std::pow(bt.c[i], q);
    EXPECT_EQ(bt.a[6][i], bt.b[i]);  // FSAL
  }
  EXPECT_NEAR(sum_b, 1, 1e-15);
  EXPECT_NEAR(sum_e, 0, 1e-15);
  for (int q = 0; q < 5; ++q) EXPECT_NEAR(moments[q], 1.0 / (q + 1), 1e-15) << q;
}

TEST(DormandPrince, ExponentialDecayMatchesTheClosedFormToTheTolerance) {
  const double k = 0.7, y0 = 2;
  const Vector<double> times = linspace(0, 10, 21);
  double previous_error = std::numeric_limits<double>::infinity();
  for (double rtol : {1e-5, 1e-7, 1e-9, 1e-11}) {
    OdeOptions options;
    options.relative_tolerance = rtol;
    options.absolute_tolerance = 1e-3 * rtol;
    Matrix<double> y;
    const OdeResult result = integrate(Decay{}, 1, 1, vec({y0}), vec({k}), times, 0, options, y);
    ASSERT_TRUE(result.ok()) << result.message;
    EXPECT_EQ(result.num_outputs, times.size());
    EXPECT_EQ(result.t, 10);
    EXPECT_EQ(y(0, 0), y0);  // an output time at t0 is y0 itself
    double worst = 0;
    for (Index i = 0; i < times.size(); ++i) {
      const double exact = y0 * std::exp(-k * times[i]);
      // The error control bounds the local error by atol + rtol·|y| per step; on a contracting
      // problem the global error stays of that size (a small multiple of it).
      EXPECT_LE(std::abs(y(0, i) - exact), 10 * (rtol * exact + options.absolute_tolerance))
          << "rtol " << rtol << " t " << times[i];
      worst = std::max(worst, std::abs(y(0, i) - exact) / exact);
    }
    EXPECT_LT(worst, previous_error);  // tolerance proportionality
    previous_error = worst;
    // FSAL: 6 evaluations per attempted step, 1 at t0 and 1 for the starting step heuristic.
    EXPECT_EQ(result.num_rhs_evaluations,
              2 + 6 * (result.num_accepted_steps + result.num_rejected_steps));
  }
}

TEST(DormandPrince, HarmonicOscillatorKeepsItsPhaseAndEnergy) {
  const double omega = 2.0;
  const Vector<double> times = linspace(0, 10 * 2 * std::numbers::pi / omega, 41);  // ten periods
  OdeOptions options;
  options.relative_tolerance = 1e-10;
  options.absolute_tolerance = 1e-12;
  Matrix<double> y;
  const OdeResult result =
      integrate(Oscillator{}, 2, 1, vec({1, 0}), vec({omega}), times, 0, options, y);
  ASSERT_TRUE(result.ok()) << result.message;
  const double energy0 = 0.5 * omega * omega;
  for (Index i = 0; i < times.size(); ++i) {
    const double t = times[i];
    EXPECT_NEAR(y(0, i), std::cos(omega * t), 1e-8) << t;
    EXPECT_NEAR(y(1, i), -omega * std::sin(omega * t), 2e-8) << t;
    const double energy = 0.5 * y(1, i) * y(1, i) + 0.5 * omega * omega * y(0, i) * y(0, i);
    EXPECT_NEAR(energy, energy0, 1e-8 * energy0) << t;
  }
}

TEST(DormandPrince, ExponentialDecaySensitivitiesMatchTheClosedForm) {
  // dy/dy0 = e^{−kt}, dy/dk = −t y0 e^{−kt}.
  const double k = 1.3, y0 = 0.8;
  const Vector<double> times = linspace(0, 5, 11);
  OdeOptions options;
  options.relative_tolerance = 1e-10;
  options.absolute_tolerance = 1e-12;
  Matrix<double> y, S;
  const OdeResult result =
      integrate_with_sensitivities(Decay{}, 1, 1, vec({y0}), vec({k}), times, 0, options, y, S);
  ASSERT_TRUE(result.ok()) << result.message;
  ASSERT_EQ(S.rows(), 1);
  ASSERT_EQ(S.cols(), 2 * times.size());
  EXPECT_EQ(S(0, 0), 1);  // S(t0) = [I, 0]
  EXPECT_EQ(S(0, 1), 0);
  for (Index i = 0; i < times.size(); ++i) {
    const double t = times[i], e = std::exp(-k * t);
    EXPECT_NEAR(y(0, i), y0 * e, 1e-9 * y0 * e + 1e-11);
    EXPECT_NEAR(S(0, 2 * i), e, 1e-9 * e + 1e-11) << t;
    EXPECT_NEAR(S(0, 2 * i + 1), -t * y0 * e, 1e-9 * t * y0 * e + 1e-11) << t;
  }
}

TEST(DormandPrince, OscillatorSensitivitiesMatchTheClosedForm) {
  // x = x0 cos ωt + (v0/ω) sin ωt at x0 = 1, v0 = 0.5: three columns, Dual<double, 4>.
  const double omega = 1.5, x0 = 1, v0 = 0.5;
  const Vector<double> times = linspace(0, 6, 13);
  OdeOptions options;
  options.relative_tolerance = 1e-11;
  options.absolute_tolerance = 1e-13;
  Matrix<double> y, S;
  const OdeResult result = integrate_with_sensitivities(Oscillator{}, 2, 1, vec({x0, v0}),
                                                        vec({omega}), times, 0, options, y, S);
  ASSERT_TRUE(result.ok()) << result.message;
  for (Index i = 0; i < times.size(); ++i) {
    const double t = times[i], c = std::cos(omega * t), s = std::sin(omega * t);
    const auto Sk = S.middleCols(3 * i, 3);
    EXPECT_NEAR(Sk(0, 0), c, 1e-8) << t;          // ∂x/∂x0
    EXPECT_NEAR(Sk(0, 1), s / omega, 1e-8) << t;  // ∂x/∂v0
    EXPECT_NEAR(Sk(0, 2), -x0 * t * s - v0 * s / (omega * omega) + v0 * t * c / omega, 1e-8)
        << t;                                      // ∂x/∂ω
    EXPECT_NEAR(Sk(1, 0), -omega * s, 1e-8) << t;  // ∂v/∂x0
    EXPECT_NEAR(Sk(1, 1), c, 1e-8) << t;           // ∂v/∂v0
  }
}

TEST(DormandPrince, LotkaVolterraSensitivitiesMatchCentralDifferences) {
  const Vector<double> y0 = vec({10, 5}), theta = vec({1.1, 0.4, 0.4, 0.1});
  const Vector<double> times = linspace(0, 15, 16);
  OdeOptions options;
  options.relative_tolerance = 1e-12;
  options.absolute_tolerance = 1e-12;
  Matrix<double> y, S;
  const OdeResult result =
      integrate_with_sensitivities(LotkaVolterra{}, 2, 4, y0, theta, times, 0, options, y, S);
  ASSERT_TRUE(result.ok()) << result.message;
  Matrix<double> y_states;
  ASSERT_TRUE(integrate(LotkaVolterra{}, 2, 4, y0, theta, times, 0, options, y_states).ok());
  EXPECT_LT((y - y_states).cwiseAbs().maxCoeff(), 1e-8 * y.cwiseAbs().maxCoeff());

  // Column j of S against (y(x + h eⱼ) − y(x − h eⱼ))/2h, x = [y0, θ].
  for (Index j = 0; j < 6; ++j) {
    Vector<double> x(6);
    x << y0, theta;
    const double h = 1e-5 * std::abs(x[j]);
    Matrix<double> plus, minus;
    x[j] += h;
    ASSERT_TRUE(
        integrate(LotkaVolterra{}, 2, 4, x.head(2), x.tail(4), times, 0, options, plus).ok());
    x[j] -= 2 * h;
    ASSERT_TRUE(
        integrate(LotkaVolterra{}, 2, 4, x.head(2), x.tail(4), times, 0, options, minus).ok());
    for (Index i = 1; i < times.size(); ++i)
      for (Index s = 0; s < 2; ++s) {
        const double fd = (plus(s, i) - minus(s, i)) / (2 * h);
        const double exact = S(s, 6 * i + j);
        // Relative to the column's scale at that time: entries pass through zero.
        const double scale = S.middleCols(6 * i, 6).row(s).cwiseAbs().maxCoeff();
        EXPECT_LT(std::abs(fd - exact), 1e-6 * scale)
            << "state " << s << " column " << j << " t " << times[i];
      }
  }
}

TEST(DormandPrince, SensitivitiesOverSeveralChunksMatchTheClosedForm) {
  // n = 6, p = 12: 18 columns, two passes of Dual<double, 16>.
  const Index n = 6;
  Vector<double> y0(n), theta(2 * n);
  for (Index i = 0; i < n; ++i) {
    y0[i] = 1 + 0.5 * static_cast<double>(i);
    theta[i] = 0.3 + 0.2 * static_cast<double>(i);
    theta[n + i] = 0.1 * static_cast<double>(i) - 0.2;
  }
  const Vector<double> times = linspace(0, 4, 5);
  OdeOptions options;
  options.relative_tolerance = 1e-11;
  options.absolute_tolerance = 1e-13;
  Matrix<double> y, S;
  const OdeResult result =
      integrate_with_sensitivities(Relaxations{n}, n, 2 * n, y0, theta, times, 0, options, y, S);
  ASSERT_TRUE(result.ok()) << result.message;
  const Index m = 3 * n;
  for (Index k = 0; k < times.size(); ++k) {
    const double t = times[k];
    const auto Sk = S.middleCols(k * m, m);
    for (Index i = 0; i < n; ++i) {
      const double kk = theta[i], b = theta[n + i], e = std::exp(-kk * t), eq = b / kk;
      EXPECT_NEAR(y(i, k), eq + (y0[i] - eq) * e, 1e-9);
      for (Index j = 0; j < m; ++j) {
        double exact = 0;
        if (j == i) exact = e;                                                    // ∂/∂y0ᵢ
        if (j == n + i) exact = -b / (kk * kk) * (1 - e) - t * (y0[i] - eq) * e;  // ∂/∂kᵢ
        if (j == 2 * n + i) exact = (1 - e) / kk;                                 // ∂/∂bᵢ
        if (exact == 0)
          EXPECT_EQ(Sk(i, j), 0) << i << ", " << j;  // uncoupled: exactly zero
        else
          EXPECT_NEAR(Sk(i, j), exact, 1e-9) << "t " << t << " (" << i << ", " << j << ")";
      }
    }
  }
}

// A neural ODE, dy/dt = NN(y; θ) with 114 weights: the reverse-mode sensitivities (the default for
// this shape: 116 columns, 2 states) equal forward mode's and central differences. The two modes
// round differently, and the step control sees S, so they agree to the integration's tolerance,
// not to the bit.
TEST(DormandPrince, ReverseModeSensitivitiesEqualForwardMode) {
  const testing::TanhNetwork net{.hidden = 8};
  const Index p = net.num_parameters(), m = 2 + p;
  const Vector<double> theta = net.weights(), y0 = vec({0.8, -0.4}), times = linspace(0, 2, 5);
  OdeOptions options;
  options.relative_tolerance = 1e-10;
  options.absolute_tolerance = 1e-12;
  const auto run = [&](AutoDiffMode mode, Matrix<double>& y, Matrix<double>& S) {
    options.sensitivity_mode = mode;
    const OdeResult result =
        integrate_with_sensitivities(net, 2, p, y0, theta, times, 0, options, y, S);
    ASSERT_TRUE(result.ok()) << result.message;
  };
  Matrix<double> yf, Sf, yr, Sr, ya, Sa;
  run(AutoDiffMode::kForward, yf, Sf);
  run(AutoDiffMode::kReverse, yr, Sr);
  run(AutoDiffMode::kAuto, ya, Sa);
  EXPECT_EQ(ya, yr);
  EXPECT_EQ(Sa, Sr);
  EXPECT_LT((yf - yr).cwiseAbs().maxCoeff(), 1e-9 * yf.cwiseAbs().maxCoeff());
  const double scale = Sf.cwiseAbs().maxCoeff();
  EXPECT_LT((Sf - Sr).cwiseAbs().maxCoeff(), 1e-8 * scale);

  options.sensitivity_mode = AutoDiffMode::kAuto;
  for (Index j : {Index(0), Index(1), Index(5), Index(40), m - 1}) {
    Vector<double> x(m);
    x << y0, theta;
    const double h = 1e-5 * std::max(std::abs(x[j]), 0.1);
    Matrix<double> plus, minus;
    x[j] += h;
    ASSERT_TRUE(integrate(net, 2, p, x.head(2), x.tail(p), times, 0, options, plus).ok());
    x[j] -= 2 * h;
    ASSERT_TRUE(integrate(net, 2, p, x.head(2), x.tail(p), times, 0, options, minus).ok());
    for (Index k = 1; k < times.size(); ++k)
      for (Index s = 0; s < 2; ++s)
        EXPECT_LT(std::abs((plus(s, k) - minus(s, k)) / (2 * h) - Sr(s, k * m + j)), 1e-6 * scale)
            << "state " << s << " column " << j << " t " << times[k];
  }
}

// A right-hand side written for doubles and duals only: reverse mode is refused, the default
// stays forward.
struct DecayDualsOnly {
  bool operator()(double, const double* y, const double* k, double* dydt) const {
    dydt[0] = -k[0] * y[0];
    return true;
  }
  template <int N>
  bool operator()(double, const Dual<double, N>* y, const Dual<double, N>* k,
                  Dual<double, N>* dydt) const {
    dydt[0] = -k[0] * y[0];
    return true;
  }
};

TEST(DormandPrince, ReverseModeNeedsAGenericRightHandSide) {
  OdeOptions options;
  Matrix<double> y, S;
  ASSERT_TRUE(integrate_with_sensitivities(DecayDualsOnly{}, 1, 1, vec({1}), vec({0.5}), vec({1}),
                                           0, options, y, S)
                  .ok());
  EXPECT_NEAR(S(0, 1), -std::exp(-0.5), 1e-7);  // ∂y(1)/∂k = −t·e^(−kt)
  options.sensitivity_mode = AutoDiffMode::kReverse;
  EXPECT_THROW(integrate_with_sensitivities(DecayDualsOnly{}, 1, 1, vec({1}), vec({0.5}), vec({1}),
                                            0, options, y, S),
               ConfigError);
}

TEST(DormandPrince, RepeatedOutputTimesAndMaxStepAreHonoured) {
  const Vector<double> times = vec({0, 0, 1, 1, 2});
  OdeOptions options;
  options.max_step = 0.01;
  Matrix<double> y;
  const OdeResult result = integrate(Decay{}, 1, 1, vec({1}), vec({1}), times, 0, options, y);
  ASSERT_TRUE(result.ok()) << result.message;
  EXPECT_GE(result.num_accepted_steps, 200);
  EXPECT_EQ(y(0, 0), 1);
  EXPECT_EQ(y(0, 1), 1);
  EXPECT_EQ(y(0, 2), y(0, 3));
  EXPECT_NEAR(y(0, 4), std::exp(-2.0), 1e-8);
}

TEST(DormandPrince, RhsReturningFalseIsReportedNotThrown) {
  Matrix<double> y, S;
  OdeResult result = integrate(AlwaysFails{}, 1, 0, vec({1}), Vector<double>(), vec({1}), 0, {}, y);
  EXPECT_EQ(result.status, OdeStatus::kRhsFailed);
  EXPECT_NE(result.message.find("returned false"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("initial point"), std::string::npos) << result.message;

  // Outside the domain t > 1 only: the outputs before it are kept and the failure is at t ≈ 1.
  for (bool sensitivities : {false, true}) {
    const Vector<double> times = vec({0.5, 0.9, 2});
    result = sensitivities
                 ? integrate_with_sensitivities(FailsAfterOne{}, 1, 0, vec({1}), Vector<double>(),
                                                times, 0, {}, y, S)
                 : integrate(FailsAfterOne{}, 1, 0, vec({1}), Vector<double>(), times, 0, {}, y);
    EXPECT_EQ(result.status, OdeStatus::kRhsFailed) << to_string(result.status);
    EXPECT_EQ(result.num_outputs, 2);
    EXPECT_NEAR(result.t, 1, 1e-6);
    EXPECT_NEAR(y(0, 1), std::exp(-0.9), 1e-7);
    EXPECT_NE(result.message.find("step size reduced"), std::string::npos) << result.message;
  }
}

TEST(DormandPrince, NonFiniteValuesAreReported) {
  Matrix<double> y;
  OdeResult result =
      integrate(NanAfterHalf{}, 1, 0, vec({1}), Vector<double>(), vec({1}), 0, {}, y);
  EXPECT_EQ(result.status, OdeStatus::kNonFinite);
  EXPECT_NEAR(result.t, 0.5, 1e-6);
  EXPECT_NE(result.message.find("non-finite"), std::string::npos) << result.message;

  result = integrate(Decay{}, 1, 1, vec({std::nan("")}), vec({1}), vec({1}), 0, {}, y);
  EXPECT_EQ(result.status, OdeStatus::kNonFinite);
  EXPECT_FALSE(result.message.empty());

  // y' = y² blows up at t = 1: the integration must stop there, not run on or crash.
  result = integrate(BlowUp{}, 1, 0, vec({1}), Vector<double>(), vec({2}), 0, {}, y);
  EXPECT_FALSE(result.ok());
  EXPECT_NEAR(result.t, 1, 1e-6);
  EXPECT_LT(result.num_accepted_steps, 10000);
  EXPECT_FALSE(result.message.empty());
}

TEST(DormandPrince, MaxStepsIsReported) {
  OdeOptions options;
  options.max_steps = 10;
  options.max_step = 0.01;
  Matrix<double> y;
  const OdeResult result =
      integrate(Decay{}, 1, 1, vec({1}), vec({1}), vec({0.05, 1}), 0, options, y);
  EXPECT_EQ(result.status, OdeStatus::kMaxStepsReached);
  EXPECT_EQ(result.num_outputs, 1);
  EXPECT_EQ(result.num_accepted_steps + result.num_rejected_steps, 10);
  EXPECT_NE(result.message.find("max_steps = 10"), std::string::npos) << result.message;
}

TEST(DormandPrince, InvalidOptionsNameTheField) {
  EXPECT_EQ(OdeOptions{}.validate(), std::nullopt);
  const auto message = [](auto change) {
    OdeOptions options;
    change(options);
    return options.validate().value_or("");
  };
  EXPECT_NE(message([](OdeOptions& o) {
              o.relative_tolerance = -1;
            }).find("OdeOptions::relative_tolerance = -1: must be"),
            std::string::npos);
  EXPECT_NE(message([](OdeOptions& o) {
              o.absolute_tolerance = 0;
            }).find("OdeOptions::absolute_tolerance = 0: must be"),
            std::string::npos);
  EXPECT_NE(message([](OdeOptions& o) { o.initial_step = -0.5; }).find("initial_step"),
            std::string::npos);
  EXPECT_NE(message([](OdeOptions& o) { o.max_step = 0; }).find("OdeOptions::max_step = 0"),
            std::string::npos);
  EXPECT_NE(message([](OdeOptions& o) { o.max_steps = 0; }).find("OdeOptions::max_steps = 0"),
            std::string::npos);
  EXPECT_NE(message([](OdeOptions& o) {
              o.relative_tolerance = std::nan("");
            }).find("relative_tolerance"),
            std::string::npos);

  Matrix<double> y;
  OdeOptions bad;
  bad.relative_tolerance = -1;
  EXPECT_THROW(integrate(Decay{}, 1, 1, vec({1}), vec({1}), vec({1}), 0, bad, y), ConfigError);
  EXPECT_THROW(integrate(Decay{}, 1, 1, vec({1, 2}), vec({1}), vec({1}), 0, {}, y), ShapeError);
  EXPECT_THROW(integrate(Decay{}, 1, 2, vec({1}), vec({1}), vec({1}), 0, {}, y), ShapeError);
  EXPECT_THROW(integrate(Decay{}, 1, 1, vec({1}), vec({1}), vec({2, 1}), 0, {}, y), ValueError);
  EXPECT_THROW(integrate(Decay{}, 1, 1, vec({1}), vec({1}), vec({-1}), 0, {}, y), ValueError);
}

}  // namespace
}  // namespace curvopt
