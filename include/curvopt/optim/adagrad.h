#pragma once
/// Adagrad: per-coordinate steps scaled by the accumulated squared gradients.

#include <optional>
#include <string>

#include "curvopt/optim/first_order_optimizer.h"

namespace curvopt {

/// Options of Adagrad; defaults are PyTorch's (Keras's are lr 1e-3, initial_accumulator 0.1,
/// epsilon 1e-7). PyTorch's lr_decay is schedule=inverse-time.
struct AdagradOptions {
  /// α > 0. Default 0.01 (PyTorch).
  double learning_rate = 0.01;
  /// G₀ ≥ 0, every coordinate's starting accumulator. Default 0 (PyTorch).
  double initial_accumulator = 0;
  /// ε ≥ 0, added to √G. Default 1e-10 (PyTorch).
  double epsilon = 1e-10;
  /// L2 weight decay λ ≥ 0 added to the gradient. Default 0.
  double weight_decay = 0;
  UpdateControlOptions control;

  std::optional<std::string> validate() const;
};

/// Adagrad (Duchi, Hazan & Singer 2011):  g ← ∇f + λθ;  G ← G + g⊙g;  θ ← θ − α·g ⊘ (√G + ε).
/// With G₀ = 0 and ε = 0 a zero gradient coordinate gives 0/0; keep ε > 0 or G₀ > 0.
/// Cost per step: one gradient and O(n); memory 2n. Oracles: value, gradient.
/// Registry name: `adagrad`.
/// @tparam Scalar float or double
template <class Scalar>
class Adagrad final : public FirstOrderOptimizer<Scalar> {
 public:
  using Options = AdagradOptions;

  explicit Adagrad(const Options& options = {});

  std::string_view name() const override { return "adagrad"; }
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

 private:
  void initialize_state(Index n) override;
  void propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
               std::int64_t t, VectorRef<Scalar> next) override;
  void commit() override { sum_.swap(sum_next_); }
  void save_method_state(OptimizerState& state) const override;
  void load_method_state(const OptimizerState& state, Index n) override;

  Options options_;
  Vector<Scalar> sum_, sum_next_;
};

extern template class Adagrad<float>;
extern template class Adagrad<double>;

}  // namespace curvopt
