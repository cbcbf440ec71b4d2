#include "curvopt/linalg/conjugate_gradient.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "curvopt/linalg/diagonal_preconditioner.h"
#include "linalg/dense_reference.h"

namespace curvopt {
namespace {

using testing::dense_operator;
using testing::kEps;
using testing::relative_norm_error;
using testing::to;

template <class Scalar>
class ConjugateGradientTest : public ::testing::Test {};
TYPED_TEST_SUITE(ConjugateGradientTest, testing::ScalarTypes);

TYPED_TEST(ConjugateGradientTest, SolvesARandomSpdSystemAsTheDenseSolve) {
  using Scalar = TypeParam;
  Rng rng(1);
  const Index n = 30;
  const double kappa = 100;
  const Matrix<double> A = testing::spd_with_condition(n, kappa, rng);
  const Vector<double> b = testing::random_vector(n, rng);
  const Vector<double> reference = A.llt().solve(b);
  const Matrix<Scalar> As = to<Scalar>(A);
  ConjugateGradient<Scalar> cg(
      {.max_iterations = 10 * static_cast<int>(n), .tolerance = 10 * kEps<Scalar>});
  Vector<Scalar> x(n);
  const CgResult result = cg.solve(dense_operator(As), to<Scalar>(b), x);
  EXPECT_EQ(result.termination, CgTermination::kResidual) << to_string(result.termination);
  EXPECT_GT(result.iterations, 0);
  // Forward error ≤ κ·(relative residual + rounding of A, b and the recursion).
  EXPECT_LT(relative_norm_error(x, reference), 100 * kappa * kEps<Scalar>);
  // φ(x*) = −½ bᵀA⁻¹b.
  EXPECT_NEAR(result.quadratic, -0.5 * b.dot(reference),
              100 * kappa * kEps<Scalar> * std::abs(b.dot(reference)));
}

TYPED_TEST(ConjugateGradientTest, PreconditionedEqualsCgOnTheSymmetricallyPreconditionedSystem) {
  using Scalar = TypeParam;
  Rng rng(2);
  const Index n = 40;
  // A = D^(1/2) Â D^(1/2): a well-conditioned core (κ = 10) under a badly scaled diagonal.
  Vector<double> scaling(n);
  for (Index i = 0; i < n; ++i) scaling(i) = std::pow(1e4, static_cast<double>(i) / (n - 1));
  const Matrix<double> core = testing::spd_with_condition(n, 10, rng);
  const Matrix<double> A =
      scaling.cwiseSqrt().asDiagonal() * core * scaling.cwiseSqrt().asDiagonal();
  const Vector<double> b = testing::random_vector(n, rng);
  // Jacobi: M = diag(A); the transformed system is M^(-1/2) A M^(-1/2) y = M^(-1/2) b.
  const Vector<double> m_root = A.diagonal().cwiseSqrt();
  const Matrix<double> At =
      m_root.cwiseInverse().asDiagonal() * A * m_root.cwiseInverse().asDiagonal();
  const Vector<double> bt = b.cwiseQuotient(m_root);
  const Matrix<Scalar> As = to<Scalar>(A), Ats = to<Scalar>(At);
  DiagonalPreconditioner<Scalar> jacobi;
  jacobi.set_diagonal(As.diagonal());
  const double kappa_t = testing::condition(At);

  // The first iterates agree: PCG's x_i = M^(-1/2) y_i of CG on the transformed system.
  {
    ConjugateGradient<Scalar> few({.max_iterations = 6, .tolerance = 0});
    Vector<Scalar> x(n), y(n);
    few.solve(dense_operator(As), to<Scalar>(b), x, jacobi);
    few.solve(dense_operator(Ats), to<Scalar>(bt), y);
    const Vector<double> mapped = y.template cast<double>().cwiseQuotient(m_root);
    EXPECT_LT(relative_norm_error(x, mapped), 100 * kappa_t * kEps<Scalar>);
  }
  // Full solves: the same solution, and the preconditioned one in far fewer iterations.
  const double tolerance = 1e3 * kEps<Scalar>;
  ConjugateGradient<Scalar> cg({.max_iterations = 5000, .tolerance = tolerance});
  Vector<Scalar> pcg_x(n), plain_x(n), y(n);
  const CgResult pcg = cg.solve(dense_operator(As), to<Scalar>(b), pcg_x, jacobi);
  const CgResult transformed = cg.solve(dense_operator(Ats), to<Scalar>(bt), y);
  const CgResult plain = cg.solve(dense_operator(As), to<Scalar>(b), plain_x);
  const Vector<double> reference = A.llt().solve(b);
  EXPECT_EQ(pcg.termination, CgTermination::kResidual);
  EXPECT_LT(relative_norm_error(pcg_x, reference), 100 * kappa_t * (tolerance + kEps<Scalar>));
  EXPECT_LT(relative_norm_error(y.template cast<double>().cwiseQuotient(m_root), reference),
            100 * kappa_t * (tolerance + kEps<Scalar>));
  // Both stop on ‖r‖ ≤ tol‖b‖ in their own norms, so the counts agree only roughly; plain CG on
  // A (κ ≈ 1e5) needs several times more.
  EXPECT_LE(std::abs(pcg.iterations - transformed.iterations), 5 + transformed.iterations / 5);
  EXPECT_GT(plain.iterations, 2 * pcg.iterations);
}

TYPED_TEST(ConjugateGradientTest, WarmStartFromTheSolutionStopsAtIterationZero) {
  using Scalar = TypeParam;
  Rng rng(3);
  const Index n = 30;
  const double kappa = 100;
  const Matrix<double> A = testing::spd_with_condition(n, kappa, rng);
  const Vector<double> b = testing::random_vector(n, rng);
  const Matrix<Scalar> As = to<Scalar>(A);
  // x* rounded to Scalar has a residual of about n·ε·‖A‖‖x*‖ ≤ n·ε·κ‖b‖.
  ConjugateGradient<Scalar> cg({.tolerance = 10 * n * kappa * kEps<Scalar>});
  Vector<Scalar> x = to<Scalar>(Vector<double>(A.llt().solve(b)));
  const Vector<Scalar> start = x;
  const CgResult warm = cg.solve(dense_operator(As), to<Scalar>(b), x, /*warm_start=*/true);
  EXPECT_EQ(warm.iterations, 0);
  EXPECT_EQ(warm.termination, CgTermination::kResidual);
  EXPECT_EQ(x, start);
  const CgResult cold = cg.solve(dense_operator(As), to<Scalar>(b), x);
  EXPECT_GT(cold.iterations, 0);
}

TYPED_TEST(ConjugateGradientTest, MartensStopsALongIllConditionedRunAndKeepsTheSchedule) {
  using Scalar = TypeParam;
  Rng rng(4);
  const Index n = 300;
  // b = A x_true: φ* = −½x_trueᵀAx_true is reached through the large eigenvalues long before the
  // small ones are resolved, the plateau the relative-progress test is meant to cut.
  const Matrix<double> A = testing::spd_with_condition(n, 1e4, rng);
  const Vector<double> b = A * testing::random_vector(n, rng);
  const Matrix<Scalar> As = to<Scalar>(A);
  const CgOptions options{
      .max_iterations = 1000, .tolerance = 0, .relative_progress = true, .keep_history = true};
  ConjugateGradient<Scalar> cg(options);
  Vector<Scalar> x(n);
  const CgResult result = cg.solve(dense_operator(As), to<Scalar>(b), x);
  ASSERT_EQ(result.termination, CgTermination::kRelativeProgress) << result.iterations;
  const int i = result.iterations;
  EXPECT_LT(i, static_cast<int>(n));

  // The rule held at i and not at i − 1: φ_j is the value after j iterations (rerun to j).
  auto phi_after = [&](int j) {
    ConjugateGradient<Scalar> limited({.max_iterations = j, .tolerance = 0});
    Vector<Scalar> xj(n);
    return limited.solve(dense_operator(As), to<Scalar>(b), xj).quadratic;
  };
  auto window = [](int j) { return std::max(10, static_cast<int>(std::ceil(0.1 * j))); };
  const double phi = phi_after(i), before = phi_after(i - window(i));
  EXPECT_DOUBLE_EQ(phi, result.quadratic);
  EXPECT_LT(phi, 0);
  EXPECT_LT((phi - before) / phi, window(i) * 5e-4);
  const double phi1 = phi_after(i - 1), before1 = phi_after(i - 1 - window(i - 1));
  EXPECT_GE((phi1 - before1) / phi1, window(i - 1) * 5e-4);

  // Martens' schedule ⌈5·1.3^j⌉ up to i, then the final iterate; each equals a rerun's x.
  const std::vector<int> schedule = {5, 7, 9, 11, 15, 19, 25, 32, 41, 54, 69, 90, 117, 152, 197};
  std::vector<int> expected;
  for (int s : schedule)
    if (s <= i) expected.push_back(s);
  if (expected.empty() || expected.back() != i) expected.push_back(i);
  ASSERT_EQ(cg.history_size(), static_cast<int>(expected.size()));
  for (int j = 0; j < cg.history_size(); ++j) {
    EXPECT_EQ(cg.history_iteration(j), expected[static_cast<std::size_t>(j)]);
    ConjugateGradient<Scalar> limited({.max_iterations = cg.history_iteration(j), .tolerance = 0});
    Vector<Scalar> xj(n);
    limited.solve(dense_operator(As), to<Scalar>(b), xj);
    EXPECT_EQ(Vector<Scalar>(cg.history_iterate(j)), xj) << "iterate " << cg.history_iteration(j);
  }
}

TYPED_TEST(ConjugateGradientTest, DetectsNegativeCurvatureOnAnIndefiniteMatrix) {
  using Scalar = TypeParam;
  Rng rng(5);
  const Index n = 20;
  Vector<double> eigenvalues = Vector<double>::LinSpaced(n, -2.0, 5.0);
  const Matrix<double> A = testing::with_spectrum(eigenvalues, rng);
  const Vector<double> b = testing::random_vector(n, rng);
  const Matrix<Scalar> As = to<Scalar>(A);
  ConjugateGradient<Scalar> cg({.max_iterations = 100, .tolerance = 0});
  Vector<Scalar> x(n);
  const CgResult result = cg.solve(dense_operator(As), to<Scalar>(b), x);
  EXPECT_EQ(result.termination, CgTermination::kNegativeCurvature);
  EXPECT_TRUE(x.allFinite());
  const Vector<double> p = cg.direction().template cast<double>();
  EXPECT_LE(p.dot(A * p), 100 * kEps<Scalar> * A.norm() * p.squaredNorm());
}

TYPED_TEST(ConjugateGradientTest, ReportsNonFiniteInput) {
  using Scalar = TypeParam;
  const Matrix<Scalar> A = Matrix<Scalar>::Identity(3, 3);
  Vector<Scalar> b = Vector<Scalar>::Ones(3), x(3);
  b(1) = std::numeric_limits<Scalar>::quiet_NaN();
  ConjugateGradient<Scalar> cg;
  EXPECT_EQ(cg.solve(dense_operator(A), b, x).termination, CgTermination::kNonFinite);
  EXPECT_EQ(to_string(CgTermination::kRelativeProgress), "relative-progress");
}

TYPED_TEST(ConjugateGradientTest, MartensPreconditionerIsTheTemperedDiagonal) {
  using Scalar = TypeParam;
  Vector<Scalar> squares(3);
  squares << 0, 1, 15;
  DiagonalPreconditioner<Scalar> m;
  m.set_martens(squares, 1.0);
  Vector<Scalar> r = Vector<Scalar>::Ones(3), z(3);
  m(r, z);
  for (Index i = 0; i < 3; ++i)
    EXPECT_NEAR(z(i), std::pow(static_cast<double>(squares(i)) + 1, -0.75), 4 * kEps<Scalar>);
}

// The loop of the Levenberg-Marquardt CG descent (ConjugateGradientDescent::solve in
// src/optim/gauss_newton_descent.cpp at e4c7411), transcribed: ConjugateGradient without
// warm start, preconditioner, refresh or progress test must reproduce its bits.
template <class Scalar, class Op>
int transcribed_descent_cg(Op&& product, const Vector<Scalar>& b, int max_iterations,
                           double tolerance, Vector<Scalar>& s) {
  Vector<Scalar> r_ = b, p_, ap_(b.size());
  s.setZero(b.size());
  p_ = r_;
  double rr = static_cast<double>(r_.squaredNorm());
  const double stop = tolerance * tolerance * rr;
  int iterations;
  for (iterations = 0; iterations < max_iterations && rr > stop; ++iterations) {
    product(p_, ap_);
    const double curvature = static_cast<double>(p_.dot(ap_));
    if (!(curvature > 0)) break;
    const double alpha = rr / curvature;
    s += static_cast<Scalar>(alpha) * p_;
    r_ -= static_cast<Scalar>(alpha) * ap_;
    const double rr_next = static_cast<double>(r_.squaredNorm());
    p_ = r_ + static_cast<Scalar>(rr_next / rr) * p_;
    rr = rr_next;
  }
  return iterations;
}

TYPED_TEST(ConjugateGradientTest, ReproducesTheGaussNewtonDescentLoopBitForBit) {
  using Scalar = TypeParam;
  Rng rng(6);
  const Index n = 50;
  const Matrix<Scalar> A = to<Scalar>(testing::spd_with_condition(n, 1e3, rng));
  const Vector<Scalar> b = to<Scalar>(testing::random_vector(n, rng));
  auto product = dense_operator(A);
  for (const double tolerance : {1e-3, 1e-10}) {
    Vector<Scalar> expected, x(n);
    const int iterations = transcribed_descent_cg<Scalar>(product, b, 40, tolerance, expected);
    ConjugateGradient<Scalar> cg({.max_iterations = 40, .tolerance = tolerance});
    const CgResult result = cg.solve(product, b, x);
    EXPECT_EQ(result.iterations, iterations);
    EXPECT_EQ(x, expected);
  }
}

}  // namespace
}  // namespace curvopt
