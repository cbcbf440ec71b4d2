#pragma once
/// The full-Jacobian NLLS baseline of Brust (2021): a fixed-damping Gauss-Newton step solved in
/// the m × m data space.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/optim/descent_search_minimizer.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {

/// Options of NllsFull.
struct NllsFullOptions {
  /// Scale of the step, > 0. Default 1 (the paper's s is taken as it is).
  double learning_rate = 1;
  /// λ > 0 in (λI + JᵀJ)s = −g. Default 1 (the paper's s = −(I + JᵀJ)⁻¹g).
  double damping = 1;

  std::optional<std::string> validate() const;
};

/// Full-Jacobian NLLS (Brust 2021, the baseline of the NLLS1/NLLSL paper) as a composition: the
/// Gram descent (GramDescent: s = −(λI + JᵀJ)⁻¹g = −(g − Jᵀ(λI_m + JJᵀ)⁻¹Jg)/λ with f = ‖r‖²/L,
/// g = (2/L)Jᵀr, only the m × m Gram factored) × fixed damping (FixedSearch) on the
/// DescentSearchMinimizer loop: every step whose loss is finite is taken, θ ← θ + lr·s.
/// Cost per step: one gradient, the Gram (m² per layer identity or explicit rows), one JVP, one
/// VJP, an m³/3 Cholesky, and one loss evaluation at the new point. Memory m². Oracles: value,
/// gradient, gram, jvp, vjp. Registry name: `nlls-full`.
/// @tparam Scalar float or double
template <class Scalar>
class NllsFull final : public DescentSearchMinimizer<Scalar> {
 public:
  using Options = NllsFullOptions;

  explicit NllsFull(const Options& options = {});

  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

 private:
  Options options_;
};

extern template class NllsFull<float>;
extern template class NllsFull<double>;

}  // namespace curvopt
