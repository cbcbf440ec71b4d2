#include "curvopt/loss/softmax_squared_error.h"

#include <cmath>
#include <string>

#include "softmax_columns.h"

namespace curvopt {

template <class Scalar>
Scalar SoftmaxSquaredError<Scalar>::mean_count(Index b, Index c) const {
  return static_cast<Scalar>(b * c);
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::check_targets(Index outputs, ConstRef Y) const {
  if (this->check_class_labels(outputs, Y)) return;
  for (Index s = 0; s < Y.cols(); ++s)
    for (Index k = 0; k < Y.rows(); ++k)
      if (!(Y(k, s) >= 0 && Y(k, s) <= 1))
        this->target_error("target " + std::to_string(k) + " of example " + std::to_string(s),
                           std::to_string(static_cast<double>(Y(k, s))), "a value in [0, 1]",
                           false);
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::compute_probabilities(ConstRef Z) const {
  detail::softmax_columns<Scalar>(Z, probs_);
}

template <class Scalar>
const Matrix<Scalar>& SoftmaxSquaredError<Scalar>::dense_targets(ConstRef Y, Index classes) const {
  return detail::dense_class_targets<Scalar>(Y, classes, targets_);
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::jacobian_product(ConstRef V, Ref Out) const {
  // J v = p ⊙ v − p (pᵀ v).
  dots_ = probs_.cwiseProduct(V).colwise().sum();
  for (Index s = 0; s < V.cols(); ++s)
    Out.col(s) = probs_.col(s).cwiseProduct(V.col(s)) - probs_.col(s) * dots_(s);
}

template <class Scalar>
Scalar SoftmaxSquaredError<Scalar>::value(ConstRef Z, ConstRef Y) const {
  compute_probabilities(Z);
  return this->scale(Z.cols(), Z.rows()) * (probs_ - dense_targets(Y, Z.rows())).squaredNorm();
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::example_values(ConstRef Z, ConstRef Y,
                                                 VectorRef<Scalar> out) const {
  compute_probabilities(Z);
  out = this->scale(Z.cols(), Z.rows()) *
        (probs_ - dense_targets(Y, Z.rows())).colwise().squaredNorm().transpose();
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::gradient(ConstRef Z, ConstRef Y, Ref dZ) const {
  compute_probabilities(Z);
  work_ = probs_ - dense_targets(Y, Z.rows());
  jacobian_product(work_, dZ);
  dZ *= Scalar(2) * this->scale(Z.cols(), Z.rows());
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::hessian_product(ConstRef Z, ConstRef Y, ConstRef V,
                                                  Ref HV) const {
  compute_probabilities(Z);
  const Matrix<Scalar>& T = dense_targets(Y, Z.rows());
  const Scalar twice_scale = Scalar(2) * this->scale(Z.cols(), Z.rows());
  work_.resize(Z.rows(), Z.cols());
  jacobian_product(V, work_);  // dp = J v
  for (Index s = 0; s < Z.cols(); ++s) {
    const auto p = probs_.col(s);
    const auto dp = work_.col(s);
    const auto r = p - T.col(s);
    const Scalar p_dp = p.dot(dp), p_r = p.dot(r), dp_r = dp.dot(r);
    // ∂/∂z [J r]·v = J dp + (diag dp − dp pᵀ − p dpᵀ) r.
    HV.col(s) =
        twice_scale * (p.cwiseProduct(dp) - p * p_dp + dp.cwiseProduct(r) - dp * p_r - p * dp_r);
  }
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::gauss_newton_product(ConstRef Z, ConstRef, ConstRef V,
                                                       Ref GV) const {
  compute_probabilities(Z);
  work_.resize(Z.rows(), Z.cols());
  jacobian_product(V, work_);
  jacobian_product(work_, GV);
  GV *= Scalar(2) * this->scale(Z.cols(), Z.rows());
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::residuals(ConstRef Z, ConstRef Y, Ref R) const {
  compute_probabilities(Z);
  R = std::sqrt(Scalar(2) * this->scale(Z.cols(), Z.rows())) *
      (probs_ - dense_targets(Y, Z.rows()));
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::factor_column(ConstRef Z, Index k, Ref U) const {
  compute_probabilities(Z);
  const Scalar root = std::sqrt(Scalar(2) * this->scale(Z.cols(), Z.rows()));
  // Q e_k = √(2k) p_k (e_k − p).
  for (Index s = 0; s < Z.cols(); ++s) {
    const Scalar w = root * probs_(k, s);
    U.col(s) = -w * probs_.col(s);
    U(k, s) += w;
  }
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::factor_transpose_product(ConstRef Z, ConstRef V, Ref Out) const {
  compute_probabilities(Z);
  jacobian_product(V, Out);
  Out *= std::sqrt(Scalar(2) * this->scale(Z.cols(), Z.rows()));
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::factor_product(ConstRef Z, ConstRef U, Ref Out) const {
  factor_transpose_product(Z, U, Out);  // Q = √(2k) J is symmetric
}

template <class Scalar>
void SoftmaxSquaredError<Scalar>::sample_targets(ConstRef Z, Rng& rng, Ref Y) const {
  compute_probabilities(Z);
  for (Index s = 0; s < Z.cols(); ++s)
    for (Index k = 0; k < Z.rows(); ++k) Y(k, s) = probs_(k, s) + static_cast<Scalar>(rng.normal());
}

template class SoftmaxSquaredError<float>;
template class SoftmaxSquaredError<double>;

}  // namespace curvopt
