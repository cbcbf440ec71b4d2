#pragma once
/// The descent of K-FAC (Martens & Grosse 2015): the natural-gradient direction Δ = −F̃⁻¹g of the
/// Kronecker-factored Fisher, combined with the previous step δ₀ by the exact quadratic model of
/// the damped Gauss-Newton (Fisher) matrix, δ = αΔ + μδ₀ with α, μ minimizing it.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "curvopt/optim/descent/descent.h"
#include "curvopt/optim/kfac/kfac_curvature.h"

namespace curvopt {

struct KfacDescentOptions {
  KfacCurvatureOptions curvature;
  /// Statistics are drawn every this many steps (≥ 1). Default 1.
  int statistics_period = 1;
  /// The damped inverses are recomputed every this many steps (T₃ ≥ 1), stale in between.
  /// Default 20 (Martens & Grosse).
  int inverse_period = 20;
  /// Use the previous step in the quadratic model (Martens & Grosse's momentum). Default true.
  bool momentum = true;
  /// Clamp μ into [0, max_momentum]; ∞ leaves it as the model says. Default ∞.
  double max_momentum = std::numeric_limits<double>::infinity();
  /// Scale the step down so that δᵀFδ ≤ norm_constraint (kfac-jax's norm constraint, a bound on
  /// the step's predicted KL divergence ½δᵀFδ between the model's predictions before and after);
  /// ∞ = off. On minibatches it keeps a step fitted to one batch from overshooting. Default ∞.
  double norm_constraint = std::numeric_limits<double>::infinity();
  /// The ℓ2 coefficient η of the objective (Kfac regularizes the problem by it): the factored
  /// damping is γ = √(λ + η) (Martens & Grosse 2015), the factors approximating the data term
  /// only. Default 0.
  double weight_decay = 0;

  std::optional<std::string> validate() const;
};

/// Scalar: the damping λ of the quadratic model M(δ) = ½δᵀ(F + λI)δ + gᵀδ, with F the exact
/// Gauss-Newton matrix (the Fisher for the canonical losses) and the factored damping γ = √λ of
/// the inverses (Martens & Grosse). For a λ: Δ = −F̃⁻¹g (inverses refreshed with γ when due),
/// F·[Δ, δ₀] by one two-column Gauss-Newton product, then
///   [α, μ] = −[[ΔᵀFΔ + λ‖Δ‖², ΔᵀFδ₀ + λΔᵀδ₀], [·, δ₀ᵀFδ₀ + λ‖δ₀‖²]]⁻¹ [gᵀΔ, gᵀδ₀],
/// falling back to α alone (μ = 0) without a previous step or when the 2 × 2 system is not
/// positive definite. curvature() is the damped model's sᵀ(F + λI)s, from the same products.
/// Statistics and products use the step's problem: a CurvatureSubset computes them on the
/// curvature batch. Checkpoint keys: the curvature's and kfac_steps.
/// @tparam Scalar float or double
template <class Scalar>
class KfacDescent final : public Descent<Scalar> {
 public:
  /// Throws ConfigError when the options are invalid.
  explicit KfacDescent(const KfacDescentOptions& options = {});

  StepScalar scalar() const override { return StepScalar::kDamping; }
  OracleSet required_oracles() const override {
    return Oracle::kKfacStatistics | Oracle::kGgnProduct;
  }
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double lambda, VectorRef<Scalar> step) override;
  /// sᵀ(F + λI)s for the last step() (the step the loop asks about), from its products.
  double curvature(ConstVectorRef<Scalar> s) override;
  const Vector<Scalar>& base_step() const override { return step_; }
  void accepted() override { ++steps_; }
  void step_failed() override { ++steps_; }
  void report_times(StepTimes& times) const override;
  int curvature_products() const override { return products_; }
  void reset() override;
  void save(OptimizerState& state) const override;
  void load(const OptimizerState& state, Index n) override;

  const KfacCurvature<Scalar>& kfac() const { return curvature_; }
  /// Δ = −F̃⁻¹g at the prepared point (after the first step() there).
  auto natural_direction() const { return basis_.col(0); }
  /// α and μ of the last step().
  double alpha() const { return alpha_; }
  double mu() const { return mu_; }

 private:
  /// Δ = −F̃⁻¹g and F·[Δ, δ₀], refreshing the inverses for γ = √λ first when due.
  bool direction(double lambda);

  KfacDescentOptions options_;
  KfacCurvature<Scalar> curvature_;
  const DescentPoint<Scalar>* point_ = nullptr;
  std::int64_t steps_ = 0;
  bool inverse_due_ = true, direction_ready_ = false;
  bool use_previous_ = false;
  int products_ = 0;
  // Δᵀ F Δ, Δᵀ F δ₀, δ₀ᵀ F δ₀, ‖Δ‖², Δᵀδ₀, ‖δ₀‖², gᵀΔ, gᵀδ₀
  double fdd_ = 0, fdp_ = 0, fpp_ = 0, dd_ = 0, dp_ = 0, pp_ = 0, gd_ = 0, gp_ = 0;
  double alpha_ = 0, mu_ = 0, lambda_ = 0;
  Matrix<Scalar> basis_, products_matrix_;  // [Δ, δ₀] and F·[Δ, δ₀]
  Vector<Scalar> step_;
  StepTimes times_;
};

extern template class KfacDescent<float>;
extern template class KfacDescent<double>;

}  // namespace curvopt
