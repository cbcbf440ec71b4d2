#include "curvopt/optim/accept/uphill_acceptance.h"

#include <algorithm>
#include <cmath>

namespace curvopt {

template <class Scalar>
bool UphillAcceptance::accepts(double f_new, double reference, ConstVectorRef<Scalar> direction,
                               ConstVectorRef<Scalar> previous) const {
  if (!std::isfinite(f_new)) return false;
  const double denominator = static_cast<double>(direction.norm() * previous.norm());
  const double beta =
      denominator > 0 ? static_cast<double>(direction.dot(previous)) / denominator : 0.0;
  const double factor = std::min(1.0, 1 - beta);
  return std::pow(factor, exponent) * f_new <= reference;
}

template bool UphillAcceptance::accepts<float>(double, double, ConstVectorRef<float>,
                                               ConstVectorRef<float>) const;
template bool UphillAcceptance::accepts<double>(double, double, ConstVectorRef<double>,
                                                ConstVectorRef<double>) const;

}  // namespace curvopt
