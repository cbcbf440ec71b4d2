// The Cholesky factorization behind the Gauss-Newton solves, on both of its paths (Eigen's LLT
// below kCholeskyLapackMinSize, OpenBLAS's potrf from it on): factor, solves, shift, refusal.

#include "curvopt/linalg/cholesky.h"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <limits>

#include "testing/helpers.h"

namespace curvopt {
namespace {

template <class Scalar>
Matrix<Scalar> spd_matrix(Index n, Rng& rng) {
  const Matrix<double> A = testing::random_matrix(n, n + 3, rng);
  return (A * A.transpose() / static_cast<double>(n)).cast<Scalar>();
}

template <class Scalar>
class CholeskyTest : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CholeskyTest, Scalars);

TYPED_TEST(CholeskyTest, FactorsAndSolvesOnBothPaths) {
  using Scalar = TypeParam;
  // Round-off of a Cholesky solve grows like n·ε·cond(K); the shift keeps cond(K) below ~100.
  const double eps = std::numeric_limits<Scalar>::epsilon();
  for (const Index n : {Index(7), kCholeskyLapackMinSize - 1, kCholeskyLapackMinSize + 61}) {
    SCOPED_TRACE(n);
    Rng rng(static_cast<std::uint64_t>(n));
    const Matrix<Scalar> A = spd_matrix<Scalar>(n, rng);
    const double shift = 0.05;
    Matrix<Scalar> K = A;
    K.diagonal().array() += static_cast<Scalar>(shift);
    Matrix<Scalar> upper_garbage = A;  // only the lower triangle may be read
    upper_garbage.template triangularView<Eigen::StrictlyUpper>().setConstant(Scalar(7));
    Cholesky<Scalar> chol;
    ASSERT_TRUE(chol.factorize(upper_garbage, shift));
    ASSERT_TRUE(chol.ok());
    const Matrix<Scalar> L = chol.factor().template triangularView<Eigen::Lower>();
    const double tolerance = 10 * static_cast<double>(n) * eps * 100;
    EXPECT_LT(testing::relative_error(Matrix<double>((L * L.transpose()).template cast<double>()),
                                      Matrix<double>(K.template cast<double>())),
              tolerance);
    const Matrix<double> Kd = K.template cast<double>();
    const Vector<double> x = testing::random_vector(n, rng);
    Vector<Scalar> b = (Kd * x).cast<Scalar>();
    chol.solve_in_place(b);
    EXPECT_LT(testing::relative_error(Vector<double>(b.template cast<double>()), x), tolerance);
    const Matrix<double> X = testing::random_matrix(n, 3, rng);
    Matrix<Scalar> B = (Kd * X).cast<Scalar>();
    chol.solve_columns_in_place(B);
    EXPECT_LT(testing::relative_error(Matrix<double>(B.template cast<double>()), X), tolerance);
    // In place: the same factor from the caller-filled storage.
    Cholesky<Scalar> in_place;
    in_place.matrix() = A;
    ASSERT_TRUE(in_place.factorize_in_place(shift));
    EXPECT_EQ(Matrix<Scalar>(in_place.factor().template triangularView<Eigen::Lower>()), L);
  }
}

TYPED_TEST(CholeskyTest, RefusesIndefiniteAndNonFiniteMatrices) {
  using Scalar = TypeParam;
  for (const Index n : {Index(5), kCholeskyLapackMinSize + 4}) {
    SCOPED_TRACE(n);
    Rng rng(3);
    const Matrix<Scalar> A = spd_matrix<Scalar>(n, rng);
    Cholesky<Scalar> chol;
    ASSERT_TRUE(chol.factorize(A, 0.1));
    // A shift below −λ_min makes it indefinite.
    const double lambda_min =
        Eigen::SelfAdjointEigenSolver<Matrix<double>>(A.template cast<double>()).eigenvalues()(0);
    EXPECT_FALSE(chol.factorize(A, -lambda_min - 0.5));
    EXPECT_FALSE(chol.ok());
    Matrix<Scalar> bad = A;
    bad(n - 1, 1) = std::numeric_limits<Scalar>::quiet_NaN();
    EXPECT_FALSE(chol.factorize(bad, 0.1));
    bad = A;
    bad(0, 0) = std::numeric_limits<Scalar>::infinity();
    EXPECT_FALSE(chol.factorize(bad, 0.1));
    ASSERT_TRUE(chol.factorize(A, 0.1));  // usable again after a refusal
  }
}

}  // namespace
}  // namespace curvopt
