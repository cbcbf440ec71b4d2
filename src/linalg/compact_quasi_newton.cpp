#include "curvopt/linalg/compact_quasi_newton.h"

#include <cmath>
#include <limits>
#include <string>

#include <Eigen/Cholesky>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
bool sr1_pair_acceptable(ConstVectorRef<Scalar> s, ConstVectorRef<Scalar> u, double epsilon) {
  const auto su = static_cast<double>(s.dot(u));
  const double scale = static_cast<double>(s.norm()) * static_cast<double>(u.norm());
  return std::isfinite(su) && std::abs(su) > epsilon * scale;
}

// ---------------------------------------------------------------------------------- L-BFGS

template <class Scalar>
void CompactLbfgs<Scalar>::resize(Index n, int capacity) {
  if (capacity < 1) throw ConfigError("CompactLbfgs: capacity must be >= 1");
  n_ = n;
  k_ = 0;
  S_.resize(n, capacity);
  Y_.resize(n, capacity);
  small_.resize(capacity, capacity);
  for (Matrix<double>* m : {&sts_, &sty_, &yty_, &schur_}) m->resize(capacity, capacity);
  for (Vector<double>* v : {&w1_, &w2_, &p_}) v->resize(capacity);
  inner_.resize(capacity);
  coeff_.resize(capacity);
}

template <class Scalar>
bool CompactLbfgs<Scalar>::set_pairs(ConstMatrixRef<Scalar> S, ConstMatrixRef<Scalar> Y,
                                     double gamma) {
  const Index k = S.cols();
  if (S.rows() != n_ || Y.rows() != n_ || Y.cols() != k || k > S_.cols())
    throw ShapeError("CompactLbfgs: pairs of " + std::to_string(S.rows()) + "x" +
                     std::to_string(k) + ", expected n = " + std::to_string(n_) + " and at most " +
                     std::to_string(S_.cols()) + " columns");
  if (!(gamma > 0)) throw ValueError("CompactLbfgs: gamma must be > 0");
  k_ = 0;
  gamma_ = gamma;
  S_.leftCols(k) = S;
  Y_.leftCols(k) = Y;
  auto gram = [&](const auto& a, const auto& b, Matrix<double>& out) {
    small_.topLeftCorner(k, k).noalias() = a.transpose() * b;
    out.topLeftCorner(k, k) = small_.topLeftCorner(k, k).template cast<double>();
  };
  gram(S_.leftCols(k), S_.leftCols(k), sts_);
  gram(S_.leftCols(k), Y_.leftCols(k), sty_);
  gram(Y_.leftCols(k), Y_.leftCols(k), yty_);
  for (Index i = 0; i < k; ++i)
    if (!(sty_(i, i) > 0)) return false;
  // Schur complement of −D in the middle matrix: γSᵀS + L D⁻¹ Lᵀ, L_il = sᵢᵀy_l (i > l).
  for (Index i = 0; i < k; ++i) {
    for (Index j = 0; j <= i; ++j) {
      double sum = gamma * sts_(i, j);
      for (Index l = 0; l < j; ++l) sum += sty_(i, l) * sty_(j, l) / sty_(l, l);
      schur_(i, j) = sum;
    }
  }
  Eigen::Ref<Matrix<double>> block = schur_.topLeftCorner(k, k);
  Eigen::LLT<Eigen::Ref<Matrix<double>>> llt(block);  // in place, into the lower triangle
  if (llt.info() != Eigen::Success) return false;
  k_ = static_cast<int>(k);
  return true;
}

template <class Scalar>
void CompactLbfgs<Scalar>::apply(ConstVectorRef<Scalar> v, VectorRef<Scalar> out) {
  const Index k = k_;
  if (k == 0) {
    out = static_cast<Scalar>(gamma_) * v;
    return;
  }
  // [p; q] = N⁻¹ [γSᵀv; Yᵀv] by the Schur complement C = γSᵀS + L D⁻¹ Lᵀ:
  //   C p = γSᵀv + L D⁻¹ Yᵀv,   q = D⁻¹ (Lᵀp − Yᵀv),   B v = γv − γS p − Y q.
  inner_.head(k).noalias() = S_.leftCols(k).transpose() * v;
  w1_.head(k) = gamma_ * inner_.head(k).template cast<double>();
  inner_.head(k).noalias() = Y_.leftCols(k).transpose() * v;
  w2_.head(k) = inner_.head(k).template cast<double>();
  for (Index i = 0; i < k; ++i) {
    double sum = w1_(i);
    for (Index l = 0; l < i; ++l) sum += sty_(i, l) * w2_(l) / sty_(l, l);
    p_(i) = sum;
  }
  const auto factor = schur_.topLeftCorner(k, k).template triangularView<Eigen::Lower>();
  factor.solveInPlace(p_.head(k));
  factor.transpose().solveInPlace(p_.head(k));
  for (Index i = 0; i < k; ++i) {
    double sum = -w2_(i);
    for (Index l = i + 1; l < k; ++l) sum += sty_(l, i) * p_(l);
    w2_(i) = sum / sty_(i, i);  // q
  }
  out = static_cast<Scalar>(gamma_) * v;
  coeff_.head(k) = (gamma_ * p_.head(k)).template cast<Scalar>();
  out.noalias() -= S_.leftCols(k) * coeff_.head(k);
  coeff_.head(k) = w2_.head(k).template cast<Scalar>();
  out.noalias() -= Y_.leftCols(k) * coeff_.head(k);
}

template <class Scalar>
void CompactLbfgs<Scalar>::apply_inverse(ConstVectorRef<Scalar> v, VectorRef<Scalar> out) {
  const Index k = k_;
  const double h0 = 1 / gamma_;
  if (k == 0) {
    out = static_cast<Scalar>(h0) * v;
    return;
  }
  // c = R⁻¹Sᵀv, top = R⁻ᵀ((D + γ⁻¹YᵀY)c − γ⁻¹Yᵀv), H v = γ⁻¹v + S top − γ⁻¹Y c.
  inner_.head(k).noalias() = S_.leftCols(k).transpose() * v;
  w1_.head(k) = inner_.head(k).template cast<double>();
  inner_.head(k).noalias() = Y_.leftCols(k).transpose() * v;
  w2_.head(k) = h0 * inner_.head(k).template cast<double>();
  const auto R = sty_.topLeftCorner(k, k).template triangularView<Eigen::Upper>();
  R.solveInPlace(w1_.head(k));  // c
  p_.head(k).noalias() = h0 * (yty_.topLeftCorner(k, k) * w1_.head(k));
  p_.head(k) += sty_.diagonal().head(k).cwiseProduct(w1_.head(k)) - w2_.head(k);
  R.transpose().solveInPlace(p_.head(k));  // top
  out = static_cast<Scalar>(h0) * v;
  coeff_.head(k) = p_.head(k).template cast<Scalar>();
  out.noalias() += S_.leftCols(k) * coeff_.head(k);
  coeff_.head(k) = (h0 * w1_.head(k)).template cast<Scalar>();
  out.noalias() -= Y_.leftCols(k) * coeff_.head(k);
}

template bool sr1_pair_acceptable<float>(ConstVectorRef<float>, ConstVectorRef<float>, double);
template bool sr1_pair_acceptable<double>(ConstVectorRef<double>, ConstVectorRef<double>, double);
template class CompactLbfgs<float>;
template class CompactLbfgs<double>;

}  // namespace curvopt
