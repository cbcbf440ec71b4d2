#include "curvopt/optim/nlls_full.h"

#include <cmath>
#include <limits>

#include "option_list.h"

namespace curvopt {

std::optional<std::string> NllsFullOptions::validate() const {
  const char* o = "NllsFullOptions";
  return first_error({require_positive(o, "learning_rate", learning_rate),
                      require_positive(o, "damping", damping), control.validate()});
}

template <class Scalar>
NllsFull<Scalar>::NllsFull(const Options& options)
    : FirstOrderOptimizer<Scalar>(options.learning_rate, options.control), options_(options) {
  throw_if_invalid(options);
}

template <class Scalar>
const OptionFields<NllsFullOptions>& NllsFull<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(learning_rate_field<Options>("step scale > 0 (1)"));
    f.push_back(option_field<Options>(
        "damping", "lambda > 0 in (lambda I + J'J)s = -g (1)",
        [](auto& o) -> auto& { return o.damping; }));
    add_update_control_fields(f);
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> NllsFull<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
void NllsFull<Scalar>::initialize_state(Index n) {
  back_.resize(n);
}

template <class Scalar>
void NllsFull<Scalar>::propose(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> grad,
                               double lr, std::int64_t, VectorRef<Scalar> next) {
  Problem<Scalar>& problem = this->current_problem();
  const Index m = problem.num_residuals();
  // The paper's J is √(L/2)·Ĵ (r = r̂·√(L/2)), so JJᵀ = (L/2)·ĴĴᵀ, Jg = √(L/2)·Ĵg, Jᵀz likewise.
  const double half_m = static_cast<double>(m) / 2, root = std::sqrt(half_m);
  if (gram_.rows() != m) {
    gram_.resize(m, params.size());
    jg_.resize(m);
  }
  Matrix<Scalar>& G = gram_.gram();
  problem.gram(params, G);
  G *= static_cast<Scalar>(half_m);
  const bool factored = gram_.factorize(options_.damping) == FactorStatus::kPositiveDefinite;
  problem.jvp(params, grad, jg_);
  jg_ *= static_cast<Scalar>(root);
  if (factored) {
    gram_.solve_in_place(jg_);  // z = (λI + JJᵀ)⁻¹ J g
  } else {
    jg_.setConstant(std::numeric_limits<Scalar>::quiet_NaN());  // rejected as non-finite
  }
  problem.vjp(params, jg_, back_);
  // s = −(g − Jᵀz)/λ, scaled by the learning rate.
  const auto step = static_cast<Scalar>(lr / options_.damping);
  next = params - step * (grad - static_cast<Scalar>(root) * back_);
}

template class NllsFull<float>;
template class NllsFull<double>;

}  // namespace curvopt
