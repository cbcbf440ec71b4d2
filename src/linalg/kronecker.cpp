#include "curvopt/linalg/kronecker.h"

#include <cmath>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

template <class Scalar>
void check_shapes(const char* who, ConstMatrixRef<Scalar> A, ConstMatrixRef<Scalar> G) {
  if (A.rows() != A.cols() || G.rows() != G.cols())
    throw ShapeError(std::string(who) + ": the factors must be square, got " +
                     std::to_string(A.rows()) + "x" + std::to_string(A.cols()) + " and " +
                     std::to_string(G.rows()) + "x" + std::to_string(G.cols()));
}

}  // namespace

template <class Scalar>
double kronecker_trace_pi(ConstMatrixRef<Scalar> A, ConstMatrixRef<Scalar> G) {
  const double a = static_cast<double>(A.trace()) / static_cast<double>(A.rows());
  const double g = static_cast<double>(G.trace()) / static_cast<double>(G.rows());
  if (!(a > 0) || !(g > 0) || !std::isfinite(a / g)) return 1;
  return std::sqrt(a / g);
}

template <class Scalar>
void KroneckerCholesky<Scalar>::resize(Index d_in, Index d_out) {
  // LLT sizes its storage on compute(); factoring a zero-damped identity once does it here.
  llt_a_.compute(Matrix<Scalar>::Identity(d_in, d_in));
  llt_g_.compute(Matrix<Scalar>::Identity(d_out, d_out));
}

template <class Scalar>
FactorStatus KroneckerCholesky<Scalar>::factorize(ConstMatrixRef<Scalar> A,
                                                  ConstMatrixRef<Scalar> G, double gamma) {
  check_shapes<Scalar>("KroneckerCholesky", A, G);
  pi_ = kronecker_trace_pi<Scalar>(A, G);
  // Each LLT evaluates its damped factor straight into its own storage.
  const auto da = static_cast<Scalar>(pi_ * gamma), dg = static_cast<Scalar>(gamma / pi_);
  llt_a_.compute(A + da * Matrix<Scalar>::Identity(A.rows(), A.cols()));
  llt_g_.compute(G + dg * Matrix<Scalar>::Identity(G.rows(), G.cols()));
  diagonal_ = false;
  return llt_a_.info() == Eigen::Success && llt_g_.info() == Eigen::Success
             ? FactorStatus::kPositiveDefinite
             : FactorStatus::kNotPositiveDefinite;
}

template <class Scalar>
FactorStatus KroneckerCholesky<Scalar>::factorize_diagonal(ConstVectorRef<Scalar> a,
                                                           ConstMatrixRef<Scalar> G, double gamma) {
  if (G.rows() != G.cols())
    throw ShapeError("KroneckerCholesky: the factor G must be square, got " +
                     std::to_string(G.rows()) + "x" + std::to_string(G.cols()));
  const double mean_a = static_cast<double>(a.mean());
  const double mean_g = static_cast<double>(G.trace()) / static_cast<double>(G.rows());
  pi_ =
      mean_a > 0 && mean_g > 0 && std::isfinite(mean_a / mean_g) ? std::sqrt(mean_a / mean_g) : 1.0;
  const auto da = static_cast<Scalar>(pi_ * gamma), dg = static_cast<Scalar>(gamma / pi_);
  inverse_a_ = (a.array() + da).inverse().matrix();
  llt_g_.compute(G + dg * Matrix<Scalar>::Identity(G.rows(), G.cols()));
  diagonal_ = true;
  const bool ok = (a.array() + da > 0).all() && inverse_a_.allFinite();
  return ok && llt_g_.info() == Eigen::Success ? FactorStatus::kPositiveDefinite
                                               : FactorStatus::kNotPositiveDefinite;
}

template <class Scalar>
void KroneckerCholesky<Scalar>::solve(ConstMatrixRef<Scalar> V, MatrixRef<Scalar> U) const {
  U = V;
  llt_g_.solveInPlace(U);  // G_d⁻¹ V
  if (diagonal_) {
    U *= inverse_a_.asDiagonal();
    return;
  }
  // · A_d⁻¹ from the right: A_d = L Lᵀ, so X A_d = Y is X = Y L⁻ᵀ L⁻¹.
  llt_a_.matrixU().template solveInPlace<Eigen::OnTheRight>(U);
  llt_a_.matrixL().template solveInPlace<Eigen::OnTheRight>(U);
}

