// K-FAC as a composition: this file validates the options, builds the descent and the damping
// search, and lists the option fields.

#include "curvopt/optim/kfac.h"

#include <memory>

#include "curvopt/problem/l2_regularized.h"
#include "option_list.h"

namespace curvopt {

std::optional<std::string> KfacOptions::validate() const {
  std::optional<std::string> trials;
  if (max_trials < 1) trials = out_of_range("KfacOptions", "max_trials", max_trials, ">= 1");
  return first_error({descent.validate(), damping.validate(), trials});
}

namespace {

template <class Scalar>
std::unique_ptr<Descent<Scalar>> make_kfac_descent(const KfacOptions& o) {
  throw_if_invalid(o);
  return std::make_unique<KfacDescent<Scalar>>(o.descent);
}

}  // namespace

template <class Scalar>
Kfac<Scalar>::Kfac(const Options& options)
    : DescentSearchMinimizer<Scalar>(
          "kfac", make_kfac_descent<Scalar>(options),
          std::make_unique<PeriodicDampingSearch>(options.damping),
          {.max_trials = options.damping.reject_uphill ? options.max_trials : 1}),
      options_(options) {}

template <class Scalar>
StepReport Kfac<Scalar>::step(Problem<Scalar>& problem, VectorRef<Scalar> params) {
  if (options_.descent.weight_decay == 0)
    return DescentSearchMinimizer<Scalar>::step(problem, params);
  // The whole objective regularized, so that the quadratic model, the gain ratio and the loss
  // the search compares all see the same f + ½η‖θ‖².
  L2Regularized<Scalar> regularized(problem, options_.descent.weight_decay);
  return DescentSearchMinimizer<Scalar>::step(regularized, params);
}

template <class Scalar>
const OptionFields<KfacOptions>& Kfac<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    auto add = [&f](OptionField<Options> field) { f.push_back(std::move(field)); };
    add(option_field<Options>(
        "estimation", "factor G: sampled (Fisher), empirical (labels), exact (Gauss-Newton)",
        [](auto& o) -> auto& { return o.descent.curvature.targets; }));
    add(option_field<Options>(
        "decay", "factor moving average, in [0, 1) (0.95)",
        [](auto& o) -> auto& { return o.descent.curvature.decay; }, "ema"));
    add(option_field<Options>(
        "inverse", "damped factor inverses: cholesky, eigen, ekfac (cholesky)",
        [](auto& o) -> auto& { return o.descent.curvature.inverse; }));
    add(option_field<Options>(
        "seed", "seed of the sampled targets (0)",
        [](auto& o) -> auto& { return o.descent.curvature.seed; }));
    add(option_field<Options>(
        "statistics_period", "draw factor statistics every k steps (1)",
        [](auto& o) -> auto& { return o.descent.statistics_period; }));
    add(option_field<Options>(
        "inverse_period", "recompute the inverses every k steps (20)",
        [](auto& o) -> auto& { return o.descent.inverse_period; }));
    add(option_field<Options>(
        "momentum", "previous step in the quadratic model (true)",
        [](auto& o) -> auto& { return o.descent.momentum; }));
    add(option_field<Options>(
        "max_momentum", "clamp mu into [0, this]; inf = off (inf)",
        [](auto& o) -> auto& { return o.descent.max_momentum; }));
    add(option_field<Options>(
        "norm_constraint", "scale steps to d'Fd <= this; inf = off (inf)",
        [](auto& o) -> auto& { return o.descent.norm_constraint; }));
    add(option_field<Options>(
        "weight_decay", "l2 coefficient eta: minimizes f + eta/2 |theta|^2 (0)",
        [](auto& o) -> auto& { return o.descent.weight_decay; }));
    add(option_field<Options>(
        "damping", "initial lambda > 0 (1)",
        [](auto& o) -> auto& { return o.damping.initial_damping; }, "lambda"));
    add(option_field<Options>(
        "min_damping", "floor of lambda > 0 (1e-8)",
        [](auto& o) -> auto& { return o.damping.min_damping; }));
    add(option_field<Options>(
        "max_damping", "ceiling of lambda (1e8)",
        [](auto& o) -> auto& { return o.damping.max_damping; }));
    add(option_field<Options>(
        "damping_period", "adapt lambda every T1 steps (5)",
        [](auto& o) -> auto& { return o.damping.period; }));
    add(option_field<Options>(
        "damping_decay", "omega per step: lambda *= omega^T1 or /= (0.95)",
        [](auto& o) -> auto& { return o.damping.decay; }));
    add(option_field<Options>(
        "reject", "retry steps that raise the loss with more damping (false)",
        [](auto& o) -> auto& { return o.damping.reject_uphill; }));
    add(option_field<Options>(
        "max_trials", "trials per step with reject=true (10)",
        [](auto& o) -> auto& { return o.max_trials; }));
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Kfac<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template class Kfac<float>;
template class Kfac<double>;

}  // namespace curvopt
