#include "curvopt/linalg/gram_solve.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "curvopt/linalg/cholesky.h"
#include "linalg/dense_reference.h"

namespace curvopt {
namespace {

using testing::kEps;
using testing::relative_norm_error;
using testing::to;

template <class Scalar>
class GramSolveTest : public ::testing::Test {};
TYPED_TEST_SUITE(GramSolveTest, testing::ScalarTypes);

/// κ of JᵀJ + λ·diag(d): the forward-error amplification of the parameter-space form.
double damped_condition(const Matrix<double>& J, double lambda, const Vector<double>& d) {
  return testing::condition(J.transpose() * J + lambda * Matrix<double>(d.asDiagonal()));
}

/// The data-space form also amplifies by κ(J D⁻¹ Jᵀ + λI), large for m > n and small λ (its
/// m − n eigenvalues λ beside ‖J‖²/d): (λD)⁻¹(b − Jᵀt) divides a cancellation by λ.
double data_space_condition(const Matrix<double>& J, double lambda, const Vector<double>& d) {
  const Index m = J.rows();
  const Matrix<double> K =
      J * d.cwiseInverse().asDiagonal() * J.transpose() + lambda * Matrix<double>::Identity(m, m);
  return std::max(damped_condition(J, lambda, d), testing::condition(K));
}

TYPED_TEST(GramSolveTest, MinimumNormStepEqualsTheDenseDampedSolve) {
  using Scalar = TypeParam;
  Rng rng(21);
  const double lambda = 0.1;
  for (const auto& [m, n] : {std::pair<Index, Index>{10, 30}, {30, 10}}) {
    const Matrix<double> J = testing::random_matrix(m, n, rng);
    const Vector<double> r = testing::random_vector(m, rng);
    const Matrix<double> system = J.transpose() * J + lambda * Matrix<double>::Identity(n, n);
    const Vector<double> reference = system.llt().solve(J.transpose() * r);
    const double kappa = data_space_condition(J, lambda, Vector<double>::Ones(n));
    GramSolver<Scalar> solver;
    const Matrix<Scalar> Js = to<Scalar>(J);
    solver.set_gram(Js);
    ASSERT_EQ(solver.factorize(lambda), FactorStatus::kPositiveDefinite);
    Vector<Scalar> s(n);
    ASSERT_TRUE(solver.solve_minimum_norm(Js, to<Scalar>(r), s));
    EXPECT_LT(relative_norm_error(s, reference), 10 * (m + n) * kappa * kEps<Scalar>)
        << m << "x" << n;
  }
}

TYPED_TEST(GramSolveTest, DampedSolveWithAndWithoutScalingEqualsTheDenseSolve) {
  using Scalar = TypeParam;
  Rng rng(22);
  const double lambda = 0.5;
  for (const auto& [m, n] : {std::pair<Index, Index>{12, 25}, {25, 12}}) {
    const Matrix<double> J = testing::random_matrix(m, n, rng);
    const Vector<double> b = testing::random_vector(n, rng);
    Vector<double> d(n);
    for (Index i = 0; i < n; ++i) d(i) = rng.uniform(0.2, 3.0);
    const Matrix<Scalar> Js = to<Scalar>(J);
    GramSolver<Scalar> solver;
    Vector<Scalar> s(n);
    for (const bool scaled : {false, true}) {
      const Vector<double> dd = scaled ? d : Vector<double>::Ones(n);
      const Matrix<double> system = J.transpose() * J + lambda * Matrix<double>(dd.asDiagonal());
      const Vector<double> reference = system.llt().solve(b);
      if (scaled) {
        solver.set_gram(Js, to<Scalar>(d));
      } else {
        solver.set_gram(Js);
      }
      ASSERT_EQ(solver.factorize(lambda), FactorStatus::kPositiveDefinite);
      ASSERT_TRUE(solver.solve_damped(Js, to<Scalar>(b), s));
      EXPECT_LT(relative_norm_error(s, reference),
                10 * (m + n) * data_space_condition(J, lambda, dd) * kEps<Scalar>)
          << m << "x" << n << (scaled ? " with D" : "");
    }
  }
}

TYPED_TEST(GramSolveTest, MatrixFreeAndOracleGramPathsMatchTheExplicitOne) {
  using Scalar = TypeParam;
  Rng rng(23);
  const Index m = 8, n = 20;
  const Matrix<Scalar> J = to<Scalar>(testing::random_matrix(m, n, rng));
  const Vector<Scalar> b = to<Scalar>(testing::random_vector(n, rng));
  GramSolver<Scalar> explicit_solver, oracle_solver;
  explicit_solver.set_gram(J);
  explicit_solver.factorize(0.3);
  Vector<Scalar> expected(n), s(n);
  explicit_solver.solve_damped(J, b, expected);
  // A Gram oracle writes the whole symmetric matrix; products come from jvp and vjp.
  oracle_solver.resize(m, n);
  oracle_solver.gram().noalias() = J * J.transpose();
  ASSERT_EQ(oracle_solver.factorize(0.3), FactorStatus::kPositiveDefinite);
  auto jvp = [&](ConstVectorRef<Scalar> v, VectorRef<Scalar> out) { out.noalias() = J * v; };
  auto vjp = [&](ConstVectorRef<Scalar> u, VectorRef<Scalar> out) {
    out.noalias() = J.transpose() * u;
  };
  ASSERT_TRUE(oracle_solver.solve_damped(jvp, vjp, b, s));
  // Same products and solves; only the Gram differs (GEMM vs rank-k update) in its last bits.
  EXPECT_LT(relative_norm_error(s, expected), 100 * kEps<Scalar>);
}

TYPED_TEST(GramSolveTest, ReportsANonPositiveDefiniteSystem) {
  using Scalar = TypeParam;
  Rng rng(24);
  const Matrix<Scalar> J = to<Scalar>(testing::random_matrix(6, 4, rng));
  GramSolver<Scalar> gram;
  gram.set_gram(J);
  // JJᵀ (6 × 6) has rank 4: shifted by −1 it is indefinite.
  EXPECT_EQ(gram.factorize(-1.0), FactorStatus::kNotPositiveDefinite);
  EXPECT_EQ(gram.factorize(1.0), FactorStatus::kPositiveDefinite);
  NormalEquationsSolver<Scalar> normal;
  normal.set_jacobian(J);
  EXPECT_EQ(normal.factorize(-1e6, Vector<Scalar>::Ones(4)), FactorStatus::kIndefiniteFallback);
  EXPECT_EQ(to_string(FactorStatus::kNotPositiveDefinite), "not-positive-definite");
}

TYPED_TEST(GramSolveTest, NormalEquationsEqualTheDenseSolveAndBlocksAddUp) {
  using Scalar = TypeParam;
  Rng rng(25);
  const Index m = 40, n = 12;
  const Matrix<double> J = testing::random_matrix(m, n, rng);
  const Vector<double> b = testing::random_vector(n, rng);
  Vector<double> d(n);
  for (Index i = 0; i < n; ++i) d(i) = rng.uniform(0.5, 2.0);
  const double lambda = 0.01;
  const Vector<double> reference =
      (J.transpose() * J + lambda * Matrix<double>(d.asDiagonal())).llt().solve(b);
  const double kappa = damped_condition(J, lambda, d);
  const Matrix<Scalar> Js = to<Scalar>(J);
  NormalEquationsSolver<Scalar> whole, blocks;
  whole.set_jacobian(Js);
  blocks.resize(n);
  blocks.clear();
  for (Index k = 0; k < 4; ++k) blocks.accumulate(Js.middleRows(10 * k, 10));
  Vector<Scalar> s(n), t(n);
  ASSERT_EQ(whole.factorize(lambda, to<Scalar>(d)), FactorStatus::kPositiveDefinite);
  ASSERT_EQ(blocks.factorize(lambda, to<Scalar>(d)), FactorStatus::kPositiveDefinite);
  ASSERT_TRUE(whole.solve(to<Scalar>(b), s));
  ASSERT_TRUE(blocks.solve(to<Scalar>(b), t));
  EXPECT_LT(relative_norm_error(s, reference), 10 * m * kappa * kEps<Scalar>);
  EXPECT_LT(relative_norm_error(t, reference), 10 * m * kappa * kEps<Scalar>);
  const Vector<double> diagonal = (J.transpose() * J).diagonal();
  EXPECT_LT(relative_norm_error(whole.diagonal(), diagonal), 10 * m * kEps<Scalar>);
  // The data-space form gives the same step, less accurately for this tall J.
  GramSolver<Scalar> gram;
  gram.set_gram(Js, to<Scalar>(d));
  gram.factorize(lambda);
  ASSERT_TRUE(gram.solve_damped(Js, to<Scalar>(b), t));
  EXPECT_LT(relative_norm_error(t, reference),
            10 * m * data_space_condition(J, lambda, d) * kEps<Scalar>);
}

// ---- Bit-for-bit with the solves in src/optim at e4c7411, transcribed statement by statement.

// DataSpaceDescent::solve (gauss_newton_descent.cpp), explicit J and diagonal d.
template <class Scalar>
Vector<Scalar> transcribed_data_space(const Matrix<Scalar>& J_, const Vector<Scalar>& d,
                                      const Vector<Scalar>& b, double lambda) {
  const Index m = J_.rows();
  Vector<Scalar> inverse_d_ = d.cwiseInverse();
  Matrix<Scalar> scaled_ = J_ * inverse_d_.cwiseSqrt().asDiagonal(), gram_(m, m), system_;
  gram_.template triangularView<Eigen::Lower>().setZero();
  gram_.template selfadjointView<Eigen::Lower>().rankUpdate(scaled_);
  system_ = gram_;
  system_.diagonal().array() += static_cast<Scalar>(lambda);
  Eigen::LLT<Matrix<Scalar>> llt_(system_);
  Vector<Scalar> db_ = inverse_d_.cwiseProduct(b), t_(m), jt_(b.size());
  t_.noalias() = J_ * db_;
  llt_.solveInPlace(t_);
  jt_.noalias() = J_.transpose() * t_;
  return (b - jt_).cwiseProduct(inverse_d_) / static_cast<Scalar>(lambda);
}

// NllsFull::propose (nlls_full.cpp): the Gram scaled by L/2, J products by √(L/2).
template <class Scalar>
Vector<Scalar> transcribed_nlls_full(const Matrix<Scalar>& J, const Vector<Scalar>& grad,
                                     double damping) {
  const Index m = J.rows();
  const double half_m = static_cast<double>(m) / 2, root = std::sqrt(half_m);
  const auto lambda = static_cast<Scalar>(damping);
  Matrix<Scalar> gram_ = J * J.transpose();
  gram_ *= static_cast<Scalar>(half_m);
  gram_.diagonal().array() += lambda;
  Eigen::LLT<Matrix<Scalar>> cholesky_(gram_);
  Vector<Scalar> jg_(m), back_(grad.size());
  jg_.noalias() = J * grad;
  jg_ *= static_cast<Scalar>(root);
  cholesky_.solveInPlace(jg_);
  back_.noalias() = J.transpose() * jg_;
  return grad - static_cast<Scalar>(root) * back_;  // s·λ, before the step scale
}

// ParameterSpaceDescent::prepare/solve (gauss_newton_descent.cpp), J held whole.
template <class Scalar>
Vector<Scalar> transcribed_parameter_space(const Matrix<Scalar>& J_, const Vector<Scalar>& d,
                                           const Vector<Scalar>& b, double lambda) {
  const Index n = J_.cols();
  Matrix<Scalar> jtj_(n, n), system_;
  jtj_.template triangularView<Eigen::Lower>().setZero();
  jtj_.template selfadjointView<Eigen::Lower>().rankUpdate(J_.transpose());
  system_ = jtj_;
  system_.diagonal() += static_cast<Scalar>(lambda) * d;
  Eigen::LLT<Matrix<Scalar>> llt_;
  llt_.compute(system_);
  Vector<Scalar> s = b;
  llt_.solveInPlace(s);
  return s;
}

TYPED_TEST(GramSolveTest, ReproducesTheOptimSolvesBitForBit) {
  using Scalar = TypeParam;
  Rng rng(26);
  // Below kCholeskyLapackMinSize, where the solvers still factor with Eigen's LLT as the
  // transcribed code did; from it on the factor is LAPACK's, equal only to rounding (the accuracy
  // tests above bound it).
  const Index m = kCholeskyLapackMinSize - 4, n = kCholeskyLapackMinSize + 8;
  const Matrix<Scalar> J = to<Scalar>(testing::random_matrix(m, n, rng));
  const Vector<Scalar> b = to<Scalar>(testing::random_vector(n, rng));
  Vector<Scalar> d(n);
  for (Index i = 0; i < n; ++i) d(i) = static_cast<Scalar>(rng.uniform(0.5, 2.0));
  Vector<Scalar> s(n);

  GramSolver<Scalar> gram;
  gram.set_gram(J, d);
  gram.factorize(0.7);
  gram.solve_damped(J, b, s);
  EXPECT_EQ(s, transcribed_data_space<Scalar>(J, d, b, 0.7));

  // NllsFull: the caller scales the Gram and the products, the solver factors and solves.
  const double half_m = static_cast<double>(m) / 2, root = std::sqrt(half_m);
  GramSolver<Scalar> nlls;
  nlls.resize(m, n);
  nlls.gram().noalias() = J * J.transpose();
  nlls.gram() *= static_cast<Scalar>(half_m);
  ASSERT_EQ(nlls.factorize(1.0), FactorStatus::kPositiveDefinite);
  Vector<Scalar> jg(m), back(n);
  jg.noalias() = J * b;
  jg *= static_cast<Scalar>(root);
  nlls.solve_in_place(jg);
  back.noalias() = J.transpose() * jg;
  EXPECT_EQ(Vector<Scalar>(b - static_cast<Scalar>(root) * back),
            transcribed_nlls_full<Scalar>(J, b, 1.0));

  const Matrix<Scalar> tall = to<Scalar>(testing::random_matrix(n, m, rng));
  const Vector<Scalar> bt = to<Scalar>(testing::random_vector(m, rng));
  const Vector<Scalar> dt = d.head(m);
  NormalEquationsSolver<Scalar> normal;
  normal.set_jacobian(tall);
  normal.factorize(0.05, dt);
  Vector<Scalar> st(m);
  normal.solve(bt, st);
  EXPECT_EQ(st, transcribed_parameter_space<Scalar>(tall, dt, bt, 0.05));
}

}  // namespace
}  // namespace curvopt
