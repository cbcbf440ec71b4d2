#pragma once
/// K-FAC (Martens & Grosse 2015) with KFC for convolutions (Grosse & Martens 2016): natural-
/// gradient steps through a Kronecker-factored Fisher, sized by the exact quadratic model.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/optim/descent/kfac_descent.h"
#include "curvopt/optim/descent_search_minimizer.h"
#include "curvopt/optim/option_fields.h"
#include "curvopt/optim/search/periodic_damping_search.h"

namespace curvopt {

struct KfacOptions {
  KfacDescentOptions descent;
  PeriodicDampingSearchOptions damping;
  /// Trials per step when rejected steps are retried (damping.reject_uphill). Default 10.
  int max_trials = 10;

  std::optional<std::string> validate() const;
};

/// K-FAC as a composition on the descent × search loop: KfacDescent (Δ = −F̃⁻¹g from moving
/// averages of per-layer factors, α and μ from the exact quadratic model with one two-column
/// Gauss-Newton product) × PeriodicDampingSearch (every step taken; λ adapted every T₁ steps by
/// the Levenberg-Marquardt rule, f evaluated only then). Cost per step: the gradient, the
/// statistics (one backward pass with sampled targets, on the curvature batch), a two-column
/// Gauss-Newton product, the preconditioning (d_in·d_out·(d_in + d_out) per layer) and, every
/// inverse_period steps, the damped inverses ((d³_in + d³_out)/3 per layer). Memory: the factors
/// and their inverses, O(Σ d²_in + d²_out). Oracles: value, gradient, kfac_statistics,
/// ggn_product (a network Objective of Dense and Conv2d layers). Registry name: `kfac`.
/// @tparam Scalar float or double
template <class Scalar>
class Kfac final : public DescentSearchMinimizer<Scalar> {
 public:
  using Options = KfacOptions;

  explicit Kfac(const Options& options = {});

  /// With weight_decay η > 0 the step minimizes f + ½η‖θ‖² (L2Regularized): its reported losses
  /// include the penalty.
  StepReport step(Problem<Scalar>& problem, VectorRef<Scalar> params) override;

  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

  const KfacDescent<Scalar>& kfac_descent() const {
    return static_cast<const KfacDescent<Scalar>&>(this->descent());
  }

 private:
  Options options_;
};

extern template class Kfac<float>;
extern template class Kfac<double>;

}  // namespace curvopt
