#include "curvopt/optim/adam.h"

#include <cmath>

#include "curvopt/core/enum_names.h"
#include "option_list.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(AdamVariant, {AdamVariant::kPyTorch, "pytorch"}, {AdamVariant::kKeras, "keras"})

std::optional<std::string> AdamOptions::validate() const {
  const char* o = "AdamOptions";
  return first_error({require_positive(o, "learning_rate", learning_rate),
                      require_unit_interval(o, "beta1", beta1),
                      require_unit_interval(o, "beta2", beta2),
                      require_non_negative(o, "epsilon", epsilon),
                      require_non_negative(o, "weight_decay", weight_decay), control.validate()});
}

template <class Scalar>
Adam<Scalar>::Adam(const Options& options)
    : FirstOrderOptimizer<Scalar>(options.learning_rate, options.control), options_(options) {
  throw_if_invalid(options);
}

template <class Scalar>
std::string_view Adam<Scalar>::name() const {
  return options_.decoupled_weight_decay ? "adamw" : "adam";
}

template <class Scalar>
const OptionFields<AdamOptions>& Adam<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(learning_rate_field<Options>("step size > 0 (1e-3)"));
    f.push_back(option_field<Options>(
        "beta1", "first-moment decay in [0, 1) (0.9)", [](auto& o) -> auto& { return o.beta1; }));
    f.push_back(option_field<Options>(
        "beta2", "second-moment decay in [0, 1) (0.999)",
        [](auto& o) -> auto& { return o.beta2; }));
    f.push_back(option_field<Options>(
        "epsilon", "added to the root (1e-8)", [](auto& o) -> auto& { return o.epsilon; }, "eps"));
    f.push_back(weight_decay_field<Options>("weight decay >= 0 (adam 0, adamw 0.01)"));
    f.push_back(option_field<Options>(
        "decoupled_weight_decay", "AdamW's decoupled decay (adam false, adamw true)",
        [](auto& o) -> auto& { return o.decoupled_weight_decay; }));
    f.push_back(option_field<Options>(
        "amsgrad", "AMSGrad maximum of v (false)", [](auto& o) -> auto& { return o.amsgrad; }));
    f.push_back(option_field<Options>(
        "variant", "where epsilon enters: pytorch, keras (pytorch)",
        [](auto& o) -> auto& { return o.variant; }));
    add_update_control_fields(f);
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Adam<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
void Adam<Scalar>::size_buffers(Index n) {
  m_.resize(n);
  m_next_.resize(n);
  v_.resize(n);
  v_next_.resize(n);
  if (options_.amsgrad) {
    v_max_.resize(n);
    v_max_next_.resize(n);
  }
}

template <class Scalar>
void Adam<Scalar>::initialize_state(Index n) {
  size_buffers(n);
  m_.setZero();
  v_.setZero();
  v_max_.setZero();
}

template <class Scalar>
void Adam<Scalar>::propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
                           std::int64_t t, VectorRef<Scalar> next) {
  const auto b1 = static_cast<Scalar>(options_.beta1);
  const auto b2 = static_cast<Scalar>(options_.beta2);
  const auto eps = static_cast<Scalar>(options_.epsilon);
  const auto wd = static_cast<Scalar>(options_.decoupled_weight_decay ? 0 : options_.weight_decay);
  const auto d = (grad + wd * params).array();
  m_next_.array() = b1 * m_.array() + (1 - b1) * d;
  v_next_.array() = b2 * v_.array() + (1 - b2) * (d * d);
  const Vector<Scalar>* v = &v_next_;
  if (options_.amsgrad) {
    v_max_next_ = v_max_.cwiseMax(v_next_);
    v = &v_max_next_;
  }
  // Bias corrections in double, as PyTorch computes them (Python floats).
  const double correction1 = 1 - std::pow(options_.beta1, static_cast<double>(t));
  const double correction2 = 1 - std::pow(options_.beta2, static_cast<double>(t));
  const auto decay =
      static_cast<Scalar>(options_.decoupled_weight_decay ? 1 - lr * options_.weight_decay : 1.0);
  if (options_.variant == AdamVariant::kPyTorch) {
    const auto step = static_cast<Scalar>(lr / correction1);
    const auto root2 = static_cast<Scalar>(std::sqrt(correction2));
    next.array() =
        decay * params.array() + (-step) * (m_next_.array() / (v->array().sqrt() / root2 + eps));
  } else {
    const auto step = static_cast<Scalar>(lr * std::sqrt(correction2) / correction1);
    next.array() = decay * params.array() + (-step) * (m_next_.array() / (v->array().sqrt() + eps));
  }
}

template <class Scalar>
void Adam<Scalar>::commit() {
  m_.swap(m_next_);
  v_.swap(v_next_);
  if (options_.amsgrad) v_max_.swap(v_max_next_);
}

template <class Scalar>
void Adam<Scalar>::save_method_state(OptimizerState& state) const {
  state.put("first_moment", m_);
  state.put("second_moment", v_);
  if (options_.amsgrad) state.put("second_moment_max", v_max_);
}

template <class Scalar>
void Adam<Scalar>::load_method_state(const OptimizerState& state, Index n) {
  size_buffers(n);
  state.get_into("first_moment", m_);
  state.get_into("second_moment", v_);
  if (options_.amsgrad) state.get_into("second_moment_max", v_max_);
}

template class Adam<float>;
template class Adam<double>;

}  // namespace curvopt
