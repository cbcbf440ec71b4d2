#pragma once
/// The descent of Hessian-free optimization (Martens 2010; Martens & Sutskever 2012): a truncated
/// CG solve of the damped Gauss-Newton system (G + λI) p = −g from matrix-vector products only,
/// warm-started from the previous solve, stopped by Martens' relative-progress rule, backtracked
/// over its saved iterates by the true loss, with λ adapted by the Levenberg-Marquardt rule on
/// the reduction ratio. A line search on the chosen p (a kStepSize search) completes the method.

#include <optional>
#include <string>
#include <string_view>

#include "curvopt/linalg/conjugate_gradient.h"
#include "curvopt/linalg/diagonal_preconditioner.h"
#include "curvopt/optim/descent/descent.h"
#include "curvopt/optim/descent/newton_cg_descent.h"

namespace curvopt {

/// Which preconditioner the CG solve uses.
enum class HessianFreePreconditioner {
  kAuto,     ///< Martens' when the problem offers per-example gradients, otherwise none
  kMartens,  ///< (diag(empirical Fisher) + λ)^exponent (Martens 2010, Sec. 4.7)
  kNone,
};

std::string_view to_string(HessianFreePreconditioner p);
bool parse_enum(std::string_view text, HessianFreePreconditioner& out);
std::string enum_choices(HessianFreePreconditioner);

struct HessianFreeDescentOptions {
  /// The curvature B of the model: Gauss-Newton products (positive semi-definite, Martens'
  /// choice and the default) or Hessian products (CG then stops on negative curvature).
  CurvatureProduct curvature = CurvatureProduct::kGaussNewton;
  /// λ₀ of the damped system (B + λI). Default 1 (the ports of Martens' code).
  double initial_damping = 1;
  /// The Levenberg-Marquardt rule (Martens 2010, Sec. 4.1): after each solve, λ ← increase·λ
  /// when ρ < rho_low, λ ← decrease·λ when ρ > rho_high. Defaults 3/2, 2/3, 1/4, 3/4.
  double damping_increase = 1.5;
  double damping_decrease = 2.0 / 3.0;
  double rho_low = 0.25;
  double rho_high = 0.75;
  /// λ never falls below this (0 = no floor). On minibatches a floor keeps a noisy ρ from
  /// driving λ to zero. Default 0.
  double min_damping = 0;
  /// ρ's denominator is the damped model ½pᵀ(B + λI)p + gᵀp (as init2winit) or, when false,
  /// the undamped ½pᵀBp + gᵀp. Default true.
  bool damped_model = true;
  /// CG: iteration limit (Martens: 250), relative-progress ε (Martens: 5e-4; 0 = the test off),
  /// residual stop ‖r‖ ≤ tolerance·‖g‖, and residual recomputation every this many iterations
  /// (0 = never; init2winit uses 10 against float drift).
  int max_cg_iterations = 250;
  double cg_epsilon = 5e-4;
  double cg_tolerance = 1e-10;
  int residual_refresh = 0;
  /// CG starts from decay·p_prev, the previous solve's final iterate (0 = from zero). Default 0.95.
  double warm_start_decay = 0.95;
  /// A step with ρ < 0 forgets p_prev, so the next solve starts from zero (as the
  /// pytorch-hessianfree port). Default true.
  bool reset_on_negative_rho = true;
  /// Keep iterates at i = ⌈5·1.3^j⌉ and pick among them by the true loss (Martens' CG
  /// backtracking); when false, the final CG iterate is the step. Default true.
  bool cg_backtracking = true;
  HessianFreePreconditioner preconditioner = HessianFreePreconditioner::kAuto;
  /// The exponent of Martens' preconditioner. Default 0.75.
  double preconditioner_exponent = 0.75;
  /// μ of structural damping (Martens & Sutskever 2011): CG solves (G + λI + μλ·D_S)p = −g, D_S
  /// the Gauss-Newton matrix of the hidden states' mean squared change, so a high λ also holds
  /// the network's internal representation still. Gauss-Newton curvature only; 0 = off
  /// (default; Martens & Sutskever use 1/30 for recurrent networks).
  double structural_damping = 0;

  std::optional<std::string> validate() const;
};

/// λ after a solve whose reduction ratio was ρ (the Levenberg-Marquardt rule, floored at
/// min_damping). A non-finite ρ counts as a failure.
double next_hessian_free_damping(double lambda, double rho, const HessianFreeDescentOptions& o);

/// Scalar: the step size α along the chosen CG iterate p. prepare() does the whole inner work:
/// the preconditioner, the CG solve, the backtracking (one loss evaluation per kept iterate it
/// visits) and the damping update. The line search's model is linear (curvature() = 0): its
/// Armijo test reads gᵀs. A CG solve that meets a non-finite product ends the step with θ
/// untouched, λ raised and the warm start forgotten.
///
/// Memory: the CG vectors and up to ⌈log₁.₃(max_cg_iterations/5)⌉ + 2 kept iterates, each of
/// length n; Martens' preconditioner also reads the problem's empirical_fisher_diagonal().
/// Checkpoint keys: hf_damping, hf_has_warm_start, hf_warm_start.
/// @tparam Scalar float or double
template <class Scalar>
class HessianFreeDescent final : public Descent<Scalar> {
 public:
  /// Throws ConfigError when the options are invalid.
  explicit HessianFreeDescent(const HessianFreeDescentOptions& options = {});

  StepScalar scalar() const override { return StepScalar::kStepSize; }
  OracleSet required_oracles() const override;
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double alpha, VectorRef<Scalar> step) override;
  double curvature(ConstVectorRef<Scalar>) override { return 0; }
  const Vector<Scalar>& base_step() const override { return step_; }
  int curvature_products() const override { return products_; }
  void reset() override;
  void save(OptimizerState& state) const override;
  void load(const OptimizerState& state, Index n) override;

  /// λ for the next solve.
  double damping() const { return damping_; }
  /// What the last prepare() did.
  const CgResult& cg_result() const { return cg_result_; }
  const ConjugateGradient<Scalar>& cg() const { return cg_; }
  /// The kept iterate backtracking chose (its index in cg().history_iterate), and its ρ (NaN
  /// when the predicted decrease was within the loss's rounding and λ was kept).
  int chosen_iterate() const { return chosen_; }
  double rho() const { return rho_; }

 private:
  void product(ConstVectorRef<Scalar> v, VectorRef<Scalar> out);
  /// f(θ + p) on the step's data; +∞ when not finite.
  double trial_value(ConstVectorRef<Scalar> p, StepReport& report);
  /// Martens' backtracking over the kept iterates; the chosen one into direction_.
  double backtrack(StepReport& report);

  HessianFreeDescentOptions options_;
  ConjugateGradient<Scalar> cg_;
  DiagonalPreconditioner<Scalar> preconditioner_;
  bool use_preconditioner_ = false;
  const DescentPoint<Scalar>* point_ = nullptr;
  double damping_;
  double solve_damping_ = 0;  // λ of the system the last solve used
  Vector<Scalar> warm_start_, solution_, rhs_, direction_, step_, trial_, fisher_diagonal_;
  bool has_warm_start_ = false;
  CgResult cg_result_;
  int products_ = 0;
  int chosen_ = 0;
  double rho_ = 0;
  bool fresh_point_ = false;  // step() reports the CG iterations once per point
};

extern template class HessianFreeDescent<float>;
extern template class HessianFreeDescent<double>;

}  // namespace curvopt
