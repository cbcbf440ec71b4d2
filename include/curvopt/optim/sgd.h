#pragma once
/// Stochastic gradient descent with heavy-ball or Nesterov momentum and weight decay.

#include <optional>
#include <string>

#include "curvopt/optim/first_order_optimizer.h"

namespace curvopt {

/// Options of Sgd. Defaults follow PyTorch's torch.optim.SGD, except the learning rate: 0.01 as
/// in Keras (PyTorch required one until 2.2, which defaults to 1e-3).
struct SgdOptions {
  /// α > 0. Default 0.01 (Keras).
  double learning_rate = 0.01;
  /// Momentum μ in [0, 1). Default 0 (plain gradient descent).
  double momentum = 0;
  /// Dampening τ in [0, 1]: buf ← μ·buf + (1 − τ)·g. Default 0.
  double dampening = 0;
  /// Nesterov momentum (Nesterov 1983) in PyTorch's look-ahead-free form; needs momentum > 0
  /// and dampening = 0.
  bool nesterov = false;
  /// L2 weight decay λ ≥ 0 added to the gradient: g ← g + λθ. Default 0.
  double weight_decay = 0;
  UpdateControlOptions control;

  /// "SgdOptions::momentum = 1.5: must be in [0, 1)" or nothing.
  std::optional<std::string> validate() const;
};

/// Gradient descent with heavy-ball (Polyak 1964) or Nesterov momentum, PyTorch's update:
///   g ← ∇f + λθ;  buf ← g (first step) or μ·buf + (1 − τ)·g;
///   d = g + μ·buf (Nesterov) or buf (heavy ball) or g (no momentum);  θ ← θ − α·d.
/// Cost per step: one gradient and O(n); memory 2n with momentum (plus n while proposing).
/// Oracles: value, gradient. Registry names: `sgd`, and `gd` for plain gradient descent.
/// @tparam Scalar float or double
template <class Scalar>
class Sgd final : public FirstOrderOptimizer<Scalar> {
 public:
  using Options = SgdOptions;

  /// Throws ConfigError with validate()'s message when the options are invalid.
  explicit Sgd(const Options& options = {});

  std::string_view name() const override { return "sgd"; }
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

 private:
  void initialize_state(Index n) override;
  void propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
               std::int64_t t, VectorRef<Scalar> next) override;
  void commit() override;
  void save_method_state(OptimizerState& state) const override;
  void load_method_state(const OptimizerState& state, Index n) override;

  Options options_;
  Vector<Scalar> buffer_, buffer_next_;
  bool has_buffer_ = false;
};

extern template class Sgd<float>;
extern template class Sgd<double>;

}  // namespace curvopt
