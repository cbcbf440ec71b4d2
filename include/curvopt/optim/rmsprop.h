#pragma once
/// RMSprop: steps scaled by a running average of squared gradients.

#include <optional>
#include <string>

#include "curvopt/optim/first_order_optimizer.h"

namespace curvopt {

/// Options of Rmsprop; defaults are PyTorch's (Keras uses lr 1e-3, ρ 0.9, ε 1e-7).
struct RmspropOptions {
  /// α > 0. Default 0.01 (PyTorch).
  double learning_rate = 0.01;
  /// ρ in [0, 1), the averaging constant (PyTorch's alpha). Default 0.99 (PyTorch).
  double rho = 0.99;
  /// ε ≥ 0, added outside the square root as PyTorch does (Keras 3 and tf.keras with momentum
  /// use √(v + ε) instead). Default 1e-8 (PyTorch).
  double epsilon = 1e-8;
  /// Momentum μ in [0, 1) on the scaled step. Default 0.
  double momentum = 0;
  /// Divide by the centred second moment √(v − ḡ²) (Graves 2013). Default false.
  bool centered = false;
  /// L2 weight decay λ ≥ 0 added to the gradient. Default 0.
  double weight_decay = 0;
  UpdateControlOptions control;

  std::optional<std::string> validate() const;
};

/// RMSprop (Tieleman & Hinton 2012), PyTorch's update:
///   g ← ∇f + λθ;  v ← ρv + (1 − ρ)g⊙g;  ḡ ← ρḡ + (1 − ρ)g (centred only);
///   s = g ⊘ (√(v − ḡ⊙ḡ) + ε);  buf ← μ·buf + s (momentum only);  θ ← θ − α·(buf or s).
/// Cost per step: one gradient and O(n); memory up to 4n. Oracles: value, gradient.
/// Registry name: `rmsprop`.
/// @tparam Scalar float or double
template <class Scalar>
class Rmsprop final : public FirstOrderOptimizer<Scalar> {
 public:
  using Options = RmspropOptions;

  explicit Rmsprop(const Options& options = {});

  std::string_view name() const override { return "rmsprop"; }
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

 private:
  void initialize_state(Index n) override;
  void propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
               std::int64_t t, VectorRef<Scalar> next) override;
  void commit() override;
  void save_method_state(OptimizerState& state) const override;
  void load_method_state(const OptimizerState& state, Index n) override;
  void size_buffers(Index n);

  Options options_;
  Vector<Scalar> square_avg_, square_avg_next_;
  Vector<Scalar> grad_avg_, grad_avg_next_;  // centred only
  Vector<Scalar> buffer_, buffer_next_;      // momentum only
  Vector<Scalar> denom_;
};

extern template class Rmsprop<float>;
extern template class Rmsprop<double>;

}  // namespace curvopt
