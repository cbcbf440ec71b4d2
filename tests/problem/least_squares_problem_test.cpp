#include "curvopt/problem/least_squares_problem.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/problem/derivative_checker.h"
#include "testing/curve_models.h"

namespace curvopt {
namespace {

using testing::Decay;

bool decay_analytic(double t, double y, const double* p, double* r, double* J) {
  const double e = std::exp(-p[1] * t);
  r[0] = y - (p[0] * e + p[2]);
  if (J) {
    J[0] = -e;
    J[1] = p[0] * t * e;
    J[2] = -1;
  }
  return true;
}

// Twenty parameters: more than one chunk of sixteen dual directions.
struct Polynomial20 {
  double t;
  template <class T>
  bool operator()(const T* p, T* r) const {
    T sum = p[19];
    for (int j = 18; j >= 0; --j) sum = sum * t + p[j] * p[j];
    r[0] = sum;
    r[1] = p[0] * p[19] - t;
    return true;
  }
};

const std::vector<double> kTimes{0, 0.5, 1, 2, 3, 5, 8};
const std::vector<double> kValues{5.1, 3.9, 3.1, 2.2, 1.7, 1.3, 1.05};

LeastSquaresProblem decay_problem(int kind,
                                  NumericDifference method = NumericDifference::kCentral) {
  LeastSquaresProblem problem(3);
  for (std::size_t i = 0; i < kTimes.size(); ++i) {
    const double t = kTimes[i], y = kValues[i];
    if (kind == 0) problem.add_residual_block(Decay{t, y}, 1);
    if (kind == 1)
      problem.add_analytic_residual_block(
          [t, y](const double* p, double* r, double* J) { return decay_analytic(t, y, p, r, J); },
          1);
    if (kind == 2)
      problem.add_numeric_residual_block(
          [t, y](const double* p, double* r) {
            return Decay{t, y}(p, r);
          },
          1, method);
  }
  return problem;
}

Matrix<double> jacobian_of(LeastSquaresProblem& problem, const Vector<double>& x) {
  Matrix<double> J(problem.num_residuals(), problem.num_parameters());
  problem.jacobian(x, J);
  return J;
}

TEST(LeastSquaresProblem, DualNumberJacobianEqualsAnalytic) {
  auto automatic = decay_problem(0);
  auto analytic = decay_problem(1);
  const Vector<double> x = (Vector<double>(3) << 4.0, 0.4, 1.0).finished();
  const Matrix<double> Ja = jacobian_of(automatic, x), Jb = jacobian_of(analytic, x);
  EXPECT_LE((Ja - Jb).cwiseAbs().maxCoeff(), 1e-15);
  EXPECT_DOUBLE_EQ(automatic.value(x), analytic.value(x));
}

// One block of all seven residuals, its Jacobian written in place through the view (into the
// problem's column-major storage, no row-major copy), equals the per-point analytic blocks.
TEST(LeastSquaresProblem, InPlaceAnalyticJacobianEqualsRowMajor) {
  LeastSquaresProblem in_place(3);
  in_place.add_analytic_residual_block(
      [](const double* p, double* r, const JacobianView& J) {
        for (std::size_t i = 0; i < kTimes.size(); ++i) {
          double row[3];
          decay_analytic(kTimes[i], kValues[i], p, r + i, J.data ? row : nullptr);
          if (J.data)
            for (Index j = 0; j < 3; ++j) J(static_cast<Index>(i), j) = row[j];
        }
        return true;
      },
      static_cast<Index>(kTimes.size()));
  auto row_major = decay_problem(1);
  const Vector<double> x = (Vector<double>(3) << 4.0, 0.4, 1.0).finished();
  EXPECT_EQ(jacobian_of(in_place, x), jacobian_of(row_major, x));
  EXPECT_DOUBLE_EQ(in_place.value(x), row_major.value(x));  // one sum against seven
  EXPECT_THROW(in_place.add_analytic_residual_block(AnalyticJacobianFunction{}, 1), ConfigError);
}

TEST(LeastSquaresProblem, FiniteDifferencesReachTheirAccuracy) {
  auto analytic = decay_problem(1);
  const Vector<double> x = (Vector<double>(3) << 4.0, 0.4, 1.0).finished();
  const Matrix<double> J = jacobian_of(analytic, x);
  const double scale = J.cwiseAbs().maxCoeff();
  // Forward: O(√ε); central: O(ε^⅔); Ridders' extrapolation: near ε.
  const std::pair<NumericDifference, double> expected[] = {{NumericDifference::kForward, 1e-6},
                                                           {NumericDifference::kCentral, 1e-9},
                                                           {NumericDifference::kRidders, 1e-12}};
  for (const auto& [method, tolerance] : expected) {
    auto numeric = decay_problem(2, method);
    const double error = (jacobian_of(numeric, x) - J).cwiseAbs().maxCoeff() / scale;
    EXPECT_LE(error, tolerance) << to_string(method);
    if (method == NumericDifference::kRidders) {
      EXPECT_GT(error, 0.0) << "not the analytic path";
    }
  }
}

TEST(LeastSquaresProblem, ChunkedDualsCoverManyParameters) {
  LeastSquaresProblem automatic(20);
  LeastSquaresProblem numeric(20);
  for (double t : {0.1, 0.5, 0.9}) {
    automatic.add_residual_block(Polynomial20{t}, 2, nullptr, AutoDiffMode::kForward);
    numeric.add_numeric_residual_block(
        [t](const double* p, double* r) { return Polynomial20{t}(p, r); }, 2,
        NumericDifference::kRidders);
  }
  Vector<double> x(20);
  for (int j = 0; j < 20; ++j) x[j] = 0.3 + 0.05 * j;
  const Matrix<double> Ja = jacobian_of(automatic, x), Jn = jacobian_of(numeric, x);
  EXPECT_LE((Ja - Jn).cwiseAbs().maxCoeff(), 1e-9 * Ja.cwiseAbs().maxCoeff());
  // The last four columns come from the second chunk; p₁₉ enters both residuals.
  EXPECT_NE(Ja(1, 19), 0.0);
}

// A network's residuals (2 per point, 114 weights): reverse mode, forward mode and Ridders'
// differences give one Jacobian; the default picks reverse mode for this wide block.
TEST(LeastSquaresProblem, ForwardAndReverseModesAgree) {
  const testing::TanhNetwork net{.hidden = 8};
  const Index n = net.num_parameters();
  LeastSquaresProblem forward(n), reverse(n), automatic(n), numeric(n);
  for (int k = 0; k < 5; ++k) {
    testing::TanhNetwork point = net;
    point.x0 = 0.2 * k - 0.4;
    point.x1 = 0.5 - 0.1 * k;
    point.target0 = 0.1 * k;
    forward.add_residual_block(point, 2, nullptr, AutoDiffMode::kForward);
    reverse.add_residual_block(point, 2, nullptr, AutoDiffMode::kReverse);
    automatic.add_residual_block(point, 2);
    numeric.add_numeric_residual_block([point](const double* p, double* r) { return point(p, r); },
                                       2, NumericDifference::kRidders);
  }
  const Vector<double> x = net.weights();
  const Matrix<double> Jf = jacobian_of(forward, x), Jr = jacobian_of(reverse, x);
  const double scale = Jf.cwiseAbs().maxCoeff();
  EXPECT_LE((Jf - Jr).cwiseAbs().maxCoeff(), 1e-14 * scale);
  EXPECT_EQ(jacobian_of(automatic, x), Jr);
  EXPECT_LE((jacobian_of(numeric, x) - Jr).cwiseAbs().maxCoeff(), 1e-9 * scale);
  Vector<double> rf(10), rr(10);
  forward.residuals(x, rf);
  reverse.residuals(x, rr);
  EXPECT_LE((rf - rr).cwiseAbs().maxCoeff(), 1e-15 * rf.cwiseAbs().maxCoeff());

  EXPECT_TRUE(AutoDiffResidualBlock<testing::TanhNetwork>(net, 2).uses_reverse_mode(n));
  EXPECT_FALSE(AutoDiffResidualBlock<testing::TanhNetwork>(net, 2, AutoDiffMode::kForward)
                   .uses_reverse_mode(n));
  EXPECT_FALSE(AutoDiffResidualBlock<Decay>(Decay{1, 2}, 1).uses_reverse_mode(3));
}

// A functor written for doubles and duals only cannot take reverse mode; asking for it is a
// configuration error, and the default quietly stays forward.
struct DualsOnly {
  bool operator()(const double* p, double* r) const {
    r[0] = p[0] * p[0];
    return true;
  }
  template <int N>
  bool operator()(const Dual<double, N>* p, Dual<double, N>* r) const {
    r[0] = p[0] * p[0];
    return true;
  }
};

TEST(LeastSquaresProblem, ReverseModeNeedsAGenericFunctor) {
  EXPECT_THROW(AutoDiffResidualBlock<DualsOnly>(DualsOnly{}, 1, AutoDiffMode::kReverse),
               ConfigError);
  LeastSquaresProblem wide(40);
  wide.add_residual_block(DualsOnly{}, 1);
  Vector<double> x = Vector<double>::Constant(40, 3.0);
  const Matrix<double> J = jacobian_of(wide, x);
  EXPECT_EQ(J(0, 0), 6.0);
  EXPECT_EQ(J.rightCols(39).cwiseAbs().maxCoeff(), 0.0);
}

TEST(LeastSquaresProblem, OraclesAgreeWithTheJacobian) {
  auto problem = decay_problem(0);
  const Vector<double> x = (Vector<double>(3) << 4.0, 0.4, 1.0).finished();
  const Matrix<double> J = jacobian_of(problem, x);
  Vector<double> r(problem.num_residuals()), g(3), v(3), out(3), Jv(problem.num_residuals());
  problem.residuals(x, r);
  EXPECT_NEAR(problem.gradient(x, g), 0.5 * r.squaredNorm(), 1e-15);
  EXPECT_LE((g - J.transpose() * r).norm(), 1e-14);
  v << 0.3, -1.0, 2.0;
  problem.jvp(x, v, Jv);
  EXPECT_LE((Jv - J * v).norm(), 1e-14);
  problem.ggn_vector_product(x, v, out);
  EXPECT_LE((out - J.transpose() * (J * v)).norm(), 1e-13);
  Matrix<double> G(problem.num_residuals(), problem.num_residuals());
  problem.gram(x, G);
  EXPECT_LE((G - J * J.transpose()).norm(), 1e-13);
  Matrix<double> JtJ = Matrix<double>::Zero(3, 3);
  problem.gauss_newton_matrix(x, JtJ);
  const Matrix<double> reference = J.transpose() * J;
  EXPECT_LE((JtJ.triangularView<Eigen::Lower>().toDenseMatrix() -
             reference.triangularView<Eigen::Lower>().toDenseMatrix())
                .norm(),
            1e-13);
  // One block evaluation serves every oracle at one point.
  EXPECT_EQ(problem.num_jacobian_evaluations(), 1);
  EXPECT_EQ(problem.num_residual_evaluations(), 0);
}

TEST(LeastSquaresProblem, RobustGradientIsTheDerivativeOfTheRobustCost) {
  for (const char* name : {"huber", "soft-l1", "cauchy", "arctan", "tukey"}) {
    LeastSquaresProblem problem(3);
    const auto loss = make_robust_loss(name, 0.5);
    for (std::size_t i = 0; i < kTimes.size(); ++i)
      problem.add_residual_block(Decay{kTimes[i], kValues[i] + (i == 3 ? 1.5 : 0.0)}, 1, loss);
    const Vector<double> x = (Vector<double>(3) << 4.0, 0.4, 1.0).finished();
    Vector<double> g(3);
    problem.gradient(x, g);
    for (int j = 0; j < 3; ++j) {
      Vector<double> up = x, down = x;
      const double h = 1e-6;
      up[j] += h;
      down[j] -= h;
      const double reference = (problem.value(up) - problem.value(down)) / (2 * h);
      EXPECT_NEAR(g[j], reference, 1e-7 * std::max(1.0, std::abs(reference))) << name << " " << j;
    }
  }
}

TEST(LeastSquaresProblem, RobustCostDownweightsOutliers) {
  LeastSquaresProblem plain(3), robust(3);
  const auto loss = make_robust_loss("cauchy", 0.1);
  for (std::size_t i = 0; i < kTimes.size(); ++i) {
    plain.add_residual_block(Decay{kTimes[i], kValues[i] + (i == 3 ? 10.0 : 0.0)}, 1);
    robust.add_residual_block(Decay{kTimes[i], kValues[i] + (i == 3 ? 10.0 : 0.0)}, 1, loss);
  }
  const Vector<double> x = (Vector<double>(3) << 4.0, 0.4, 1.0).finished();
  EXPECT_LT(robust.value(x), 0.01 * plain.value(x));
}

TEST(LeastSquaresProblem, InfeasiblePointsHaveNaNCost) {
  LeastSquaresProblem problem(1);
  problem.add_residual_block(
      [](const auto* p, auto* r) {
        using std::log;
        if (p[0] <= 0.0) return false;  // outside the model's domain
        r[0] = log(p[0]);
        return true;
      },
      1);
  const Vector<double> bad = Vector<double>::Constant(1, -1.0);
  EXPECT_TRUE(std::isnan(problem.value(bad)));
  Matrix<double> J(1, 1);
  try {
    problem.jacobian(bad, J);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("residual block 0 returned false"), std::string::npos);
  }
  const Vector<double> nan_point = Vector<double>::Constant(1, 0.0);
  // log(0) = −inf: feasible by the functor but not finite.
  problem.add_residual_block(
      [](const auto* p, auto* r) {
        r[0] = p[0] * 1.0;
        return true;
      },
      1);
  EXPECT_FALSE(std::isfinite(problem.value(nan_point)));
}

// Reverse mode meets NaN as forward mode does: a wide block (40 parameters, so the default is
// reverse) whose only non-finite piece is a derivative — √x at 0 has value 0 and slope ∞ — makes
// the point unusable for derivatives, and a failing functor makes it infeasible.
TEST(LeastSquaresProblem, ReverseModeNonFiniteDerivativesAreRefused) {
  LeastSquaresProblem problem(40);
  problem.add_residual_block(
      [](const auto* p, auto* r) {
        using std::sqrt;
        if (p[1] < 0.0) return false;
        auto sum = sqrt(p[0]);
        for (int j = 1; j < 40; ++j) sum += p[j] * p[j];
        r[0] = sum;
        return true;
      },
      1);
  Vector<double> x = Vector<double>::Constant(40, 0.5);
  x[0] = 0;
  EXPECT_TRUE(std::isfinite(problem.value(x)));  // the residual itself is fine
  Matrix<double> J(1, 40);
  EXPECT_THROW(problem.jacobian(x, J), ValueError);
  Vector<double> g(40);
  EXPECT_TRUE(std::isnan(problem.gradient(x, g)));  // a minimizer then keeps θ
  x[0] = 1;
  problem.jacobian(x, J);
  EXPECT_DOUBLE_EQ(J(0, 0), 0.5);
  EXPECT_DOUBLE_EQ(J(0, 39), 1.0);
  x[1] = -1;
  EXPECT_TRUE(std::isnan(problem.value(x)));
}

TEST(LeastSquaresProblem, DerivativeCheckerPassesGoodAndCatchesWrongJacobians) {
  auto good = decay_problem(1);
  const Vector<double> x = (Vector<double>(3) << 4.0, 0.4, 1.0).finished();
  const DerivativeCheckReport ok = check_derivatives(good, x);
  EXPECT_TRUE(ok.passed) << ok.log;
  ASSERT_TRUE(ok.jacobian_error.has_value());
  EXPECT_LT(*ok.jacobian_error, 1e-8);
  // A user's Jacobian with the sign of ∂r/∂b flipped: the checker names the entry.
  LeastSquaresProblem wrong(3);
  for (std::size_t i = 0; i < kTimes.size(); ++i)
    wrong.add_analytic_residual_block(
        [t = kTimes[i], y = kValues[i]](const double* p, double* r, double* J) {
          decay_analytic(t, y, p, r, J);
          if (J) J[1] = -J[1];
          return true;
        },
        1);
  const DerivativeCheckReport bad = check_derivatives(wrong, x);
  EXPECT_FALSE(bad.passed);
  EXPECT_NE(bad.log.find(", 1): analytic"), std::string::npos) << bad.log;
}

TEST(LeastSquaresProblem, BadUseIsRefused) {
  EXPECT_THROW(LeastSquaresProblem(0), ConfigError);
  LeastSquaresProblem problem(2);
  EXPECT_THROW(problem.value(Vector<double>::Zero(2)), ConfigError);  // no blocks
  EXPECT_THROW(problem.add_residual_block(Decay{0, 0}, 0), ConfigError);
  problem.add_residual_block(
      [](const auto* p, auto* r) {
        r[0] = p[0] - p[1];
        return true;
      },
      1);
  EXPECT_THROW(problem.value(Vector<double>::Zero(3)), ShapeError);
}

}  // namespace
}  // namespace curvopt
