#include "curvopt/optim/rmsprop.h"

#include <cmath>

#include "option_list.h"

namespace curvopt {

std::optional<std::string> RmspropOptions::validate() const {
  const char* o = "RmspropOptions";
  return first_error(
      {require_positive(o, "learning_rate", learning_rate), require_unit_interval(o, "rho", rho),
       require_non_negative(o, "epsilon", epsilon), require_unit_interval(o, "momentum", momentum),
       require_non_negative(o, "weight_decay", weight_decay), control.validate()});
}

template <class Scalar>
Rmsprop<Scalar>::Rmsprop(const Options& options)
    : FirstOrderOptimizer<Scalar>(options.learning_rate, options.control), options_(options) {
  throw_if_invalid(options);
}

template <class Scalar>
const OptionFields<RmspropOptions>& Rmsprop<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(learning_rate_field<Options>("step size > 0 (0.01)"));
    f.push_back(option_field<Options>(
        "rho", "averaging constant in [0, 1) (0.99)", [](auto& o) -> auto& { return o.rho; },
        "alpha"));
    f.push_back(option_field<Options>(
        "epsilon", "added to the root (1e-8)", [](auto& o) -> auto& { return o.epsilon; }, "eps"));
    f.push_back(option_field<Options>(
        "momentum", "momentum in [0, 1) (0)", [](auto& o) -> auto& { return o.momentum; }));
    f.push_back(option_field<Options>(
        "centered", "centred second moment (false)", [](auto& o) -> auto& { return o.centered; }));
    f.push_back(weight_decay_field<Options>("L2 penalty added to the gradient (0)"));
    add_update_control_fields(f);
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Rmsprop<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
void Rmsprop<Scalar>::size_buffers(Index n) {
  square_avg_.resize(n);
  square_avg_next_.resize(n);
  denom_.resize(n);
  if (options_.centered) {
    grad_avg_.resize(n);
    grad_avg_next_.resize(n);
  }
  if (options_.momentum > 0) {
    buffer_.resize(n);
    buffer_next_.resize(n);
  }
}

template <class Scalar>
void Rmsprop<Scalar>::initialize_state(Index n) {
  size_buffers(n);
  square_avg_.setZero();
  grad_avg_.setZero();
  buffer_.setZero();
}

template <class Scalar>
void Rmsprop<Scalar>::propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
                              std::int64_t, VectorRef<Scalar> next) {
  const auto wd = static_cast<Scalar>(options_.weight_decay);
  const auto rho = static_cast<Scalar>(options_.rho);
  const auto eps = static_cast<Scalar>(options_.epsilon);
  const auto d = (grad + wd * params).array();
  square_avg_next_.array() = rho * square_avg_.array() + (1 - rho) * (d * d);
  if (options_.centered) {
    grad_avg_next_.array() = rho * grad_avg_.array() + (1 - rho) * d;
    // max(·, 0): rounding can make v − ḡ² slightly negative where the gradient barely varies.
    denom_.array() =
        (square_avg_next_.array() - grad_avg_next_.array().square()).max(Scalar(0)).sqrt() + eps;
  } else {
    denom_.array() = square_avg_next_.array().sqrt() + eps;
  }
  if (options_.momentum > 0) {
    buffer_next_.array() =
        static_cast<Scalar>(options_.momentum) * buffer_.array() + d / denom_.array();
    next = params + static_cast<Scalar>(-lr) * buffer_next_;
  } else {
    next.array() = params.array() + static_cast<Scalar>(-lr) * (d / denom_.array());
  }
}

template <class Scalar>
void Rmsprop<Scalar>::commit() {
  square_avg_.swap(square_avg_next_);
  if (options_.centered) grad_avg_.swap(grad_avg_next_);
  if (options_.momentum > 0) buffer_.swap(buffer_next_);
}

template <class Scalar>
void Rmsprop<Scalar>::save_method_state(OptimizerState& state) const {
  state.put("square_average", square_avg_);
  if (options_.centered) state.put("gradient_average", grad_avg_);
  if (options_.momentum > 0) state.put("momentum_buffer", buffer_);
}

template <class Scalar>
void Rmsprop<Scalar>::load_method_state(const OptimizerState& state, Index n) {
  size_buffers(n);
  state.get_into("square_average", square_avg_);
  if (options_.centered) state.get_into("gradient_average", grad_avg_);
  if (options_.momentum > 0) state.get_into("momentum_buffer", buffer_);
}

template class Rmsprop<float>;
template class Rmsprop<double>;

}  // namespace curvopt
