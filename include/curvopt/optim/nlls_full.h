#pragma once
/// The full-Jacobian NLLS baseline of Brust (2021): a fixed-damping Gauss-Newton step solved in
/// the m × m data space.

#include <optional>
#include <string>

#include <Eigen/Cholesky>

#include "curvopt/linalg/gram_solve.h"
#include "curvopt/optim/first_order_optimizer.h"

namespace curvopt {

/// Options of NllsFull.
struct NllsFullOptions {
  /// Scale of the step, > 0. Default 1 (the paper's s is taken as it is).
  double learning_rate = 1;
  /// λ > 0 in (λI + JᵀJ)s = −g. Default 1 (the paper's s = −(I + JᵀJ)⁻¹g).
  double damping = 1;
  UpdateControlOptions control;

  std::optional<std::string> validate() const;
};

/// Full-Jacobian NLLS (Brust 2021, the baseline of the NLLS1/NLLSL paper): with f = ‖r‖²/L,
/// g = (2/L)Jᵀr and J = ∂r/∂θ,
///   s = −(λI + JᵀJ)⁻¹g = −(g − Jᵀ(λI_m + JJᵀ)⁻¹Jg)/λ   (Sherman-Morrison-Woodbury),
/// so only the m × m Gram JJᵀ is factored (Cholesky), never an n × n matrix. J is the problem's
/// residual Jacobian rescaled to the paper's residuals (r = r̂·√(L/2)).
/// Cost per step: one gradient, the Gram (m² per layer identity or explicit rows), one JVP and
/// one VJP, and an m³/3 Cholesky. Memory m². Oracles: value, gradient, residuals, gram, jvp,
/// vjp. Registry name: `nlls-full`.
/// @tparam Scalar float or double
template <class Scalar>
class NllsFull final : public FirstOrderOptimizer<Scalar> {
 public:
  using Options = NllsFullOptions;

  explicit NllsFull(const Options& options = {});

  std::string_view name() const override { return "nlls-full"; }
  OracleSet required_oracles() const override {
    return Oracle::kValue | Oracle::kGradient | Oracle::kGram | Oracle::kJvp | Oracle::kVjp;
  }
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

 private:
  void initialize_state(Index n) override;
  void propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
               std::int64_t t, VectorRef<Scalar> next) override;
  void commit() override {}
  void save_method_state(OptimizerState&) const override {}
  void load_method_state(const OptimizerState&, Index n) override { initialize_state(n); }

  Options options_;
  GramSolver<Scalar> gram_;  // (λI + JJᵀ) and its Cholesky factor
  Vector<Scalar> jg_, back_;
};

extern template class NllsFull<float>;
extern template class NllsFull<double>;

}  // namespace curvopt
