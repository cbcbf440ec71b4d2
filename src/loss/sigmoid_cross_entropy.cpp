#include "curvopt/loss/sigmoid_cross_entropy.h"

#include <cmath>
#include <string>

namespace curvopt {
namespace {

constexpr double kMinVariance = 1e-12;

}  // namespace

template <class Scalar>
Scalar SigmoidCrossEntropy<Scalar>::mean_count(Index b, Index c) const {
  return static_cast<Scalar>(b * c);
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::check_targets(Index outputs, ConstRef Y) const {
  if (Y.rows() != outputs)
    this->target_error("target rows", std::to_string(Y.rows()), std::to_string(outputs), true);
  for (Index s = 0; s < Y.cols(); ++s)
    for (Index k = 0; k < Y.rows(); ++k)
      if (!(Y(k, s) >= 0 && Y(k, s) <= 1))
        this->target_error("target " + std::to_string(k) + " of example " + std::to_string(s),
                           std::to_string(static_cast<double>(Y(k, s))), "a value in [0, 1]",
                           false);
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::compute_probabilities(ConstRef Z) const {
  probs_ = (Scalar(1) + (-Z.array()).exp()).inverse().matrix();
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::predictions(ConstRef Z, Ref P) const {
  P = (Scalar(1) + (-Z.array()).exp()).inverse().matrix();
}

template <class Scalar>
Scalar SigmoidCrossEntropy<Scalar>::value(ConstRef Z, ConstRef Y) const {
  const auto softplus = Z.array().max(Scalar(0)) + (-Z.array().abs()).exp().log1p();
  return this->scale(Z.cols(), Z.rows()) * (softplus - Y.array() * Z.array()).sum();
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::example_values(ConstRef Z, ConstRef Y,
                                                 VectorRef<Scalar> out) const {
  const Scalar scale = this->scale(Z.cols(), Z.rows());
  for (Index s = 0; s < Z.cols(); ++s) {
    const auto z = Z.col(s).array();
    const auto softplus = z.max(Scalar(0)) + (-z.abs()).exp().log1p();
    out(s) = scale * (softplus - Y.col(s).array() * z).sum();
  }
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::gradient(ConstRef Z, ConstRef Y, Ref dZ) const {
  compute_probabilities(Z);
  dZ = this->scale(Z.cols(), Z.rows()) * (probs_ - Y);
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::hessian_product(ConstRef Z, ConstRef, ConstRef V, Ref HV) const {
  compute_probabilities(Z);
  HV = this->scale(Z.cols(), Z.rows()) *
       (probs_.array() * (Scalar(1) - probs_.array()) * V.array()).matrix();
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::residuals(ConstRef Z, ConstRef Y, Ref R) const {
  compute_probabilities(Z);
  const Scalar root_scale = std::sqrt(this->scale(Z.cols(), Z.rows()));
  const auto variance =
      (probs_.array() * (Scalar(1) - probs_.array())).max(static_cast<Scalar>(kMinVariance));
  R = (root_scale * (probs_.array() - Y.array()) / variance.sqrt()).matrix();
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::factor_column(ConstRef Z, Index k, Ref U) const {
  compute_probabilities(Z);
  const Scalar scale = this->scale(Z.cols(), Z.rows());
  U.setZero();
  U.row(k) = (scale * probs_.row(k).array() * (Scalar(1) - probs_.row(k).array())).sqrt().matrix();
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::factor_transpose_product(ConstRef Z, ConstRef V, Ref Out) const {
  compute_probabilities(Z);
  const Scalar scale = this->scale(Z.cols(), Z.rows());
  Out = ((scale * probs_.array() * (Scalar(1) - probs_.array())).sqrt() * V.array()).matrix();
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::factor_product(ConstRef Z, ConstRef U, Ref Out) const {
  factor_transpose_product(Z, U, Out);  // Q is diagonal
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::sample_targets(ConstRef Z, Rng& rng, Ref Y) const {
  compute_probabilities(Z);
  for (Index s = 0; s < Z.cols(); ++s)
    for (Index k = 0; k < Z.rows(); ++k)
      Y(k, s) = rng.uniform() < static_cast<double>(probs_(k, s)) ? Scalar(1) : Scalar(0);
}

template <class Scalar>
void SigmoidCrossEntropy<Scalar>::sample_gauss_newton_cotangents(ConstRef Z, Rng& rng,
                                                                 Ref U) const {
  // √scale·(p − y), y ~ Bernoulli(p) per output: E = scale·p(1 − p), the logit Hessian.
  compute_probabilities(Z);
  const Scalar root_scale = std::sqrt(this->scale(Z.cols(), Z.rows()));
  for (Index s = 0; s < Z.cols(); ++s)
    for (Index k = 0; k < Z.rows(); ++k) {
      const Scalar p = probs_(k, s);
      const Scalar y = rng.uniform() < static_cast<double>(p) ? Scalar(1) : Scalar(0);
      U(k, s) = root_scale * (p - y);
    }
}

template class SigmoidCrossEntropy<float>;
template class SigmoidCrossEntropy<double>;

}  // namespace curvopt
