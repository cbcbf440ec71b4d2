#pragma once
/// K-FAC's second face: a preconditioner in front of a first-order method (as kfac-pytorch,
/// Pauloski et al. 2020), g ← ν·F̃⁻¹g with fixed factored damping and KL clipping.

#include <cstdint>
#include <optional>
#include <string>

#include "curvopt/optim/kfac/kfac_curvature.h"

namespace curvopt {

struct KfacPreconditionerOptions {
  KfacCurvatureOptions curvature;
  /// λ of the factored damping, γ = √λ: (A + πγI) ⊗ (G + (γ/π)I). Default 0.03 (the PyTorch
  /// K-FAC ports' setting for CNNs).
  double damping = 0.03;
  /// Statistics every this many updates, inverses every this many (≥ 1). Defaults 1 and 50.
  int statistics_period = 1;
  int inverse_period = 50;
  /// KL clipping: ν = min(1, √(kl_clip / (lr²·gᵀF̃⁻¹g))) (Ba, Grosse & Martens 2017); 0 = off.
  /// Default 1e-3.
  double kl_clip = 1e-3;

  std::optional<std::string> validate() const;
};

/// Preconditions the gradient of a first-order step. The statistics are drawn at θ on the step's
/// problem (its curvature batch when it is a CurvatureSubset); a step the optimizer then refuses
/// (a non-finite proposal) is undone by rollback(), so that the refused step leaves the factors
/// as they were. Checkpoint keys: the curvature's and kfac_steps.
/// @tparam Scalar float or double
template <class Scalar>
class KfacPreconditioner {
 public:
  /// Throws ConfigError when the options are invalid.
  explicit KfacPreconditioner(const KfacPreconditionerOptions& options);

  /// grad ← ν·F̃⁻¹grad for the step of update number t (0-based) with learning rate lr. False,
  /// with grad and the factors untouched, when the statistics are not finite.
  bool apply(Problem<Scalar>& problem, ConstVectorRef<Scalar> params, double lr,
             VectorRef<Scalar> grad);
  /// Undoes the last apply()'s changes to the factors and inverses.
  void rollback();
  /// The last apply()'s ν (1 when KL clipping did not bind).
  double kl_scale() const { return nu_; }
  const KfacCurvature<Scalar>& curvature() const { return curvature_; }

  void reset();
  void save(OptimizerState& state) const;
  void load(const OptimizerState& state, Index n);

 private:
  KfacPreconditionerOptions options_;
  KfacCurvature<Scalar> curvature_;
  std::int64_t steps_ = 0;
  Vector<Scalar> preconditioned_;
  double nu_ = 1;
};

extern template class KfacPreconditioner<float>;
extern template class KfacPreconditioner<double>;

}  // namespace curvopt