template <class Scalar>
void KroneckerCholesky<Scalar>::inverses(MatrixRef<Scalar> inverse_a,
                                         MatrixRef<Scalar> inverse_g) const {
  inverse_a.setIdentity();
  llt_a_.solveInPlace(inverse_a);
  inverse_g.setIdentity();
  llt_g_.solveInPlace(inverse_g);
}

template <class Scalar>
void KroneckerEigen<Scalar>::resize(Index d_in, Index d_out) {
  eig_a_.resize(d_in);
  eig_g_.resize(d_out);
  a_.resize(d_in);
  g_.resize(d_out);
  rotated_.resize(d_out, d_in);
  half_.resize(d_out, d_in);
}

template <class Scalar>
bool KroneckerEigen<Scalar>::decompose(ConstMatrixRef<Scalar> A, ConstMatrixRef<Scalar> G) {
  check_shapes<Scalar>("KroneckerEigen", A, G);
  if (eig_a_.max_size() < A.rows() || eig_g_.max_size() < G.rows() || rotated_.rows() != G.rows() ||
      rotated_.cols() != A.rows())
    resize(A.rows(), G.rows());
  pi_ = kronecker_trace_pi<Scalar>(A, G);
  const bool ok = eig_a_.compute(A) && eig_g_.compute(G);
  a_ = eig_a_.eigenvalues().cwiseMax(Scalar(0));
  g_ = eig_g_.eigenvalues().cwiseMax(Scalar(0));
  return ok;
}

template <class Scalar>
void KroneckerEigen<Scalar>::rotate_in(ConstMatrixRef<Scalar> V) {
  half_.noalias() = eig_g_.eigenvectors().transpose() * V;
  rotated_.noalias() = half_ * eig_a_.eigenvectors();
}

template <class Scalar>
void KroneckerEigen<Scalar>::rotate_out(MatrixRef<Scalar> U) {
  half_.noalias() = eig_g_.eigenvectors() * rotated_;
  U.noalias() = half_ * eig_a_.eigenvectors().transpose();
}

template <class Scalar>
void KroneckerEigen<Scalar>::solve_factored(ConstMatrixRef<Scalar> V, double gamma,
                                            MatrixRef<Scalar> U) {
  rotate_in(V);
  const auto da = static_cast<Scalar>(pi_ * gamma), dg = static_cast<Scalar>(gamma / pi_);
  for (Index j = 0; j < rotated_.cols(); ++j)
    rotated_.col(j).array() /= (g_.array() + dg) * (a_(j) + da);
  rotate_out(U);
}

template <class Scalar>
void KroneckerEigen<Scalar>::solve_scaled(ConstMatrixRef<Scalar> V, ConstMatrixRef<Scalar> S,
                                          double lambda, MatrixRef<Scalar> U) {
  rotate_in(V);
  rotated_.array() /= S.array() + static_cast<Scalar>(lambda);
  rotate_out(U);
}

template <class Scalar>
void KroneckerEigen<Scalar>::solve_exact(ConstMatrixRef<Scalar> V, double lambda,
                                         MatrixRef<Scalar> U) {
  rotate_in(V);
  const auto l = static_cast<Scalar>(lambda);
  for (Index j = 0; j < rotated_.cols(); ++j) rotated_.col(j).array() /= g_.array() * a_(j) + l;
  rotate_out(U);
}

template double kronecker_trace_pi<float>(ConstMatrixRef<float>, ConstMatrixRef<float>);
template double kronecker_trace_pi<double>(ConstMatrixRef<double>, ConstMatrixRef<double>);
template class KroneckerCholesky<float>;
template class KroneckerCholesky<double>;
template class KroneckerEigen<float>;
template class KroneckerEigen<double>;

}  // namespace curvopt
