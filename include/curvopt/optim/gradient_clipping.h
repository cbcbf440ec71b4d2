#pragma once
/// Gradient clipping, applied to the gradient before an optimizer uses it.

#include <optional>
#include <string>

#include "curvopt/core/types.h"

namespace curvopt {

/// Both limits are off (0) by default; when both are set, values are clipped first.
struct GradientClippingOptions {
  /// Clamp every component to [−max_value, max_value] (PyTorch clip_grad_value_); 0 = off.
  double max_value = 0;
  /// Rescale the gradient to norm max_norm when its 2-norm exceeds it (clip_grad_norm_); 0 = off.
  double max_norm = 0;

  bool enabled() const { return max_value > 0 || max_norm > 0; }
  std::optional<std::string> validate() const;
};

/// Clips `grad` in place (by value first, then by norm). Returns the 2-norm before any clipping.
template <class Scalar>
double clip_gradient(const GradientClippingOptions& options, VectorRef<Scalar> grad);

}  // namespace curvopt
