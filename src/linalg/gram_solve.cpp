#include "curvopt/linalg/gram_solve.h"

#include <cstring>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
void GramSolver<Scalar>::resize(Index m, Index n) {
  gram_.resize(m, m);
  gram_.setZero();
  t_.resize(m);
  jt_.resize(n);
  db_.resize(n);
  factored_ = false;
}

template <class Scalar>
void GramSolver<Scalar>::set_gram(ConstMatrixRef<Scalar> J) {
  if (gram_.rows() != J.rows() || jt_.size() != J.cols()) resize(J.rows(), J.cols());
  gram_.template triangularView<Eigen::Lower>().setZero();
  gram_.template selfadjointView<Eigen::Lower>().rankUpdate(J);  // BLAS syrk
  identity_d_ = true;
  factored_ = false;
}

template <class Scalar>
void GramSolver<Scalar>::set_gram(ConstMatrixRef<Scalar> J, ConstVectorRef<Scalar> d) {
  if (d.size() != J.cols())
    throw ShapeError("GramSolver: d has length " + std::to_string(d.size()) + ", J " +
                     std::to_string(J.cols()) + " columns");
  if (gram_.rows() != J.rows() || jt_.size() != J.cols()) resize(J.rows(), J.cols());
  inverse_d_ = d.cwiseInverse();
  scaled_ = J * inverse_d_.cwiseSqrt().asDiagonal();  // J D^(-1/2): G = (J D^(-1/2))(…)ᵀ
  gram_.template triangularView<Eigen::Lower>().setZero();
  gram_.template selfadjointView<Eigen::Lower>().rankUpdate(scaled_);
  identity_d_ = false;
  factored_ = false;
}

template <class Scalar>
Matrix<Scalar>& GramSolver<Scalar>::gram() {
  identity_d_ = true;
  factored_ = false;
  return gram_;
}

template <class Scalar>
FactorStatus GramSolver<Scalar>::factorize(double lambda) {
  if (factored_ && lambda == lambda_) return FactorStatus::kPositiveDefinite;
  // K = G + λI in the factor's own storage (only the lower triangle is copied and read).
  const Index m = gram_.rows();
  Matrix<Scalar>& K = cholesky_.matrix();
  K.resize(m, m);
  K.template triangularView<Eigen::Lower>() = gram_;
  factored_ = cholesky_.factorize_in_place(lambda);  // a failed factor is never reused
  lambda_ = lambda;
  return factored_ ? FactorStatus::kPositiveDefinite : FactorStatus::kNotPositiveDefinite;
}

template <class Scalar>
bool GramSolver<Scalar>::solve_minimum_norm(ConstMatrixRef<Scalar> J, ConstVectorRef<Scalar> r,
                                            VectorRef<Scalar> s) {
  t_ = r;
  cholesky_.solve_in_place(t_);
  s.noalias() = J.transpose() * t_;
  return s.allFinite();
}

template <class Scalar>
bool GramSolver<Scalar>::solve_damped(ConstMatrixRef<Scalar> J, ConstVectorRef<Scalar> b,
                                      VectorRef<Scalar> s) {
  const auto lambda = static_cast<Scalar>(lambda_);
  if (identity_d_) {
    t_.noalias() = J * b;
  } else {
    db_ = inverse_d_.cwiseProduct(b);
    t_.noalias() = J * db_;
  }
  cholesky_.solve_in_place(t_);
  jt_.noalias() = J.transpose() * t_;
  if (identity_d_) {
    s = (b - jt_) / lambda;
  } else {
    s = (b - jt_).cwiseProduct(inverse_d_) / lambda;
  }
  return s.allFinite();
}

template <class Scalar>
bool GramSolver<Scalar>::solve_damped(LinearOperatorRef<Scalar> jvp, LinearOperatorRef<Scalar> vjp,
                                      ConstVectorRef<Scalar> b, VectorRef<Scalar> s) {
  if (!identity_d_) throw Error("GramSolver: the matrix-free solve needs D = I");
  if (jt_.size() != b.size()) jt_.resize(b.size());
  jvp(b, t_);
  cholesky_.solve_in_place(t_);
  vjp(t_, jt_);
  s = (b - jt_) / static_cast<Scalar>(lambda_);
  return s.allFinite();
}

template <class Scalar>
void NormalEquationsSolver<Scalar>::resize(Index n) {
  jtj_.resize(n, n);
  jtj_.setZero();
  system_.resize(n, n);
  factored_ = false;
}

template <class Scalar>
void NormalEquationsSolver<Scalar>::clear() {
  jtj_.template triangularView<Eigen::Lower>().setZero();
  factored_ = false;
}

template <class Scalar>
void NormalEquationsSolver<Scalar>::accumulate(ConstMatrixRef<Scalar> J_block) {
  if (J_block.cols() != jtj_.rows())
    throw ShapeError("NormalEquationsSolver: a block of " + std::to_string(J_block.cols()) +
                     " columns, expected " + std::to_string(jtj_.rows()));
  jtj_.template selfadjointView<Eigen::Lower>().rankUpdate(J_block.transpose());  // BLAS syrk
  factored_ = false;
}

template <class Scalar>
void NormalEquationsSolver<Scalar>::set_jacobian(ConstMatrixRef<Scalar> J) {
  if (jtj_.rows() != J.cols()) resize(J.cols());
  clear();
  accumulate(J);
}

template <class Scalar>
Matrix<Scalar>& NormalEquationsSolver<Scalar>::normal_matrix() {
  factored_ = false;
  return jtj_;
}

template <class Scalar>
FactorStatus NormalEquationsSolver<Scalar>::factorize(double lambda, ConstVectorRef<Scalar> d) {
  const bool same_d =
      d.size() == d_.size() &&
      std::memcmp(d.data(), d_.data(), sizeof(Scalar) * static_cast<std::size_t>(d.size())) == 0;
  if (factored_ && lambda == lambda_ && same_d) return status_;
  factored_ = true;
  lambda_ = lambda;
  d_ = d;
  Matrix<Scalar>& system = cholesky_.matrix();
  system.resize(jtj_.rows(), jtj_.cols());
  system.template triangularView<Eigen::Lower>() = jtj_;
  system.diagonal() += static_cast<Scalar>(lambda) * d;
  if (cholesky_.factorize_in_place()) return status_ = FactorStatus::kPositiveDefinite;
  system_ = jtj_;  // the failed factorization overwrote its copy
  system_.diagonal() += static_cast<Scalar>(lambda) * d;
  // Positive definite in exact arithmetic; the pivoted LDLT survives round-off near singular.
  ldlt_.compute(system_.template selfadjointView<Eigen::Lower>());
  status_ = ldlt_.info() == Eigen::Success ? FactorStatus::kIndefiniteFallback
                                           : FactorStatus::kNotPositiveDefinite;
  return status_;
}

template <class Scalar>
bool NormalEquationsSolver<Scalar>::solve(ConstVectorRef<Scalar> b, VectorRef<Scalar> s) const {
  s = b;
  switch (status_) {
    case FactorStatus::kPositiveDefinite:
      cholesky_.solve_in_place(s);
      break;
    case FactorStatus::kIndefiniteFallback:
      ldlt_.solveInPlace(s);
      break;
    case FactorStatus::kNotPositiveDefinite:
      return false;
  }
  return s.allFinite();
}

template class GramSolver<float>;
template class GramSolver<double>;
template class NormalEquationsSolver<float>;
template class NormalEquationsSolver<double>;

}  // namespace curvopt
