#include "curvopt/optim/nlls1.h"

#include <cmath>

#include "option_list.h"

namespace curvopt {

std::optional<std::string> Nlls1Options::validate() const {
  const char* o = "Nlls1Options";
  std::optional<std::string> decay_error;
  if (!(jacobian_decay >= 0 && jacobian_decay <= 1))
    decay_error = out_of_range(o, "jacobian_decay", jacobian_decay, "in [0, 1]");
  return first_error(
      {require_positive(o, "learning_rate", learning_rate), require_non_negative(o, "delta", delta),
       require_positive(o, "initial_diagonal", initial_diagonal), decay_error, control.validate()});
}

template <class Scalar>
Nlls1<Scalar>::Nlls1(const Options& options)
    : FirstOrderOptimizer<Scalar>(options.learning_rate, options.control), options_(options) {
  throw_if_invalid(options);
}

template <class Scalar>
const OptionFields<Nlls1Options>& Nlls1<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(option_field<Options>(
        "learning_rate", "alpha > 0, the step scale (0.05)",
        [](auto& o) -> auto& { return o.learning_rate; }, "alpha"));
    f.push_back(option_field<Options>(
        "delta", "weight of the rank-1 curvature term >= 0 (1)",
        [](auto& o) -> auto& { return o.delta; }));
    f.push_back(option_field<Options>(
        "initial_diagonal", "starting squared-gradient sum (1e-10)",
        [](auto& o) -> auto& { return o.initial_diagonal; }));
    f.push_back(option_field<Options>(
        "jacobian_decay", "j <- decay*j + g, in [0, 1] (1)",
        [](auto& o) -> auto& { return o.jacobian_decay; }));
    add_update_control_fields(f);
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Nlls1<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
void Nlls1<Scalar>::initialize_state(Index n) {
  j_.setZero(n);
  j_next_.resize(n);
  d2_.setConstant(n, static_cast<Scalar>(options_.initial_diagonal));
  d2_next_.resize(n);
  beta_.resize(n);
  v_.resize(n);
  f_ = 0;
}

template <class Scalar>
void Nlls1<Scalar>::propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
                            std::int64_t, VectorRef<Scalar> next) {
  f_next_ = f_ + this->current_loss();
  j_next_ = static_cast<Scalar>(options_.jacobian_decay) * j_ + grad;
  d2_next_.array() = d2_.array() + grad.array().square();
  beta_.array() = static_cast<Scalar>(lr) / d2_next_.array().sqrt();
  // v = (δ/√F)·j; F = 0 only when every residual so far was exactly zero (then v = 0).
  const double v_scale = f_next_ > 0 ? options_.delta / std::sqrt(f_next_) : 0.0;
  v_ = static_cast<Scalar>(v_scale) * j_next_;
  // Sherman-Morrison: s = s₁ − (a₁/(1 + a₂))·β⊙v with s₁ = −β⊙g, a₁ = vᵀs₁, a₂ = vᵀ(β⊙v) ≥ 0.
  const double a1 = -static_cast<double>(v_.dot(beta_.cwiseProduct(grad)));
  const double a2 = static_cast<double>(v_.dot(beta_.cwiseProduct(v_)));
  const auto coefficient = static_cast<Scalar>(a1 / (1 + a2));
  next.array() =
      params.array() - beta_.array() * grad.array() - coefficient * beta_.array() * v_.array();
}

template <class Scalar>
void Nlls1<Scalar>::commit() {
  j_.swap(j_next_);
  d2_.swap(d2_next_);
  f_ = f_next_;
}

template <class Scalar>
void Nlls1<Scalar>::save_method_state(OptimizerState& state) const {
  state.put("accumulated_gradient", j_);
  state.put("accumulated_squares", d2_);
  state.put("accumulated_loss", f_);
}

template <class Scalar>
void Nlls1<Scalar>::load_method_state(const OptimizerState& state, Index n) {
  initialize_state(n);
  state.get_into("accumulated_gradient", j_);
  state.get_into("accumulated_squares", d2_);
  f_ = state.get_scalar("accumulated_loss");
}

template class Nlls1<float>;
template class Nlls1<double>;

}  // namespace curvopt
