#include "curvopt/optim/gradient_clipping.h"

#include <cmath>

#include "curvopt/optim/option_fields.h"

namespace curvopt {

std::optional<std::string> GradientClippingOptions::validate() const {
  const std::string p = "GradientClippingOptions::";
  if (!(max_value >= 0 && std::isfinite(max_value)))
    return p + "max_value = " + format_option_value(max_value) + ": must be finite and >= 0";
  if (!(max_norm >= 0 && std::isfinite(max_norm)))
    return p + "max_norm = " + format_option_value(max_norm) + ": must be finite and >= 0";
  return std::nullopt;
}

template <class Scalar>
double clip_gradient(const GradientClippingOptions& options, VectorRef<Scalar> grad) {
  const double original_norm = static_cast<double>(grad.norm());
  double norm = original_norm;
  if (options.max_value > 0) {
    const auto limit = static_cast<Scalar>(options.max_value);
    grad = grad.cwiseMax(-limit).cwiseMin(limit);
    norm = static_cast<double>(grad.norm());
  }
  if (options.max_norm > 0 && norm > options.max_norm) {
    // PyTorch adds 1e-6 to the norm in the denominator; we scale to exactly max_norm instead.
    grad *= static_cast<Scalar>(options.max_norm / norm);
  }
  return original_norm;
}

template double clip_gradient<float>(const GradientClippingOptions&, VectorRef<float>);
template double clip_gradient<double>(const GradientClippingOptions&, VectorRef<double>);

}  // namespace curvopt
