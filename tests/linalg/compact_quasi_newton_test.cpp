#include "curvopt/linalg/compact_quasi_newton.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "curvopt/linalg/lbfgs_memory.h"
#include "linalg/dense_reference.h"

namespace curvopt {
namespace {

using testing::kEps;
using testing::relative_norm_error;
using testing::to;

template <class Scalar>
class CompactQuasiNewtonTest : public ::testing::Test {};
TYPED_TEST_SUITE(CompactQuasiNewtonTest, testing::ScalarTypes);

constexpr Index kN = 20;
constexpr int kPairs = 5;

/// The dense matrix of a linear map given by products, column by column.
template <class Scalar, class Apply>
Matrix<double> dense_of(Apply&& apply, Index n) {
  Matrix<double> M(n, n);
  Vector<Scalar> e(n), out(n);
  for (Index j = 0; j < n; ++j) {
    e.setZero();
    e(j) = 1;
    apply(e, out);
    M.col(j) = out.template cast<double>();
  }
  return M;
}

/// BFGS updates B ← B − BssᵀB/(sᵀBs) + yyᵀ/(yᵀs) from γI, pairs in order.
Matrix<double> recursive_bfgs(const Matrix<double>& S, const Matrix<double>& Y, double gamma) {
  Matrix<double> B = gamma * Matrix<double>::Identity(S.rows(), S.rows());
  for (Index i = 0; i < S.cols(); ++i) {
    const Vector<double> s = S.col(i), y = Y.col(i), bs = B * s;
    B += -bs * bs.transpose() / s.dot(bs) + y * y.transpose() / y.dot(s);
  }
  return B;
}

/// SR1 updates B ← B + uuᵀ/(uᵀs), u = y − Bs, from γI, pairs in order.
Matrix<double> recursive_sr1(const Matrix<double>& S, const Matrix<double>& Y, double gamma) {
  Matrix<double> B = gamma * Matrix<double>::Identity(S.rows(), S.rows());
  for (Index i = 0; i < S.cols(); ++i) {
    const Vector<double> u = Y.col(i) - B * S.col(i);
    B += u * u.transpose() / u.dot(S.col(i));
  }
  return B;
}

/// Pairs of the sampled methods' option II: S random, Y = A S for a symmetric A of spectrum w.
struct Pairs {
  Matrix<double> A, S, Y;
};
Pairs sampled_pairs(const Vector<double>& spectrum, int k, Rng& rng) {
  Pairs p;
  p.A = testing::with_spectrum(spectrum, rng);
  p.S = testing::random_matrix(spectrum.size(), k, rng);
  p.Y = p.A * p.S;
  return p;
}

TYPED_TEST(CompactQuasiNewtonTest, CompactLbfgsEqualsTheRecursiveUpdatesAndTheTwoLoop) {
  using Scalar = TypeParam;
  Rng rng(41);
  const Pairs p = sampled_pairs(Vector<double>::LinSpaced(kN, 0.5, 5.0), kPairs, rng);
  const Matrix<Scalar> S = to<Scalar>(p.S), Y = to<Scalar>(p.Y);
  // Reference from the pairs as rounded to Scalar.
  const Matrix<double> Sd = S.template cast<double>(), Yd = Y.template cast<double>();
  const double gamma =
      Yd.col(kPairs - 1).squaredNorm() / Sd.col(kPairs - 1).dot(Yd.col(kPairs - 1));
  const Matrix<double> B = recursive_bfgs(Sd, Yd, gamma);
  const double kappa = testing::condition(B);
  CompactLbfgs<Scalar> compact;
  compact.resize(kN, 8);
  ASSERT_TRUE(compact.set_pairs(S, Y, gamma));
  const Matrix<double> Bc =
      dense_of<Scalar>([&](const auto& v, auto& out) { compact.apply(v, out); }, kN);
  EXPECT_LT(relative_norm_error(Bc, B), 100 * kappa * kEps<Scalar>);
  const Matrix<double> Hc =
      dense_of<Scalar>([&](const auto& v, auto& out) { compact.apply_inverse(v, out); }, kN);
  const Matrix<double> H = B.inverse();
  EXPECT_LT(relative_norm_error(Hc, H), 100 * kappa * kEps<Scalar>);
  // The two-loop recursion uses H₀ = (sᵀy/yᵀy)I of the newest pair: our γ⁻¹.
  LbfgsMemory<Scalar> memory;
  memory.resize(kN, kPairs);
  for (int i = 0; i < kPairs; ++i) ASSERT_TRUE(memory.push(S.col(i), Y.col(i), 1e-8));
  const Matrix<double> Hl =
      dense_of<Scalar>([&](const auto& v, auto& out) { memory.apply(v, out); }, kN);
  EXPECT_LT(relative_norm_error(Hc, Hl), 100 * kappa * kEps<Scalar>);
  // Non-positive curvature is refused.
  Matrix<Scalar> bad = Y;
  bad.col(2) = -S.col(2);
  EXPECT_FALSE(compact.set_pairs(S, bad, gamma));
  EXPECT_EQ(compact.size(), 0);
}

TYPED_TEST(CompactQuasiNewtonTest, CompactSr1EqualsTheRecursiveUpdatesAndSatisfiesTheSecants) {
  using Scalar = TypeParam;
  Rng rng(42);
  Vector<double> spectrum = Vector<double>::LinSpaced(kN, -2.0, 3.0);
  const Pairs p = sampled_pairs(spectrum, kPairs, rng);
  const Matrix<Scalar> S = to<Scalar>(p.S), Y = to<Scalar>(p.Y);
  const Matrix<double> Sd = S.template cast<double>(), Yd = Y.template cast<double>();
  for (const double gamma : {0.0, 0.7}) {
    CompactLsr1<Scalar> compact;
    compact.resize(kN, 8);
    compact.reset(gamma);
    ASSERT_EQ(compact.add_pairs(S, Y), kPairs) << gamma;
    const Matrix<double> B = recursive_sr1(Sd, Yd, gamma);
    // The representation's accuracy is governed by the middle matrix M = Sᵀ(Y − γS).
    const Matrix<double> M = Sd.transpose() * (Yd - gamma * Sd);
    const double kappa = testing::condition(Matrix<double>(0.5 * (M + M.transpose())));
    const Matrix<double> Bc =
        dense_of<Scalar>([&](const auto& v, auto& out) { compact.apply(v, out); }, kN);
    EXPECT_LT(relative_norm_error(Bc, B), 100 * kappa * kEps<Scalar>) << gamma;
    EXPECT_LT(relative_norm_error(Bc * Sd, Yd), 100 * kappa * kEps<Scalar>) << gamma;
    // Its spectrum: r = k eigenvalues on span Ψ, the other n − k equal to γ.
    const auto lambda = compact.eigenvalues();
    ASSERT_EQ(lambda.size(), kPairs);
    Vector<double> expected = Eigen::SelfAdjointEigenSolver<Matrix<double>>(B).eigenvalues();
    std::vector<double> rest(expected.data(), expected.data() + kN);
    for (Index i = 0; i < lambda.size(); ++i) {
      auto nearest = std::min_element(rest.begin(), rest.end(), [&](double a, double b) {
        return std::abs(a - lambda(i)) < std::abs(b - lambda(i));
      });
      EXPECT_NEAR(*nearest, lambda(i), 100 * kappa * kEps<Scalar> * B.norm());
      rest.erase(nearest);
    }
    for (double w : rest) EXPECT_NEAR(w, gamma, 100 * kappa * kEps<Scalar> * B.norm());
  }
}

TYPED_TEST(CompactQuasiNewtonTest, Sr1PairTestSkipsPairsWithASmallDenominator) {
  using Scalar = TypeParam;
  Rng rng(43);
  const Pairs p = sampled_pairs(Vector<double>::LinSpaced(kN, 1.0, 3.0), 3, rng);
  const Matrix<Scalar> S = to<Scalar>(p.S), Y = to<Scalar>(p.Y);
  CompactLsr1<Scalar> compact;
  compact.resize(kN, 4);
  compact.reset(0);
  ASSERT_EQ(compact.add_pairs(S.leftCols(2), Y.leftCols(2)), 2);
  // A pair B already satisfies (y = Bs: u = 0) and a repeated pair are refused, B unchanged.
  Vector<Scalar> s = S.col(0) + S.col(1), bs(kN);
  compact.apply(s, bs);
  EXPECT_FALSE(compact.add_pair(s, bs));
  EXPECT_FALSE(compact.add_pair(S.col(1), Y.col(1)));
  EXPECT_EQ(compact.size(), 2);
  // |uᵀs| ≤ ε‖u‖‖s‖ with u ⟂ s: refused; a generic third pair is accepted.
  Vector<Scalar> u = to<Scalar>(testing::random_vector(kN, rng));
  u -= (u.dot(S.col(2)) / S.col(2).squaredNorm()) * S.col(2);
  EXPECT_FALSE(sr1_pair_acceptable<Scalar>(S.col(2), u, 1e-2));
  EXPECT_TRUE(sr1_pair_acceptable<Scalar>(S.col(2), Y.col(2), 1e-2));
  EXPECT_TRUE(compact.add_pair(S.col(2), Y.col(2)));
  EXPECT_EQ(compact.size(), 3);
}

/// Checks s against the dense reference: feasible, the optimality conditions of Moré &
/// Sorensen (1983) with the returned σ, and the dense solution's model value.
void expect_global_trust_region_solution(const Matrix<double>& B, const Vector<double>& g,
                                         double radius, const Vector<double>& s, double sigma,
                                         double predicted, double tolerance, double cluster) {
  const Index n = g.size();
  const double scale = g.norm() + B.norm() * radius;
  EXPECT_LE(s.norm(), radius * (1 + tolerance));
  EXPECT_GE(sigma, -tolerance * B.norm());
  EXPECT_LT(((B + sigma * Matrix<double>::Identity(n, n)) * s + g).norm(), tolerance * scale);
  const double lambda_min = Eigen::SelfAdjointEigenSolver<Matrix<double>>(B).eigenvalues()(0);
  EXPECT_GE(lambda_min + sigma, -tolerance * B.norm());
  EXPECT_LT(sigma * std::abs(radius - s.norm()), tolerance * scale * radius);
  const double best = testing::model(B, g, testing::dense_trust_region(B, g, radius, cluster));
  EXPECT_NEAR(testing::model(B, g, s), best, tolerance * scale * radius);
  EXPECT_NEAR(predicted, -testing::model(B, g, s), tolerance * scale * radius);
}

TYPED_TEST(CompactQuasiNewtonTest, ExactTrustRegionStepIsTheGlobalMinimizer) {
  using Scalar = TypeParam;
  Rng rng(44);
  struct Case {
    const char* name;
    double lo, hi, gamma, radius;
  };
  for (const Case c :
       {Case{"interior", 0.5, 3.0, 0.8, 100.0}, Case{"boundary", 0.5, 3.0, 0.8, 0.1},
        Case{"indefinite", -2.0, 3.0, 0.7, 1.0}, Case{"sampled (B0 = 0)", -2.0, 3.0, 0.0, 1.0}}) {
    const Pairs p = sampled_pairs(Vector<double>::LinSpaced(kN, c.lo, c.hi), kPairs, rng);
    const Matrix<Scalar> S = to<Scalar>(p.S), Y = to<Scalar>(p.Y);
    CompactLsr1<Scalar> compact;
    compact.resize(kN, 8);
    compact.reset(c.gamma);
    ASSERT_EQ(compact.add_pairs(S, Y), kPairs) << c.name;
    const Matrix<double> B =
        dense_of<Scalar>([&](const auto& v, auto& out) { compact.apply(v, out); }, kN);
    const Matrix<double> Bs = 0.5 * (B + B.transpose());
    const Vector<double> g = testing::random_vector(kN, rng);
    Vector<Scalar> s(kN);
    const auto step = compact.solve_trust_region(to<Scalar>(g), c.radius, s);
    SCOPED_TRACE(c.name);
    EXPECT_EQ(step.spectral.hit_boundary, std::string(c.name) != "interior");
    EXPECT_FALSE(step.spectral.hard_case);
    const Matrix<double> M = p.S.transpose() * (p.Y - c.gamma * p.S);
    const double kappa = testing::condition(Matrix<double>(0.5 * (M + M.transpose())));
    expect_global_trust_region_solution(Bs, g, c.radius, s.template cast<double>(),
                                        step.spectral.sigma, step.predicted_reduction,
                                        1e3 * kappa * kEps<Scalar>, 1e3 * kEps<Scalar>);
  }
}

TYPED_TEST(CompactQuasiNewtonTest, ExactTrustRegionStepHandlesTheHardCase) {
  using Scalar = TypeParam;
  Rng rng(45);
  // (a) λ_min < 0 on span Ψ, g ⟂ its eigenvector; (b) λ_min = γ < 0 in the complement (A SPD
  // makes Ψ M⁻¹ Ψᵀ PSD, so B > γ on span Ψ) and g ∈ span Ψ.
  for (const double gamma : {0.5, -0.5}) {
    const Pairs p = sampled_pairs(gamma > 0 ? Vector<double>::LinSpaced(kN, -1.0, 2.0)
                                            : Vector<double>::LinSpaced(kN, 0.5, 2.0),
                                  kPairs, rng);
    const Matrix<Scalar> S = to<Scalar>(p.S), Y = to<Scalar>(p.Y);
    CompactLsr1<Scalar> compact;
    compact.resize(kN, 8);
    compact.reset(gamma);
    ASSERT_EQ(compact.add_pairs(S, Y), kPairs);
    const Matrix<double> B =
        dense_of<Scalar>([&](const auto& v, auto& out) { compact.apply(v, out); }, kN);
    const Matrix<double> Bs = 0.5 * (B + B.transpose());
    const Eigen::SelfAdjointEigenSolver<Matrix<double>> eig(Bs);
    const Vector<double> mu = eig.eigenvalues();
    Vector<double> g;
    if (gamma > 0) {
      ASSERT_LT(mu(0), 0);
      const Vector<double> z = eig.eigenvectors().col(0);
      g = testing::random_vector(kN, rng);
      g -= z.dot(g) * z;
    } else {
      g = p.Y.col(0) - gamma * p.S.col(0);  // a column of Ψ
    }
    // The radius: beyond −(B − λ_min I)⁺g, whose norm the dense eigenbasis gives.
    double pinv2 = 0;
    const Vector<double> gq = eig.eigenvectors().transpose() * g;
    for (Index i = 0; i < kN; ++i)
      if (mu(i) > mu(0) + 1e-3) pinv2 += gq(i) * gq(i) / ((mu(i) - mu(0)) * (mu(i) - mu(0)));
    const double radius = 1.5 * std::sqrt(pinv2);
    Vector<Scalar> s(kN);
    const auto step = compact.solve_trust_region(to<Scalar>(g), radius, s);
    SCOPED_TRACE(gamma);
    EXPECT_TRUE(step.spectral.hard_case);
    EXPECT_EQ(step.spectral.complement_tau != 0, gamma < 0);
    const Matrix<double> M = p.S.transpose() * (p.Y - gamma * p.S);
    const double kappa = testing::condition(Matrix<double>(0.5 * (M + M.transpose())));
    expect_global_trust_region_solution(Bs, g, radius, s.template cast<double>(),
                                        step.spectral.sigma, step.predicted_reduction,
                                        1e3 * kappa * kEps<Scalar>, 1e3 * kEps<Scalar>);
  }
}

}  // namespace
}  // namespace curvopt
