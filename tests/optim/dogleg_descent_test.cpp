#include "curvopt/optim/descent/dogleg_descent.h"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>

#include "curvopt/problem/least_squares_problem.h"
#include "curvopt/solve/solver.h"
#include "testing/curve_models.h"

namespace curvopt {
namespace {

// r = A x − b, so B = AᵀA and the Gauss-Newton step from x = 0 is the least-squares solution.
struct Linear {
  Eigen::Matrix<double, 4, 3> A;
  Eigen::Vector4d b;
  Linear() {
    A << 2, 0, 1, 0, 1, 0, 1, 1, 3, 0, 0.5, 1;
    b << 1, -2, 3, 0.5;
  }
};

class DoglegDescentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 4; ++i)
      problem_.add_residual_block(
          [row = linear_.A.row(i).eval(), bi = linear_.b[i]](const auto* x, auto* r) {
            r[0] = row[0] * x[0] + row[1] * x[1] + row[2] * x[2] - bi;
            return true;
          },
          1);
    x_ = Vector<double>::Zero(3);
    value_ = problem_.gradient(x_, gradient_);
    descent_.begin(problem_, 3);
    StepReport report;
    ASSERT_TRUE(descent_.prepare({problem_, x_, gradient_, value_, nullptr}, report));
    const Eigen::Matrix3d B = linear_.A.transpose() * linear_.A;
    gauss_newton_ = -B.ldlt().solve(gradient_);
    cauchy_ = -(gradient_.squaredNorm() / gradient_.dot(B * gradient_)) * gradient_;
  }

  Vector<double> step(double radius) {
    Vector<double> s(3);
    EXPECT_TRUE(descent_.step(radius, s).ok);
    return s;
  }

  Linear linear_;
  LeastSquaresProblem problem_{3};
  DoglegDescent<double> descent_;
  Vector<double> x_, gradient_{3};
  double value_ = 0;
  Eigen::Vector3d gauss_newton_, cauchy_;
};

TEST_F(DoglegDescentTest, LargeRadiusGivesTheGaussNewtonStep) {
  EXPECT_LE((step(1e3) - gauss_newton_).norm(), 1e-12 * gauss_newton_.norm());
}

TEST_F(DoglegDescentTest, SmallRadiusFollowsTheGradient) {
  const double radius = 0.1 * cauchy_.norm();
  const Vector<double> s = step(radius);
  EXPECT_NEAR(s.norm(), radius, 1e-14);
  EXPECT_LE((s + radius * gradient_.normalized()).norm(), 1e-14);
}

TEST_F(DoglegDescentTest, MiddleRadiusLandsOnTheDoglegAtTheBoundary) {
  ASSERT_LT(cauchy_.norm(), gauss_newton_.norm());
  const double radius = 0.5 * (cauchy_.norm() + gauss_newton_.norm());
  const Vector<double> s = step(radius);
  EXPECT_NEAR(s.norm(), radius, 1e-12);
  // On the segment from the Cauchy point to the Gauss-Newton step.
  const Eigen::Vector3d d = gauss_newton_ - cauchy_;
  const double tau = (s - cauchy_).dot(d) / d.squaredNorm();
  EXPECT_GT(tau, 0);
  EXPECT_LT(tau, 1);
  EXPECT_LE((s - cauchy_ - tau * d).norm(), 1e-12);
  // The model's curvature is sᵀAᵀAs.
  EXPECT_NEAR(descent_.curvature(s), (linear_.A * s).squaredNorm(), 1e-12);
}

TEST(DoglegSolve, SolvesTheExponentialFit) {
  LeastSquaresProblem problem = testing::exact_decay();
  Vector<double> x = (Vector<double>(3) << 1.0, 0.1, 0.0).finished();
  SolverOptions options;
  options.method = SolverMethod::kDogleg;
  const Summary summary = solve(problem, x, options);
  EXPECT_EQ(summary.termination, TerminationType::kConvergence) << summary.full_report();
  EXPECT_NEAR(x[0], 5, 1e-7);
  EXPECT_NEAR(x[1], 0.7, 1e-7);
  EXPECT_NEAR(x[2], 1, 1e-7);
}

}  // namespace
}  // namespace curvopt
