#include "curvopt/linalg/kronecker.h"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>

#include "curvopt/linalg/symmetric_eigen.h"
#include "linalg/dense_reference.h"

namespace curvopt {
namespace {

using testing::kEps;
using testing::relative_norm_error;
using testing::to;

template <class Scalar>
class KroneckerTest : public ::testing::Test {};
TYPED_TEST_SUITE(KroneckerTest, testing::ScalarTypes);

/// kron(A, G)(i·dG + k, j·dG + l) = A(i, j)·G(k, l): the matrix of V ↦ G V Aᵀ on column-major
/// vec, i.e. of V ↦ G V A for symmetric A.
Matrix<double> kron(const Matrix<double>& A, const Matrix<double>& G) {
  Matrix<double> K(A.rows() * G.rows(), A.cols() * G.cols());
  for (Index i = 0; i < A.rows(); ++i)
    for (Index j = 0; j < A.cols(); ++j)
      K.block(i * G.rows(), j * G.cols(), G.rows(), G.cols()) = A(i, j) * G;
  return K;
}

/// unvec(K⁻¹ vec(V)) for the dense K.
Matrix<double> dense_solve(const Matrix<double>& K, const Matrix<double>& V) {
  const Vector<double> x = K.llt().solve(Eigen::Map<const Vector<double>>(V.data(), V.size()));
  return Eigen::Map<const Matrix<double>>(x.data(), V.rows(), V.cols());
}

/// A second-moment factor (1/b)XXᵀ of b samples in d dimensions (rank min(b, d)).
Matrix<double> second_moment(Index d, Index b, Rng& rng) {
  const Matrix<double> X = testing::random_matrix(d, b, rng);
  return X * X.transpose() / static_cast<double>(b);
}

TYPED_TEST(KroneckerTest, PiIsTheRatioOfMeanTraces) {
  using Scalar = TypeParam;
  Matrix<Scalar> A = Matrix<Scalar>::Identity(3, 3) * Scalar(4), G = Matrix<Scalar>::Identity(2, 2);
  EXPECT_NEAR(kronecker_trace_pi<Scalar>(A, G), 2.0, 4 * kEps<Scalar>);
  G.setZero();
  EXPECT_EQ(kronecker_trace_pi<Scalar>(A, G), 1.0);
}

TYPED_TEST(KroneckerTest, FactoredDampingEqualsTheDenseKroneckerSolve) {
  using Scalar = TypeParam;
  Rng rng(31);
  const Index d_in = 6, d_out = 4;
  // Rank-deficient statistics (b < d_in), as early in training: only the damping makes it PD.
  const Matrix<double> A = second_moment(d_in, 4, rng), G = second_moment(d_out, 10, rng);
  const Matrix<double> V = testing::random_matrix(d_out, d_in, rng);
  const double gamma = 0.3;
  const double pi = std::sqrt((A.trace() / d_in) / (G.trace() / d_out));
  const Matrix<double> Ad = A + pi * gamma * Matrix<double>::Identity(d_in, d_in);
  const Matrix<double> Gd = G + gamma / pi * Matrix<double>::Identity(d_out, d_out);
  const Matrix<double> reference = dense_solve(kron(Ad, Gd), V);
  const double kappa = testing::condition(Ad) * testing::condition(Gd);

  KroneckerCholesky<Scalar> cholesky;
  ASSERT_EQ(cholesky.factorize(to<Scalar>(A), to<Scalar>(G), gamma),
            FactorStatus::kPositiveDefinite);
  EXPECT_NEAR(cholesky.pi(), pi, 10 * kEps<Scalar> * pi);
  Matrix<Scalar> U(d_out, d_in);
  cholesky.solve(to<Scalar>(V), U);
  EXPECT_LT(relative_norm_error(U, reference), 100 * kappa * kEps<Scalar>);

  KroneckerEigen<Scalar> eigen;
  ASSERT_TRUE(eigen.decompose(to<Scalar>(A), to<Scalar>(G)));
  eigen.solve_factored(to<Scalar>(V), gamma, U);
  EXPECT_LT(relative_norm_error(U, reference), 100 * kappa * kEps<Scalar>);
}

TYPED_TEST(KroneckerTest, EigenbasisDampingIsTheExactTikhonovInverse) {
  using Scalar = TypeParam;
  Rng rng(32);
  const Index d_in = 5, d_out = 7;
  const Matrix<double> A = second_moment(d_in, 20, rng), G = second_moment(d_out, 3, rng);
  const Matrix<double> V = testing::random_matrix(d_out, d_in, rng);
  KroneckerEigen<Scalar> eigen;
  ASSERT_TRUE(eigen.decompose(to<Scalar>(A), to<Scalar>(G)));
  Matrix<Scalar> U(d_out, d_in);
  for (const double lambda : {1e-2, 1.0}) {
    const Matrix<double> K =
        kron(A, G) + lambda * Matrix<double>::Identity(d_in * d_out, d_in * d_out);
    const Matrix<double> reference = dense_solve(K, V);
    eigen.solve_exact(to<Scalar>(V), lambda, U);
    // The factors' own rounding (ε‖A‖‖G‖) is amplified by ‖K⁻¹‖ = 1/λ_min(K).
    const double kappa = testing::condition(K);
    EXPECT_LT(relative_norm_error(U, reference), 100 * kappa * kEps<Scalar>) << lambda;
  }
}

TYPED_TEST(KroneckerTest, CholeskyReportsAnIndefiniteFactor) {
  using Scalar = TypeParam;
  Matrix<Scalar> A = Matrix<Scalar>::Identity(3, 3), G = Matrix<Scalar>::Identity(2, 2);
  A(1, 1) = -1;
  KroneckerCholesky<Scalar> cholesky;
  EXPECT_EQ(cholesky.factorize(A, G, 0.0), FactorStatus::kNotPositiveDefinite);
}

TYPED_TEST(KroneckerTest, SymmetricEigenMatchesEigenAtEverySize) {
  using Scalar = TypeParam;
  Rng rng(33);
  SymmetricEigen<Scalar> eig;
  eig.resize(60);
  for (const Index n : {1, 2, 3, 7, 60, 20}) {  // one object, sizes up and down
    const Matrix<double> X = testing::random_matrix(n, n, rng);
    const Matrix<Scalar> A = to<Scalar>(Matrix<double>(X + X.transpose()));
    ASSERT_TRUE(eig.compute(A));
    const Eigen::SelfAdjointEigenSolver<Matrix<Scalar>> reference(A);
    const Matrix<double> Ad = A.template cast<double>();
    const Matrix<double> Q = eig.eigenvectors().template cast<double>();
    const Vector<double> w = eig.eigenvalues().template cast<double>();
    const double scale = Ad.norm();
    EXPECT_LT((Ad * Q - Q * w.asDiagonal()).norm(), 50 * n * kEps<Scalar> * scale) << n;
    EXPECT_LT((Q.transpose() * Q - Matrix<double>::Identity(n, n)).norm(), 50 * n * kEps<Scalar>);
    EXPECT_LT((w - reference.eigenvalues().template cast<double>()).norm(),
              50 * n * kEps<Scalar> * scale);
    for (Index i = 1; i < n; ++i) EXPECT_LE(w(i - 1), w(i));
  }
}

}  // namespace
}  // namespace curvopt
