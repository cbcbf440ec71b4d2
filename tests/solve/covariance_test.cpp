#include "curvopt/solve/covariance.h"

#include <gtest/gtest.h>

#include <Eigen/LU>
#include <Eigen/QR>

#include <cmath>

#include "curvopt/core/errors.h"
#include "curvopt/problem/least_squares_problem.h"
#include "curvopt/solve/solver.h"

namespace curvopt {
namespace {

// Straight-line fit y ≈ x₀ + x₁·t with the textbook closed form: Cov = σ̂²(AᵀA)⁻¹,
// σ̂² = ‖r‖²/(m − 2).
TEST(Covariance, EqualsTheClosedFormOnLinearLeastSquares) {
  const double t[6] = {0, 1, 2, 3, 4, 5};
  const double y[6] = {1.1, 2.9, 5.2, 6.8, 9.1, 11.2};
  LeastSquaresProblem problem(2);
  for (int i = 0; i < 6; ++i)
    problem.add_residual_block(
        [ti = t[i], yi = y[i]](const auto* x, auto* r) {
          r[0] = x[0] + ti * x[1] - yi;
          return true;
        },
        1);
  Vector<double> x = Vector<double>::Zero(2);
  ASSERT_EQ(solve(problem, x).termination, TerminationType::kConvergence);
  Eigen::Matrix<double, 6, 2> A;
  Eigen::Matrix<double, 6, 1> b;
  for (int i = 0; i < 6; ++i) {
    A.row(i) << 1, t[i];
    b[i] = y[i];
  }
  const Eigen::Vector2d beta = A.colPivHouseholderQr().solve(b);
  const double sigma2 = (A * beta - b).squaredNorm() / 4;
  const Eigen::Matrix2d reference = sigma2 * (A.transpose() * A).inverse();

  const CovarianceResult c = covariance(problem, x);
  ASSERT_TRUE(c.ok) << c.message;
  EXPECT_EQ(c.rank, 2);
  EXPECT_EQ(c.degrees_of_freedom, 4);
  EXPECT_NEAR(c.residual_variance, sigma2, 1e-12);
  EXPECT_LE((c.covariance - reference).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_NEAR(c.standard_errors[1], std::sqrt(reference(1, 1)), 1e-12);
  // 95 % interval: t(0.975, 4) = 2.7764451051977944.
  EXPECT_NEAR(c.confidence_half_widths(0.95)[1], 2.7764451051977944 * c.standard_errors[1], 1e-10);

  CovarianceOptions absolute;
  absolute.scale_by_residual_variance = false;
  const CovarianceResult raw = covariance(problem, x, absolute);
  EXPECT_LE((raw.covariance - (A.transpose() * A).inverse()).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(Covariance, RankDeficiencyIsDetectedAndNamed) {
  // y depends on x₀ + x₁ only: the two cannot be told apart.
  LeastSquaresProblem problem(3);
  for (double t : {0.0, 1.0, 2.0, 3.0})
    problem.add_residual_block(
        [t](const auto* x, auto* r) {
          r[0] = (x[0] + x[1]) * t + x[2] - (2 * t + 1);
          return true;
        },
        1);
  const Vector<double> x = (Vector<double>(3) << 1.0, 1.0, 1.0).finished();
  const CovarianceResult c = covariance(problem, x);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.rank, 2);
  EXPECT_NE(c.message.find("rank deficient"), std::string::npos) << c.message;
  ASSERT_EQ(c.unidentifiable.size(), 1u);
  EXPECT_TRUE(c.unidentifiable[0] == 0 || c.unidentifiable[0] == 1);
  CovarianceOptions pseudo;
  pseudo.pseudo_inverse_when_rank_deficient = true;
  pseudo.scale_by_residual_variance = false;
  const CovarianceResult p = covariance(problem, x, pseudo);
  EXPECT_TRUE(p.ok);
  // The pseudo-inverse splits the combined direction evenly.
  EXPECT_NEAR(p.covariance(0, 0), p.covariance(1, 1), 1e-10);
  // Fixing one of the pair makes the rest identifiable.
  CovarianceOptions fixed;
  fixed.fixed = {1};
  fixed.scale_by_residual_variance = false;  // the fit is exact: σ̂² = 0
  const CovarianceResult f = covariance(problem, x, fixed);
  EXPECT_TRUE(f.ok) << f.message;
  EXPECT_EQ(f.covariance(1, 1), 0);
  EXPECT_GT(f.standard_errors[0], 0);
}

TEST(Covariance, StudentQuantilesMatchTables) {
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.706204736174698, 1e-9);
  // Reference values from mpmath at 30 digits (the regularized incomplete beta, inverted).
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.2281388519862747, 1e-11);
  EXPECT_NEAR(student_t_quantile(0.95, 30), 1.6972608865939578, 1e-11);
  EXPECT_NEAR(student_t_quantile(0.025, 10), -2.2281388519862747, 1e-11);
  EXPECT_NEAR(student_t_quantile(0.975, 1e7), 1.959964, 1e-5);
  EXPECT_THROW(student_t_quantile(1.0, 3), ConfigError);
}

}  // namespace
}  // namespace curvopt
