#pragma once
/// What every first-order method shares: one gradient per step, the learning-rate schedule,
/// gradient clipping, iterate averaging, and the rejection of non-finite steps.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "curvopt/optim/gradient_clipping.h"
#include "curvopt/optim/iterate_averaging.h"
#include "curvopt/optim/kfac/kfac_preconditioner.h"
#include "curvopt/optim/learning_rate_schedule.h"
#include "curvopt/optim/optimizer.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {

/// A preconditioner applied to the (clipped) gradient before the method's update.
enum class GradientPreconditioner {
  kNone,
  kKfac,  ///< K-FAC's F̃⁻¹g with fixed damping and KL clipping (KfacPreconditioner)
};

std::string_view to_string(GradientPreconditioner p);
bool parse_enum(std::string_view text, GradientPreconditioner& out);
std::string enum_choices(GradientPreconditioner);

/// Controls shared by the first-order methods (option keys in brackets).
struct UpdateControlOptions {
  LearningRateScheduleOptions schedule;  ///< [schedule, schedule_step_size, schedule_gamma,
                                         ///<  schedule_period, schedule_min_lr, schedule_decay]
  GradientClippingOptions clipping;      ///< [clip_value, clip_norm]
  IterateAveragingOptions averaging;     ///< [averaging, averaging_decay, averaging_start]
  GradientPreconditioner precondition = GradientPreconditioner::kNone;  ///< [precondition]
  KfacPreconditionerOptions kfac;  ///< [kfac_damping, kfac_decay, kfac_estimation, kfac_inverse,
                                   ///<  kfac_statistics_period, kfac_inverse_period, kl_clip,
                                   ///<  kfac_seed]

  std::optional<std::string> validate() const;
};

/// Appends the keys of UpdateControlOptions (reached through `o.control`) to `fields`.
template <class Options>
void add_update_control_fields(OptionFields<Options>& fields) {
  fields.push_back(option_field<Options>(
      "schedule", "learning-rate schedule: constant, step, cosine, inverse-time, exponential",
      [](auto& o) -> auto& { return o.control.schedule.kind; }));
  fields.push_back(option_field<Options>(
      "schedule_step_size", "step schedule: updates between decays (1000)",
      [](auto& o) -> auto& { return o.control.schedule.step_size; }));
  fields.push_back(option_field<Options>(
      "schedule_gamma", "step/exponential schedule: decay factor in (0, 1] (0.1)",
      [](auto& o) -> auto& { return o.control.schedule.gamma; }));
  fields.push_back(option_field<Options>(
      "schedule_period", "cosine schedule: period in updates (1000)",
      [](auto& o) -> auto& { return o.control.schedule.period; }));
  fields.push_back(option_field<Options>(
      "schedule_min_lr", "cosine schedule: final learning rate (0)",
      [](auto& o) -> auto& { return o.control.schedule.min_learning_rate; }));
  fields.push_back(option_field<Options>(
      "schedule_decay", "inverse-time schedule: lr/(1 + decay t) (1e-3)",
      [](auto& o) -> auto& { return o.control.schedule.decay; }));
  fields.push_back(option_field<Options>(
      "clip_value", "clamp gradient components to [-v, v]; 0 = off (0)",
      [](auto& o) -> auto& { return o.control.clipping.max_value; }));
  fields.push_back(option_field<Options>(
      "clip_norm", "rescale the gradient to this 2-norm when larger; 0 = off (0)",
      [](auto& o) -> auto& { return o.control.clipping.max_norm; }));
  fields.push_back(option_field<Options>(
      "averaging", "iterate averaging: none, polyak, exponential (none)",
      [](auto& o) -> auto& { return o.control.averaging.kind; }));
  fields.push_back(option_field<Options>(
      "averaging_decay", "exponential averaging: beta in [0, 1) (0.999)",
      [](auto& o) -> auto& { return o.control.averaging.decay; }));
  fields.push_back(option_field<Options>(
      "averaging_start", "updates before averaging begins (0)",
      [](auto& o) -> auto& { return o.control.averaging.start; }));
  fields.push_back(option_field<Options>(
      "precondition", "gradient preconditioner: none, kfac (none)",
      [](auto& o) -> auto& { return o.control.precondition; }));
  fields.push_back(option_field<Options>(
      "kfac_damping", "K-FAC preconditioner: factored damping lambda > 0 (0.03)",
      [](auto& o) -> auto& { return o.control.kfac.damping; }));
  fields.push_back(option_field<Options>(
      "kfac_decay", "K-FAC preconditioner: factor moving average in [0, 1) (0.95)",
      [](auto& o) -> auto& { return o.control.kfac.curvature.decay; }));
  fields.push_back(option_field<Options>(
      "kfac_estimation", "K-FAC preconditioner: sampled, empirical, exact (sampled)",
      [](auto& o) -> auto& { return o.control.kfac.curvature.targets; }));
  fields.push_back(option_field<Options>(
      "kfac_inverse", "K-FAC preconditioner: cholesky, eigen, ekfac (cholesky)",
      [](auto& o) -> auto& { return o.control.kfac.curvature.inverse; }));
  fields.push_back(option_field<Options>(
      "kfac_statistics_period", "K-FAC preconditioner: statistics every k updates (1)",
      [](auto& o) -> auto& { return o.control.kfac.statistics_period; }));
  fields.push_back(option_field<Options>(
      "kfac_inverse_period", "K-FAC preconditioner: inverses every k updates (50)",
      [](auto& o) -> auto& { return o.control.kfac.inverse_period; }));
  fields.push_back(option_field<Options>(
      "kl_clip", "K-FAC preconditioner: KL clipping bound; 0 = off (1e-3)",
      [](auto& o) -> auto& { return o.control.kfac.kl_clip; }));
  fields.push_back(option_field<Options>(
      "kfac_seed", "K-FAC preconditioner: seed of the sampled targets (0)",
      [](auto& o) -> auto& { return o.control.kfac.curvature.seed; }));
}

