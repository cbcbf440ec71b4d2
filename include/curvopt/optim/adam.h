#pragma once
/// Adam and AdamW.

#include <optional>
#include <string>
#include <string_view>

#include "curvopt/optim/first_order_optimizer.h"

namespace curvopt {

/// Where ε enters Adam's update.
enum class AdamVariant {
  kPyTorch,  ///< θ ← θ − (α/(1−β₁ᵗ))·m ⊘ (√v/√(1−β₂ᵗ) + ε)  (PyTorch, the paper's Algorithm 1)
  kKeras,  ///< θ ← θ − α·√(1−β₂ᵗ)/(1−β₁ᵗ)·m ⊘ (√v + ε)  (Keras/TF 2: ε not bias-corrected;
           ///< use it to reproduce Brust (2021), whose runs used TF 2.4 with ε = 1e-7)
};

std::string_view to_string(AdamVariant variant);
bool parse_enum(std::string_view text, AdamVariant& out);
std::string enum_choices(AdamVariant);

/// Options of Adam; defaults are PyTorch's and the paper's (Kingma & Ba 2015).
struct AdamOptions {
  /// α > 0. Default 1e-3.
  double learning_rate = 1e-3;
  /// β₁ in [0, 1). Default 0.9.
  double beta1 = 0.9;
  /// β₂ in [0, 1). Default 0.999.
  double beta2 = 0.999;
  /// ε ≥ 0. Default 1e-8 (Keras uses 1e-7).
  double epsilon = 1e-8;
  /// Weight decay λ ≥ 0. Coupled (added to the gradient, PyTorch Adam) unless
  /// decoupled_weight_decay. Default 0; `adamw` defaults to 0.01 as PyTorch's AdamW.
  double weight_decay = 0;
  /// AdamW (Loshchilov & Hutter 2019): θ ← θ(1 − αλ) before the Adam step. Default false.
  bool decoupled_weight_decay = false;
  /// AMSGrad (Reddi, Kale & Kumar 2018): use the running maximum of v. Default false.
  bool amsgrad = false;
  AdamVariant variant = AdamVariant::kPyTorch;
  UpdateControlOptions control;

  std::optional<std::string> validate() const;
};

/// Adam (Kingma & Ba 2015), with AdamW's decoupled weight decay and AMSGrad as options:
///   g ← ∇f (+ λθ when coupled);  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g⊙g;
///   θ ← θ(1 − αλ) (decoupled);  θ ← θ − α/(1 − β₁ᵗ) · m ⊘ (√v/√(1 − β₂ᵗ) + ε).
/// Cost per step: one gradient and O(n); memory 3n (4n with AMSGrad).
/// Oracles: value, gradient. Registry names: `adam`, `adamw`.
/// @tparam Scalar float or double
template <class Scalar>
class Adam final : public FirstOrderOptimizer<Scalar> {
 public:
  using Options = AdamOptions;

  explicit Adam(const Options& options = {});

  /// "adamw" when the weight decay is decoupled, else "adam".
  std::string_view name() const override;
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
  Vector<Scalar> m_, m_next_, v_, v_next_;
  Vector<Scalar> v_max_, v_max_next_;  // AMSGrad only
};

extern template class Adam<float>;
extern template class Adam<double>;

}  // namespace curvopt
