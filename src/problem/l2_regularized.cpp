#include "curvopt/problem/l2_regularized.h"

#include <cmath>
#include <sstream>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
L2Regularized<Scalar>::L2Regularized(Problem<Scalar>& inner, double coefficient)
    : inner_(inner), eta_(static_cast<Scalar>(coefficient)) {
  if (!(coefficient >= 0) || !std::isfinite(coefficient)) {
    std::ostringstream text;
    text << "L2Regularized: coefficient = " << coefficient << ": must be finite and >= 0";
    throw ConfigError(text.str());
  }
}

template <class Scalar>
OracleSet L2Regularized<Scalar>::oracles() const {
  // Only the oracles this class adds the penalty to (or that the penalty leaves alone).
  OracleSet out = Oracle::kValue | Oracle::kGradient;
  const OracleSet inner = inner_.oracles();
  for (Oracle o : {Oracle::kGgnProduct, Oracle::kHessianProduct, Oracle::kKfacStatistics})
    if (inner.contains(o)) out = out | o;
  return out;
}

template <class Scalar>
Scalar L2Regularized<Scalar>::penalty(ConstVectorRef<Scalar> params) const {
  return Scalar(0.5) * eta_ * params.squaredNorm();
}

template <class Scalar>
Scalar L2Regularized<Scalar>::value(ConstVectorRef<Scalar> params) {
  return inner_.value(params) + penalty(params);
}

template <class Scalar>
Scalar L2Regularized<Scalar>::gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) {
  const Scalar f = inner_.gradient(params, grad);
  grad += eta_ * params;
  return f + penalty(params);
}

template <class Scalar>
void L2Regularized<Scalar>::ggn_vector_product(ConstVectorRef<Scalar> params,
                                               ConstVectorRef<Scalar> v, VectorRef<Scalar> out) {
  inner_.ggn_vector_product(params, v, out);
  out += eta_ * v;
}

template <class Scalar>
void L2Regularized<Scalar>::hessian_vector_product(ConstVectorRef<Scalar> params,
                                                   ConstVectorRef<Scalar> v,
                                                   VectorRef<Scalar> out) {
  inner_.hessian_vector_product(params, v, out);
  out += eta_ * v;
}

template <class Scalar>
void L2Regularized<Scalar>::ggn_matrix_product(ConstVectorRef<Scalar> params,
                                               ConstMatrixRef<Scalar> V, MatrixRef<Scalar> out) {
  inner_.ggn_matrix_product(params, V, out);
  out += eta_ * V;
}

template <class Scalar>
void L2Regularized<Scalar>::hessian_matrix_product(ConstVectorRef<Scalar> params,
                                                   ConstMatrixRef<Scalar> V,
                                                   MatrixRef<Scalar> out) {
  inner_.hessian_matrix_product(params, V, out);
  out += eta_ * V;
}

template class L2Regularized<float>;
template class L2Regularized<double>;

}  // namespace curvopt
