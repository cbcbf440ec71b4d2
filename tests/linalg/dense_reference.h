#pragma once
/// Dense double-precision references for the linalg tests: matrices of chosen spectrum, the
/// error measures, and tolerances derived from the problem (κ·ε·factor), not from one run.

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <cmath>
#include <limits>

#include "curvopt/core/random.h"
#include "curvopt/core/types.h"
#include "testing/helpers.h"

namespace curvopt::testing {

using ScalarTypes = ::testing::Types<float, double>;

template <class Scalar>
constexpr double kEps = std::numeric_limits<Scalar>::epsilon();

/// A dense operator out = A x in Scalar, as the solvers take them (A must outlive it).
template <class Scalar>
auto dense_operator(const Matrix<Scalar>& A) {
  return [&A](ConstVectorRef<Scalar> x, VectorRef<Scalar> out) { out.noalias() = A * x; };
}

/// A random orthogonal n × n matrix (Q of a Gaussian matrix's QR).
inline Matrix<double> random_orthogonal(Index n, Rng& rng) {
  return Eigen::HouseholderQR<Matrix<double>>(random_matrix(n, n, rng)).householderQ();
}

/// Q diag(eigenvalues) Qᵀ for a random orthogonal Q.
inline Matrix<double> with_spectrum(const Vector<double>& eigenvalues, Rng& rng) {
  const Matrix<double> Q = random_orthogonal(eigenvalues.size(), rng);
  return Q * eigenvalues.asDiagonal() * Q.transpose();
}

/// Eigenvalues spaced geometrically from 1 to κ: an SPD matrix of condition number κ.
inline Matrix<double> spd_with_condition(Index n, double kappa, Rng& rng) {
  Vector<double> eigenvalues(n);
  for (Index i = 0; i < n; ++i)
    eigenvalues(i) = std::pow(kappa, n > 1 ? static_cast<double>(i) / (n - 1) : 0.0);
  return with_spectrum(eigenvalues, rng);
}

/// 2-norm condition number of a symmetric matrix, max|λ| / min|λ|.
inline double condition(const Matrix<double>& symmetric) {
  const Vector<double> w =
      Eigen::SelfAdjointEigenSolver<Matrix<double>>(symmetric, Eigen::EigenvaluesOnly)
          .eigenvalues()
          .cwiseAbs();
  return w.maxCoeff() / w.minCoeff();
}

/// ‖a − b‖ / ‖b‖ (‖a‖ when b = 0).
template <class A, class B>
double relative_norm_error(const A& a, const B& b) {
  const Matrix<double> da = a.template cast<double>(), db = b.template cast<double>();
  const double scale = db.norm();
  return (da - db).norm() / (scale > 0 ? scale : 1.0);
}

template <class Scalar>
Matrix<Scalar> to(const Matrix<double>& m) {
  return m.cast<Scalar>();
}
template <class Scalar>
Vector<Scalar> to(const Vector<double>& v) {
  return v.cast<Scalar>();
}

/// The global minimizer of gᵀs + ½sᵀBs over ‖s‖ ≤ Δ by bisection on σ in the eigenbasis of B,
/// with the hard case handled explicitly; slow and simple, the reference for the exact solvers.
/// Eigenvalues within cluster·max|λ| of the smallest form its eigenspace E, and g counts as
/// orthogonal to E below √cluster·‖g‖ (B from Scalar products has clusters about ε‖B‖ wide).
inline Vector<double> dense_trust_region(const Matrix<double>& B, const Vector<double>& g,
                                         double radius, double cluster = 1e-9) {
  const Eigen::SelfAdjointEigenSolver<Matrix<double>> eig(B);
  const Vector<double> mu = eig.eigenvalues(), gq = eig.eigenvectors().transpose() * g;
  const double near = mu(0) + cluster * mu.cwiseAbs().maxCoeff();
  auto step = [&](double sigma, bool skip_min) {
    Vector<double> c(mu.size());
    for (Index i = 0; i < mu.size(); ++i)
      c(i) = skip_min && mu(i) <= near ? 0.0 : -gq(i) / (mu(i) + sigma);
    return c;
  };
  if (mu(0) > 0 && step(0, false).norm() <= radius) return eig.eigenvectors() * step(0, false);
  double lo = std::max(0.0, -mu(0)), hi = lo + g.norm() / radius + 1;
  double g_min2 = 0;
  for (Index i = 0; i < mu.size(); ++i)
    if (mu(i) <= near) g_min2 += gq(i) * gq(i);
  const Vector<double> pinv = step(lo, true);
  if (mu(0) <= 0 && std::sqrt(g_min2) <= std::sqrt(cluster) * g.norm() && pinv.norm() <= radius) {
    Vector<double> c = pinv;
    c(0) = std::sqrt(radius * radius - pinv.squaredNorm());
    return eig.eigenvectors() * c;
  }
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    (step(mid, false).norm() > radius ? lo : hi) = mid;
  }
  return eig.eigenvectors() * step(hi, false);
}

/// gᵀs + ½sᵀBs.
inline double model(const Matrix<double>& B, const Vector<double>& g, const Vector<double>& s) {
  return g.dot(s) + 0.5 * s.dot(B * s);
}

}  // namespace curvopt::testing
