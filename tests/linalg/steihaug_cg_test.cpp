#include "curvopt/linalg/steihaug_cg.h"

#include <gtest/gtest.h>

#include <cmath>

#include "linalg/dense_reference.h"

namespace curvopt {
namespace {

using testing::dense_operator;
using testing::kEps;
using testing::relative_norm_error;
using testing::to;

template <class Scalar>
class SteihaugCgTest : public ::testing::Test {};
TYPED_TEST_SUITE(SteihaugCgTest, testing::ScalarTypes);

TYPED_TEST(SteihaugCgTest, InsideTheRegionItIsTheNewtonStep) {
  using Scalar = TypeParam;
  Rng rng(11);
  const Index n = 20;
  const double kappa = 100;
  const Matrix<double> B = testing::spd_with_condition(n, kappa, rng);
  const Vector<double> g = testing::random_vector(n, rng);
  const Vector<double> newton = -B.llt().solve(g);
  const Matrix<Scalar> Bs = to<Scalar>(B);
  // In floating point CG needs more than n iterations to reach ‖r‖ ≈ 10ε‖g‖.
  SteihaugCg<Scalar> tr(
      {.max_iterations = 10 * static_cast<int>(n), .relative_tolerance = 10 * kEps<Scalar>});
  Vector<Scalar> s(n);
  const SteihaugResult result = tr.solve(dense_operator(Bs), to<Scalar>(g), 10 * newton.norm(), s);
  EXPECT_FALSE(result.hit_boundary);
  EXPECT_EQ(result.termination, SteihaugTermination::kConverged) << to_string(result.termination);
  EXPECT_LT(relative_norm_error(s, newton), 100 * kappa * kEps<Scalar>);
  // The reduction of the Newton step is ½gᵀB⁻¹g.
  EXPECT_NEAR(result.predicted_reduction, -0.5 * g.dot(newton),
              100 * kappa * kEps<Scalar> * std::abs(g.dot(newton)));
  EXPECT_NEAR(result.step_norm, newton.norm(), 100 * kappa * kEps<Scalar> * newton.norm());
}

TYPED_TEST(SteihaugCgTest, StopsOnTheBoundaryWhenTheRadiusIsSmall) {
  using Scalar = TypeParam;
  Rng rng(12);
  const Index n = 20;
  const Matrix<double> B = testing::spd_with_condition(n, 100, rng);
  const Vector<double> g = testing::random_vector(n, rng);
  const double radius = 0.1 * B.llt().solve(g).norm();
  const Matrix<Scalar> Bs = to<Scalar>(B);
  SteihaugCg<Scalar> tr;
  Vector<Scalar> s(n);
  const SteihaugResult result = tr.solve(dense_operator(Bs), to<Scalar>(g), radius, s);
  EXPECT_TRUE(result.hit_boundary);
  EXPECT_EQ(result.termination, SteihaugTermination::kBoundary);
  const Vector<double> sd = s.template cast<double>();
  EXPECT_NEAR(sd.norm(), radius, 10 * kEps<Scalar> * radius);
  // The tracked model value is the model of the returned s, and at least the Cauchy decrease.
  const double m = testing::model(B, g, sd);
  EXPECT_NEAR(result.predicted_reduction, -m, 100 * kEps<Scalar> * (g.norm() * radius));
  const double cauchy_t = std::min(radius / g.norm(), g.squaredNorm() / g.dot(B * g));
  EXPECT_LE(m,
            testing::model(B, g, Vector<double>(-cauchy_t * g)) + 100 * kEps<Scalar> * std::abs(m));
}

TYPED_TEST(SteihaugCgTest, NegativeCurvatureGoesToTheBoundaryDownhill) {
  using Scalar = TypeParam;
  Rng rng(13);
  const Index n = 20;
  const Vector<double> eigenvalues = Vector<double>::LinSpaced(n, -3.0, 4.0);
  const Eigen::HouseholderQR<Matrix<double>> qr(testing::random_matrix(n, n, rng));
  const Matrix<double> Q = qr.householderQ();
  const Matrix<double> B = Q * eigenvalues.asDiagonal() * Q.transpose();
  const Matrix<Scalar> Bs = to<Scalar>(B);
  SteihaugCg<Scalar> tr;
  Vector<Scalar> s(n);
  const double radius = 1.5;
  // g mostly along the most negative eigenvector: the first direction −g has dᵀBd < 0.
  const Vector<double> g = Q.col(0) + 0.1 * testing::random_vector(n, rng) / std::sqrt(n);
  SteihaugResult result = tr.solve(dense_operator(Bs), to<Scalar>(g), radius, s);
  EXPECT_EQ(result.termination, SteihaugTermination::kNegativeCurvature);
  EXPECT_EQ(result.iterations, 1);
  Vector<double> sd = s.template cast<double>();
  EXPECT_NEAR(sd.norm(), radius, 10 * kEps<Scalar> * radius);
  EXPECT_GT(result.predicted_reduction, 0);
  EXPECT_NEAR(result.predicted_reduction, -testing::model(B, g, sd),
              100 * kEps<Scalar> * (g.norm() * radius + B.norm() * radius * radius));
  // A generic gradient: some iterations, then the boundary, with the model still decreasing.
  const Vector<double> g2 = testing::random_vector(n, rng);
  result = tr.solve(dense_operator(Bs), to<Scalar>(g2), radius, s);
  EXPECT_TRUE(result.hit_boundary);
  sd = s.template cast<double>();
  EXPECT_NEAR(sd.norm(), radius, 10 * kEps<Scalar> * radius);
  EXPECT_GT(result.predicted_reduction, 0);
  EXPECT_NEAR(result.predicted_reduction, -testing::model(B, g2, sd),
              100 * kEps<Scalar> * (g2.norm() * radius + B.norm() * radius * radius));
}

TYPED_TEST(SteihaugCgTest, ModelDecreasesAlongTheIterations) {
  using Scalar = TypeParam;
  Rng rng(14);
  const Index n = 30;
  const Matrix<double> B = testing::spd_with_condition(n, 1e3, rng);
  const Vector<double> g = testing::random_vector(n, rng);
  const Matrix<Scalar> Bs = to<Scalar>(B);
  double previous_norm = 0, previous_reduction = 0;
  for (int limit = 1; limit <= 10; ++limit) {
    SteihaugCg<Scalar> tr({.max_iterations = limit, .relative_tolerance = 0});
    Vector<Scalar> s(n);
    const SteihaugResult result = tr.solve(dense_operator(Bs), to<Scalar>(g), 1e6, s);
    EXPECT_EQ(result.iterations, limit);
    EXPECT_GT(result.step_norm, previous_norm);
    EXPECT_GT(result.predicted_reduction, previous_reduction);
    previous_norm = result.step_norm;
    previous_reduction = result.predicted_reduction;
  }
}

TYPED_TEST(SteihaugCgTest, ZeroGradientGivesTheZeroStep) {
  using Scalar = TypeParam;
  const Matrix<Scalar> B = Matrix<Scalar>::Identity(4, 4);
  Vector<Scalar> g = Vector<Scalar>::Zero(4), s = Vector<Scalar>::Ones(4);
  SteihaugCg<Scalar> tr;
  const SteihaugResult result = tr.solve(dense_operator(B), g, 1.0, s);
  EXPECT_EQ(result.iterations, 0);
  EXPECT_EQ(result.termination, SteihaugTermination::kConverged);
  EXPECT_EQ(s, g);
  EXPECT_EQ(to_string(SteihaugTermination::kNegativeCurvature), "negative-curvature");
}

}  // namespace
}  // namespace curvopt
