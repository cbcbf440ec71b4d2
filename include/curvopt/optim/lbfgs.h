#pragma once
/// L-BFGS with Armijo or strong-Wolfe line search.

#include <cstdint>
#include <optional>
#include <string>

#include "curvopt/linalg/lbfgs_memory.h"
#include "curvopt/optim/line_search.h"
#include "curvopt/optim/optimizer.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {

/// Options of Lbfgs. Defaults are PyTorch's torch.optim.LBFGS except the line search, which
/// PyTorch leaves off by default: a fixed unit step makes L-BFGS diverge on badly scaled
/// problems, so curvopt searches for a strong-Wolfe step unless told otherwise.
struct LbfgsOptions {
  /// Scale of the first trial step α₀ > 0: α₀ = learning_rate, or learning_rate·min(1, 1/‖g‖₁)
  /// while no curvature pair is stored (PyTorch's rule). Default 1.
  double learning_rate = 1;
  /// Curvature pairs kept, ≥ 1. Default 100 (PyTorch's history_size).
  int memory = 100;
  /// How the step along the direction is accepted. Default strong Wolfe, c₁ 1e-4, c₂ 0.9.
  LineSearchOptions line_search;
  /// A pair is stored only when sᵀy > curvature_epsilon·‖s‖‖y‖ (as the sampled
  /// quasi-Newton code of Berahas et al. 2022). Default 1e-8.
  double curvature_epsilon = 1e-8;
  /// Converged when ‖∇f‖∞ ≤ this. Default 1e-7 (PyTorch's tolerance_grad).
  double gradient_tolerance = 1e-7;
  /// Converged when a step changes f or any coordinate of θ by less. Default 1e-9
  /// (PyTorch's tolerance_change).
  double change_tolerance = 1e-9;
  /// After a failed line search, drop the pairs so the next step starts from steepest descent.
  bool reset_on_failure = true;

  std::optional<std::string> validate() const;
};

/// Limited-memory BFGS (Liu & Nocedal 1989): d = −H∇f by the two-loop recursion over the newest
/// `memory` pairs sₖ = θₖ₊₁ − θₖ, yₖ = ∇f(θₖ₊₁) − ∇f(θₖ), then a line search along d.
///
/// Full batch or minibatch: both gradients of a pair are taken on the batch bound during the step
/// (the line search evaluates the new gradient on it), so that the pair is consistent. On
/// unchanged data (same Problem::data_version()) the gradient at an accepted point is reused by
/// the next step.
/// Cost per step: 4·memory·n flops plus one gradient per line-search trial (often one);
/// memory 2·memory·n. Oracles: value, gradient. Registry name: `lbfgs`.
/// @tparam Scalar float or double
template <class Scalar>
class Lbfgs final : public Optimizer<Scalar> {
 public:
  using Options = LbfgsOptions;

  explicit Lbfgs(const Options& options = {});

  std::string_view name() const override { return "lbfgs"; }
  StepReport step(Problem<Scalar>& problem, VectorRef<Scalar> params) override;
  void reset() override;
  OptimizerState save_state() const override;
  void load_state(const OptimizerState& state) override;
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

  /// The curvature pairs (for inspection and tests).
  const LbfgsMemory<Scalar>& memory() const { return memory_; }
  /// The last line search's outcome (kFailed before the first search).
  LineSearchOutcome last_line_search() const { return last_outcome_; }

 private:
  void ensure_size(Index n);
  // The phases of step(), in order.
  /// f and ∇f at θ into grad_ (reused when the step starts where the last one ended).
  bool evaluate_gradient(Problem<Scalar>& problem, ConstVectorRef<Scalar> params, Scalar& value,
                         StepReport& report);
  bool gradient_converged(StepReport& report) const;
  /// direction_ = −H∇f by the two-loop recursion (steepest descent when H lost definiteness);
  /// returns the slope ∇fᵀd and sets the first trial step.
  double two_loop_direction(double& initial_step);
  void commit(Problem<Scalar>& problem, VectorRef<Scalar> params, Scalar value,
              const LineSearchResult<Scalar>& result, StepReport& report);
  /// Remembers (f, ∇f = grad_) at `point` on this problem's current data.
  void remember(const Problem<Scalar>& problem, ConstVectorRef<Scalar> point, Scalar value);

  Options options_;
  LineSearch<Scalar> line_search_;
  LbfgsMemory<Scalar> memory_;
  Index n_ = 0;
  std::int64_t num_steps_ = 0;
  LineSearchOutcome last_outcome_ = LineSearchOutcome::kFailed;
  Vector<Scalar> grad_, direction_, s_, y_;
  // The gradient at the last accepted point, reused when the next step starts there.
  const Problem<Scalar>* cached_problem_ = nullptr;
  std::uint64_t cached_version_ = 0;
  Vector<Scalar> cached_params_;
  Scalar cached_value_ = 0;
};

extern template class Lbfgs<float>;
extern template class Lbfgs<double>;

}  // namespace curvopt
