#include "curvopt/optim/sgd.h"

#include <cmath>

#include "curvopt/core/errors.h"
#include "option_list.h"

namespace curvopt {

std::optional<std::string> SgdOptions::validate() const {
  const char* o = "SgdOptions";
  std::optional<std::string> dampening_error, nesterov_error;
  if (!(dampening >= 0 && dampening <= 1))
    dampening_error = out_of_range(o, "dampening", dampening, "in [0, 1]");
  if (nesterov && (momentum == 0 || dampening != 0))
    nesterov_error = "SgdOptions::nesterov = true: needs momentum > 0 and dampening = 0";
  return first_error({require_positive(o, "learning_rate", learning_rate),
                      require_unit_interval(o, "momentum", momentum), dampening_error,
                      nesterov_error, require_non_negative(o, "weight_decay", weight_decay),
                      control.validate()});
}

template <class Scalar>
Sgd<Scalar>::Sgd(const Options& options)
    : FirstOrderOptimizer<Scalar>(options.learning_rate, options.control), options_(options) {
  throw_if_invalid(options);
}

template <class Scalar>
const OptionFields<SgdOptions>& Sgd<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(learning_rate_field<Options>("step size > 0 (0.01)"));
    f.push_back(option_field<Options>(
        "momentum", "momentum in [0, 1) (0)", [](auto& o) -> auto& { return o.momentum; }));
    f.push_back(option_field<Options>(
        "dampening", "momentum dampening in [0, 1] (0)",
        [](auto& o) -> auto& { return o.dampening; }));
    f.push_back(option_field<Options>(
        "nesterov", "Nesterov momentum (false)", [](auto& o) -> auto& { return o.nesterov; }));
    f.push_back(weight_decay_field<Options>("L2 penalty added to the gradient (0)"));
    add_update_control_fields(f);
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Sgd<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
void Sgd<Scalar>::initialize_state(Index n) {
  has_buffer_ = false;
  if (options_.momentum != 0) {
    buffer_.setZero(n);
    buffer_next_.setZero(n);
  }
}

template <class Scalar>
void Sgd<Scalar>::propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
                          std::int64_t, VectorRef<Scalar> next) {
  const auto wd = static_cast<Scalar>(options_.weight_decay);
  const auto mu = static_cast<Scalar>(options_.momentum);
  const auto d = (grad + wd * params);  // expression: evaluated inside each assignment
  if (options_.momentum == 0) {
    next = params + static_cast<Scalar>(-lr) * d;
    return;
  }
  if (has_buffer_) {
    buffer_next_ = mu * buffer_ + Scalar(1 - options_.dampening) * d;
  } else {
    buffer_next_ = d;  // PyTorch starts the buffer at the first gradient, undampened
  }
  if (options_.nesterov) {
    next = params + static_cast<Scalar>(-lr) * (d + mu * buffer_next_);
  } else {
    next = params + static_cast<Scalar>(-lr) * buffer_next_;
  }
}

template <class Scalar>
void Sgd<Scalar>::commit() {
  if (options_.momentum == 0) return;
  buffer_.swap(buffer_next_);
  has_buffer_ = true;
}

template <class Scalar>
void Sgd<Scalar>::save_method_state(OptimizerState& state) const {
  if (options_.momentum == 0) return;
  state.put("has_momentum_buffer", has_buffer_ ? 1.0 : 0.0);
  state.put("momentum_buffer", buffer_);
}

template <class Scalar>
void Sgd<Scalar>::load_method_state(const OptimizerState& state, Index n) {
  if (options_.momentum == 0) return;
  buffer_.resize(n);
  buffer_next_.resize(n);
  has_buffer_ = state.get_scalar("has_momentum_buffer") != 0;
  state.get_into("momentum_buffer", buffer_);
}

template class Sgd<float>;
template class Sgd<double>;

}  // namespace curvopt
