#include "curvopt/optim/adaptive_momentum.h"

#include <cmath>

namespace curvopt {

template <class Scalar>
bool adaptive_momentum_step(ConstVectorRef<Scalar> v, ConstVectorRef<Scalar> g,
                            ConstVectorRef<Scalar> previous, double i_ff, double step_length,
                            double xi, VectorRef<Scalar> out) {
  const double i_gg = -static_cast<double>(g.dot(v));
  const double i_gf = static_cast<double>(g.dot(previous));
  if (!(i_gg > 0) || !(i_ff > 0) || !(xi > 0 && xi < 1) || !(step_length > 0)) return false;
  const double dq = -xi * step_length * std::sqrt(i_gg);
  const double numerator = i_ff * i_gg - i_gf * i_gf;  // ≥ 0 by Cauchy-Schwarz in the H metric
  const double denominator = i_gg * step_length * step_length - dq * dq;  // = I_GG δP²(1 − ξ²)
  if (!(numerator > 1e-12 * i_ff * i_gg) || !(denominator > 0)) return false;
  const double z2 = 0.5 * std::sqrt(numerator / denominator);
  const double z1 = (i_gf - 2 * z2 * dq) / i_gg;
  out = static_cast<Scalar>(z1 / (2 * z2)) * v + static_cast<Scalar>(1 / (2 * z2)) * previous;
  return out.allFinite();
}

template bool adaptive_momentum_step<float>(ConstVectorRef<float>, ConstVectorRef<float>,
                                            ConstVectorRef<float>, double, double, double,
                                            VectorRef<float>);
template bool adaptive_momentum_step<double>(ConstVectorRef<double>, ConstVectorRef<double>,
                                             ConstVectorRef<double>, double, double, double,
                                             VectorRef<double>);

}  // namespace curvopt
