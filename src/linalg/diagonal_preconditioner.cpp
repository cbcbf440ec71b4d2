#include "curvopt/linalg/diagonal_preconditioner.h"

namespace curvopt {

template <class Scalar>
void DiagonalPreconditioner<Scalar>::set_diagonal(ConstVectorRef<Scalar> d) {
  inverse_ = d.cwiseInverse();
}

template <class Scalar>
void DiagonalPreconditioner<Scalar>::set_martens(ConstVectorRef<Scalar> squared_gradient_sum,
                                                 double lambda, double exponent) {
  // (s + λ)^(−exponent) in one pass: D⁻¹ directly.
  inverse_ = (squared_gradient_sum.array() + static_cast<Scalar>(lambda))
                 .pow(static_cast<Scalar>(-exponent))
                 .matrix();
}

template class DiagonalPreconditioner<float>;
template class DiagonalPreconditioner<double>;

}  // namespace curvopt
