#include "curvopt/loss/softmax_cross_entropy.h"

#include <cmath>
#include <string>

#include "softmax_columns.h"

namespace curvopt {
namespace {

constexpr double kMinProbability = 1e-12;

// A class drawn from the probabilities in column s of P, by inverting their running sum (the
// last class takes what rounding leaves).
template <class Scalar>
Index draw_class(const Matrix<Scalar>& P, Index s, Rng& rng) {
  const double u = rng.uniform();
  double cumulative = 0;
  Index k = 0;
  for (; k < P.rows() - 1; ++k) {
    cumulative += static_cast<double>(P(k, s));
    if (u < cumulative) break;
  }
  return k;
}

}  // namespace

template <class Scalar>
Scalar SoftmaxCrossEntropy<Scalar>::mean_count(Index b, Index) const {
  return static_cast<Scalar>(b);
}

template <class Scalar>
void SoftmaxCrossEntropy<Scalar>::check_targets(Index outputs, ConstRef Y) const {
  if (this->check_class_labels(outputs, Y)) return;
  const double tolerance = std::is_same_v<Scalar, float> ? 1e-4 : 1e-8;
  for (Index s = 0; s < Y.cols(); ++s) {
    if (!Y.col(s).allFinite() || Y.col(s).minCoeff() < 0)
      this->target_error("the target of example " + std::to_string(s), "not a probability vector",
                         "finite non-negative values", false);
    const double sum = static_cast<double>(Y.col(s).sum());
    if (std::abs(sum - 1.0) > tolerance)
      this->target_error("the target sum of example " + std::to_string(s), std::to_string(sum), "1",
                         false);
  }
}

template <class Scalar>
void SoftmaxCrossEntropy<Scalar>::compute_probabilities(ConstRef Z) const {
  detail::softmax_columns<Scalar>(Z, probs_);
}

template <class Scalar>
const Matrix<Scalar>& SoftmaxCrossEntropy<Scalar>::dense_targets(ConstRef Y, Index classes) const {
  return detail::dense_class_targets<Scalar>(Y, classes, targets_);
}

template <class Scalar>
Scalar SoftmaxCrossEntropy<Scalar>::value(ConstRef Z, ConstRef Y) const {
  const Matrix<Scalar>& T = dense_targets(Y, Z.rows());
  double total = 0;
  for (Index s = 0; s < Z.cols(); ++s) {
    const Scalar top = Z.col(s).maxCoeff();
    const Scalar log_sum = top + std::log((Z.col(s).array() - top).exp().sum());
    // −Σ y_k (z_k − lse) = lse·Σy − yᵀz, with Σy = 1.
    total += static_cast<double>(log_sum - T.col(s).dot(Z.col(s)));
  }
  return this->scale(Z.cols(), Z.rows()) * static_cast<Scalar>(total);
}

template <class Scalar>
void SoftmaxCrossEntropy<Scalar>::example_values(ConstRef Z, ConstRef Y,
                                                 VectorRef<Scalar> out) const {
  const Matrix<Scalar>& T = dense_targets(Y, Z.rows());
  const Scalar scale = this->scale(Z.cols(), Z.rows());
  for (Index s = 0; s < Z.cols(); ++s) {
    const Scalar top = Z.col(s).maxCoeff();
    const Scalar log_sum = top + std::log((Z.col(s).array() - top).exp().sum());
    out(s) = scale * (log_sum - T.col(s).dot(Z.col(s)));
  }
}

template <class Scalar>
void SoftmaxCrossEntropy<Scalar>::gradient(ConstRef Z, ConstRef Y, Ref dZ) const {
  compute_probabilities(Z);
  dZ = this->scale(Z.cols(), Z.rows()) * (probs_ - dense_targets(Y, Z.rows()));
}

template <class Scalar>
void SoftmaxCrossEntropy<Scalar>::hessian_product(ConstRef Z, ConstRef, ConstRef V, Ref HV) const {
  compute_probabilities(Z);
  const Scalar scale = this->scale(Z.cols(), Z.rows());
  dots_ = probs_.cwiseProduct(V).colwise().sum();
  for (Index s = 0; s < Z.cols(); ++s)
    HV.col(s) = scale * (probs_.col(s).cwiseProduct(V.col(s)) - probs_.col(s) * dots_(s));
}

template <class Scalar>
void SoftmaxCrossEntropy<Scalar>::residuals(ConstRef Z, ConstRef Y, Ref R) const {
  compute_probabilities(Z);
  const Scalar root_scale = std::sqrt(this->scale(Z.cols(), Z.rows()));
  R = root_scale *
      (probs_ - dense_targets(Y, Z.rows()))
          .cwiseQuotient(probs_.cwiseMax(static_cast<Scalar>(kMinProbability)).cwiseSqrt());
}

template <class Scalar>
void SoftmaxCrossEntropy<Scalar>::factor_column(ConstRef Z, Index k, Ref U) const {
  compute_probabilities(Z);
  const Scalar root_scale = std::sqrt(this->scale(Z.cols(), Z.rows()));
  // Q e_k = √p_k (e_k − p).
  for (Index s = 0; s < Z.cols(); ++s) {
    const Scalar w = root_scale * std::sqrt(probs_(k, s));
    U.col(s) = -w * probs_.col(s);
    U(k, s) += w;
  }
}

template <class Scalar>
void SoftmaxCrossEntropy<Scalar>::factor_transpose_product(ConstRef Z, ConstRef V, Ref Out) const {
  compute_probabilities(Z);
  const Scalar root_scale = std::sqrt(this->scale(Z.cols(), Z.rows()));
  // Qᵀ v = √p ⊙ v − √p (pᵀ v).
  dots_ = probs_.cwiseProduct(V).colwise().sum();
  for (Index s = 0; s < Z.cols(); ++s)
    Out.col(s) = root_scale * probs_.col(s).cwiseSqrt().cwiseProduct(
                                  V.col(s) - Vector<Scalar>::Constant(V.rows(), dots_(s)));
}

template <class Scalar>
void SoftmaxCrossEntropy<Scalar>::factor_product(ConstRef Z, ConstRef U, Ref Out) const {
  compute_probabilities(Z);
  const Scalar root_scale = std::sqrt(this->scale(Z.cols(), Z.rows()));
  // Q u = √p ⊙ u − p (√pᵀ u).
  dots_ = probs_.cwiseSqrt().cwiseProduct(U).colwise().sum();
  for (Index s = 0; s < Z.cols(); ++s)
    Out.col(s) =
        root_scale * (probs_.col(s).cwiseSqrt().cwiseProduct(U.col(s)) - probs_.col(s) * dots_(s));
}

template <class Scalar>
void SoftmaxCrossEntropy<Scalar>::sample_targets(ConstRef Z, Rng& rng, Ref Y) const {
  compute_probabilities(Z);
  Y.setZero();
  for (Index s = 0; s < Z.cols(); ++s) {
    const Index k = draw_class(probs_, s, rng);
    Y(k, s) = Scalar(1);
  }
}

template <class Scalar>
void SoftmaxCrossEntropy<Scalar>::sample_gauss_newton_cotangents(ConstRef Z, Rng& rng,
                                                                 Ref U) const {
  // √scale·(p − e_k), k ~ Categorical(p): E = scale·(diag p − ppᵀ), the logit Hessian.
  compute_probabilities(Z);
  const Scalar root_scale = std::sqrt(this->scale(Z.cols(), Z.rows()));
  for (Index s = 0; s < Z.cols(); ++s) {
    const Index k = draw_class(probs_, s, rng);
    U.col(s) = root_scale * probs_.col(s);
    U(k, s) -= root_scale;
  }
}

template class SoftmaxCrossEntropy<float>;
template class SoftmaxCrossEntropy<double>;

}  // namespace curvopt
