#pragma once
/// NLLS1: stochastic nonlinear least squares with a rank-1 Jacobian estimate (Brust 2021).

#include <optional>
#include <string>

#include "curvopt/optim/first_order_optimizer.h"

namespace curvopt {

/// Options of Nlls1; defaults are those of the paper's experiments and code (Brust 2021).
struct Nlls1Options {
  /// α > 0, the step scale (D/α is the damping). Default 0.05 (the code of Brust 2021; the
  /// paper's Algorithm 1 box prints 5e-3). Schedules act on it as on a learning rate.
  double learning_rate = 0.05;
  /// δ ≥ 0, the weight of the rank-1 curvature term, ≈ √(L/(4B)) times an O(1) factor: the
  /// paper used 0.8 (Iris), 20 (MovieLens) and 0.9 (Fashion-MNIST). δ = 0 gives Adagrad.
  /// Default 1.
  double delta = 1;
  /// d²₀ > 0, the starting accumulator of squared gradients (D₀ = √d²₀). Default 1e-10.
  double initial_diagonal = 1e-10;
  /// δ₁ in [0, 1]: j ← δ₁·j + g. Default 1 (no decay).
  double jacobian_decay = 1;
  UpdateControlOptions control;

  std::optional<std::string> validate() const;
};

/// NLLS1 (Brust 2021). f must be the mean of squared residuals ‖r‖²/L (SquaredError or
/// SoftmaxSquaredError with the default mean reduction), so that ∇f = (2/L)Jᵀr. Per batch:
///   F ← F + f;  j ← δ₁j + g;  d² ← d² + g⊙g;  β = α ⊘ √d²;  v = (δ/√F)·j (0 while F = 0);
///   s = −(diag(1/β) + vvᵀ)⁻¹ g = s₁ − (vᵀs₁)/(1 + vᵀ(β⊙v))·β⊙v,  s₁ = −β⊙g  (Sherman-Morrison).
/// The state is never reset between epochs. Cost per step: one gradient and ~10n flops;
/// memory 3n (j, d², and the step). Oracles: value, gradient. Registry name: `nlls1`.
/// @tparam Scalar float or double
template <class Scalar>
class Nlls1 final : public FirstOrderOptimizer<Scalar> {
 public:
  using Options = Nlls1Options;

  explicit Nlls1(const Options& options = {});

  std::string_view name() const override { return "nlls1"; }
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

  /// The state (for inspection and tests): accumulated gradients j, squared gradients d², and
  /// the accumulated loss F.
  const Vector<Scalar>& accumulated_gradient() const { return j_; }
  const Vector<Scalar>& accumulated_squares() const { return d2_; }
  double accumulated_loss() const { return f_; }

 private:
  void initialize_state(Index n) override;
  void propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
               std::int64_t t, VectorRef<Scalar> next) override;
  void commit() override;
  void save_method_state(OptimizerState& state) const override;
  void load_method_state(const OptimizerState& state, Index n) override;

  Options options_;
  Vector<Scalar> j_, j_next_, d2_, d2_next_, beta_, v_;
  double f_ = 0, f_next_ = 0;
};

extern template class Nlls1<float>;
extern template class Nlls1<double>;

}  // namespace curvopt
