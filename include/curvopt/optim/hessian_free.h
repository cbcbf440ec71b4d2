#pragma once
/// Hessian-free optimization (Martens 2010; Martens & Sutskever 2012) as a composition on the
/// descent × search loop: the Hessian-free descent (damped Gauss-Newton system solved by
/// warm-started, preconditioned, truncated CG, backtracked over its iterates) × Armijo
/// backtracking on the chosen step.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/optim/descent/hessian_free_descent.h"
#include "curvopt/optim/descent_search_minimizer.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {

struct HessianFreeOptions {
  HessianFreeDescentOptions descent;
  /// The final line search (Martens & Sutskever 2012): α from 1, α ← shrink·α until
  /// f(θ + αp) ≤ f(θ) + c₁·α·gᵀp, at most max_line_search trials; when none passes the step is
  /// skipped (θ unchanged). Defaults c₁ = 1e-2, shrink 0.8, 60 trials.
  double c1 = 1e-2;
  double backtrack_factor = 0.8;
  int max_line_search = 60;
  /// Converged when ‖∇f‖∞ ≤ this; 0 = never. Default 0.
  double gradient_tolerance = 0;
  /// The loop's second chance for a step the line search refused: uphill acceptance against
  /// the best loss seen (as the modified LM of Pooladzandi & Zhou 2022), exponent b, and
  /// evaluation at the best iterate. Defaults off, 2, off.
  bool uphill = false;
  double uphill_exponent = 2;
  bool keep_best = false;

  std::optional<std::string> validate() const;
};

/// Registry names `hessian-free` and `hf`. Oracles: value, gradient, Gauss-Newton products (or
/// Hessian products with curvature=hessian), and per-example gradients for Martens'
/// preconditioner when the problem has them. The step report gives λ (damping), the CG
/// iterations (inner_iterations), the products and α (step_length).
/// @tparam Scalar float or double
template <class Scalar>
class HessianFree final : public DescentSearchMinimizer<Scalar> {
 public:
  using Options = HessianFreeOptions;
  /// Throws ConfigError when the options are invalid.
  explicit HessianFree(const Options& options = {});
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

  const HessianFreeDescent<Scalar>& hessian_free_descent() const {
    return static_cast<const HessianFreeDescent<Scalar>&>(this->descent());
  }

 private:
  Options options_;
};

extern template class HessianFree<float>;
extern template class HessianFree<double>;

}  // namespace curvopt
