#include "curvopt/loss/squared_error.h"

#include <cmath>

namespace curvopt {

template <class Scalar>
Scalar SquaredError<Scalar>::mean_count(Index b, Index c) const {
  return static_cast<Scalar>(b * c);
}

template <class Scalar>
void SquaredError<Scalar>::check_targets(Index outputs, ConstRef Y) const {
  if (Y.rows() != outputs)
    this->target_error("target rows", std::to_string(Y.rows()), std::to_string(outputs), true);
  if (!Y.allFinite()) this->target_error("a target value", "not finite", "finite values", false);
}

template <class Scalar>
Scalar SquaredError<Scalar>::value(ConstRef Z, ConstRef Y) const {
  return this->scale(Z.cols(), Z.rows()) * (Z - Y).squaredNorm();
}

template <class Scalar>
void SquaredError<Scalar>::example_values(ConstRef Z, ConstRef Y, VectorRef<Scalar> out) const {
  out = this->scale(Z.cols(), Z.rows()) * (Z - Y).colwise().squaredNorm().transpose();
}

template <class Scalar>
void SquaredError<Scalar>::gradient(ConstRef Z, ConstRef Y, Ref dZ) const {
  dZ = (Scalar(2) * this->scale(Z.cols(), Z.rows())) * (Z - Y);
}

template <class Scalar>
void SquaredError<Scalar>::hessian_product(ConstRef Z, ConstRef, ConstRef V, Ref HV) const {
  HV = (Scalar(2) * this->scale(Z.cols(), Z.rows())) * V;
}

template <class Scalar>
void SquaredError<Scalar>::residuals(ConstRef Z, ConstRef Y, Ref R) const {
  R = std::sqrt(Scalar(2) * this->scale(Z.cols(), Z.rows())) * (Z - Y);
}

template <class Scalar>
void SquaredError<Scalar>::factor_column(ConstRef Z, Index k, Ref U) const {
  U.setZero();
  U.row(k).setConstant(std::sqrt(Scalar(2) * this->scale(Z.cols(), Z.rows())));
}

template <class Scalar>
void SquaredError<Scalar>::factor_transpose_product(ConstRef Z, ConstRef V, Ref Out) const {
  Out = std::sqrt(Scalar(2) * this->scale(Z.cols(), Z.rows())) * V;
}

template <class Scalar>
void SquaredError<Scalar>::factor_product(ConstRef Z, ConstRef U, Ref Out) const {
  factor_transpose_product(Z, U, Out);  // Q is a multiple of the identity
}

template <class Scalar>
void SquaredError<Scalar>::sample_targets(ConstRef Z, Rng& rng, Ref Y) const {
  for (Index s = 0; s < Z.cols(); ++s)
    for (Index k = 0; k < Z.rows(); ++k) Y(k, s) = Z(k, s) + static_cast<Scalar>(rng.normal());
}

template class SquaredError<float>;
template class SquaredError<double>;

}  // namespace curvopt