/// Base of the first-order methods. A step: gradient at θ → reject if the loss or gradient is
/// not finite → clip → precondition (when configured) → the method proposes θ' and its next
/// state → reject if θ' is not finite → commit. A rejected step leaves θ and the method's state
/// (the preconditioner's factors included) bit-identical.
/// @tparam Scalar float or double
template <class Scalar>
class FirstOrderOptimizer : public Optimizer<Scalar> {
 public:
  StepReport step(Problem<Scalar>& problem, VectorRef<Scalar> params) final;
  /// The method's oracles, and K-FAC statistics when the K-FAC preconditioner is on.
  OracleSet required_oracles() const final;
  void reset() final;
  OptimizerState save_state() const final;
  void load_state(const OptimizerState& state) final;
  const Vector<Scalar>* evaluation_parameters() const final { return averager_.average(); }

  /// Accepted updates so far (t in the formulas).
  std::int64_t num_updates() const { return num_updates_; }

 protected:
  FirstOrderOptimizer(double learning_rate, const UpdateControlOptions& control);

  /// The oracles the method itself needs.
  virtual OracleSet method_oracles() const { return Oracle::kValue | Oracle::kGradient; }

  /// f at the parameters of the step being proposed (for methods that use the loss itself).
  double current_loss() const { return current_loss_; }
  /// The problem of the step being proposed (for methods that need more oracles than the
  /// gradient, such as residuals); valid only inside propose().
  Problem<Scalar>& current_problem() const { return *current_problem_; }

  /// Sizes the method's state for n parameters and sets it to its initial value.
  virtual void initialize_state(Index n) = 0;
  /// Writes θ after update number t (1-based) with learning rate lr into `next`, and the method's
  /// next state into its own trial buffers (the current state must stay untouched).
  virtual void propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
                       std::int64_t t, VectorRef<Scalar> next) = 0;
  /// Makes the proposed state current (cheap: swap the trial buffers in).
  virtual void commit() = 0;
  virtual void save_method_state(OptimizerState& state) const = 0;
  /// Restores the method's state for n parameters.
  virtual void load_method_state(const OptimizerState& state, Index n) = 0;

 private:
  void ensure_size(Index n);

  double learning_rate_;
  UpdateControlOptions control_;
  IterateAverager<Scalar> averager_;
  std::unique_ptr<KfacPreconditioner<Scalar>> kfac_;
  Index n_ = 0;  // 0 until the first step or load_state()
  double current_loss_ = 0;
  Problem<Scalar>* current_problem_ = nullptr;
  std::int64_t num_steps_ = 0;
  std::int64_t num_updates_ = 0;
  Vector<Scalar> grad_, next_;
};

extern template class FirstOrderOptimizer<float>;
extern template class FirstOrderOptimizer<double>;

}  // namespace curvopt
