#include "curvopt/optim/adagrad.h"

#include <cmath>

#include "option_list.h"

namespace curvopt {

std::optional<std::string> AdagradOptions::validate() const {
  const char* o = "AdagradOptions";
  return first_error({require_positive(o, "learning_rate", learning_rate),
                      require_non_negative(o, "initial_accumulator", initial_accumulator),
                      require_non_negative(o, "epsilon", epsilon),
                      require_non_negative(o, "weight_decay", weight_decay), control.validate()});
}

template <class Scalar>
Adagrad<Scalar>::Adagrad(const Options& options)
    : FirstOrderOptimizer<Scalar>(options.learning_rate, options.control), options_(options) {
  throw_if_invalid(options);
}

template <class Scalar>
const OptionFields<AdagradOptions>& Adagrad<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(learning_rate_field<Options>("step size > 0 (0.01)"));
    f.push_back(option_field<Options>(
        "initial_accumulator", "starting G >= 0 (0)",
        [](auto& o) -> auto& { return o.initial_accumulator; }));
    f.push_back(option_field<Options>(
        "epsilon", "added to sqrt(G) (1e-10)", [](auto& o) -> auto& { return o.epsilon; }, "eps"));
    f.push_back(weight_decay_field<Options>("L2 penalty added to the gradient (0)"));
    add_update_control_fields(f);
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Adagrad<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
void Adagrad<Scalar>::initialize_state(Index n) {
  sum_.setConstant(n, static_cast<Scalar>(options_.initial_accumulator));
  sum_next_.resize(n);
}

template <class Scalar>
void Adagrad<Scalar>::propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad, double lr,
                              std::int64_t, VectorRef<Scalar> next) {
  const auto wd = static_cast<Scalar>(options_.weight_decay);
  const auto eps = static_cast<Scalar>(options_.epsilon);
  const auto d = (grad + wd * params).array();
  sum_next_.array() = sum_.array() + d * d;
  next.array() = params.array() + static_cast<Scalar>(-lr) * (d / (sum_next_.array().sqrt() + eps));
}

template <class Scalar>
void Adagrad<Scalar>::save_method_state(OptimizerState& state) const {
  state.put("sum_of_squares", sum_);
}

template <class Scalar>
void Adagrad<Scalar>::load_method_state(const OptimizerState& state, Index n) {
  sum_.resize(n);
  sum_next_.resize(n);
  state.get_into("sum_of_squares", sum_);
}

template class Adagrad<float>;
template class Adagrad<double>;

}  // namespace curvopt
