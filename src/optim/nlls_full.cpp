// Full-Jacobian NLLS as a composition: the Gram descent × fixed damping.

#include "curvopt/optim/nlls_full.h"

#include <memory>

#include "curvopt/optim/descent/gram_descent.h"
#include "curvopt/optim/search/fixed_search.h"
#include "option_list.h"

namespace curvopt {

std::optional<std::string> NllsFullOptions::validate() const {
  const char* o = "NllsFullOptions";
  return first_error({require_positive(o, "learning_rate", learning_rate),
                      require_positive(o, "damping", damping)});
}

namespace {

std::unique_ptr<Search> fixed_damping(const NllsFullOptions& o) {
  throw_if_invalid(o);
  return std::make_unique<FixedSearch>(StepScalar::kDamping, o.damping);
}

}  // namespace

template <class Scalar>
NllsFull<Scalar>::NllsFull(const Options& options)
    : DescentSearchMinimizer<Scalar>("nlls-full", std::make_unique<GramDescent<Scalar>>(),
                                     fixed_damping(options),
                                     {.learning_rate = options.learning_rate, .max_trials = 1}),
      options_(options) {}

template <class Scalar>
const OptionFields<NllsFullOptions>& NllsFull<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(learning_rate_field<Options>("step scale > 0 (1)"));
    f.push_back(option_field<Options>(
        "damping", "lambda > 0 in (lambda I + J'J)s = -g (1)",
        [](auto& o) -> auto& { return o.damping; }));
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> NllsFull<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template class NllsFull<float>;
template class NllsFull<double>;

}  // namespace curvopt
