// BFGS, SR1 and L-SR1 as compositions on the descent × search loop.

#include "curvopt/optim/classical_quasi_newton.h"

#include <memory>

#include "curvopt/core/errors.h"
#include "curvopt/optim/quasi_newton/dense_quasi_newton_descent.h"
#include "curvopt/optim/search/backtracking_search.h"
#include "curvopt/optim/search/trust_region_search.h"
#include "option_list.h"

namespace curvopt {
namespace {

std::optional<std::string> positive_int(const char* o, const char* field, double value) {
  if (value >= 1) return std::nullopt;
  return out_of_range(o, field, value, ">= 1");
}

template <class Scalar>
std::unique_ptr<Descent<Scalar>> bfgs_descent(const BfgsOptions& o) {
  throw_if_invalid(o);
  return std::make_unique<BfgsDescent<Scalar>>(QuasiNewtonDescentOptions{
      .pair_epsilon = o.pair_epsilon, .max_dense_parameters = o.max_dense_parameters});
}

QuasiNewtonDescentOptions descent_options(const Sr1Options& o) {
  throw_if_invalid(o);
  return {.pair_epsilon = o.pair_epsilon,
          .memory = o.memory,
          .solver = o.solver,
          .max_dense_parameters = o.max_dense_parameters};
}

template <class Scalar>
std::unique_ptr<Descent<Scalar>> sr1_descent(const Sr1Options& o) {
  if (o.solver != TrustRegionSolver::kSteihaug)
    throw ConfigError("sr1: solver = exact needs the compact form; use lsr1 solver=exact");
  return std::make_unique<Sr1Descent<Scalar>>(descent_options(o));
}

std::unique_ptr<Search> sr1_search(const Sr1Options& o) {
  throw_if_invalid(o);
  return std::make_unique<TrustRegionSearch>(
      TrustRegionSearchOptions{.initial_radius = o.initial_radius,
                               .max_radius = o.max_radius,
                               .min_radius = o.min_radius,
                               .eta = o.eta});
}

}  // namespace

std::optional<std::string> BfgsOptions::validate() const {
  const char* o = "BfgsOptions";
  std::optional<std::string> c1_range, factor_range;
  if (!(c1 > 0 && c1 < 1)) c1_range = out_of_range(o, "c1", c1, "in (0, 1)");
  if (!(backtrack_factor > 0 && backtrack_factor < 1))
    factor_range = out_of_range(o, "backtrack_factor", backtrack_factor, "in (0, 1)");
  return first_error(
      {require_non_negative(o, "pair_epsilon", pair_epsilon),
       positive_int(o, "max_dense_parameters", static_cast<double>(max_dense_parameters)), c1_range,
       factor_range, require_positive(o, "min_step", min_step),
       positive_int(o, "max_trials", max_trials),
       require_non_negative(o, "gradient_tolerance", gradient_tolerance)});
}

std::optional<std::string> Sr1Options::validate() const {
  const char* o = "Sr1Options";
  std::optional<std::string> eta_range, order;
  if (!(eta >= 0 && eta < 0.25)) eta_range = out_of_range(o, "eta", eta, "in [0, 0.25)");
  if (!(min_radius <= initial_radius && initial_radius <= max_radius))
    order = out_of_range(o, "initial_radius", initial_radius, "in [min_radius, max_radius]");
  return first_error(
      {require_non_negative(o, "pair_epsilon", pair_epsilon), positive_int(o, "memory", memory),
       positive_int(o, "max_dense_parameters", static_cast<double>(max_dense_parameters)),
       require_positive(o, "initial_radius", initial_radius), eta_range,
       require_positive(o, "min_radius", min_radius), require_positive(o, "max_radius", max_radius),
       order, positive_int(o, "max_trials", max_trials),
       require_non_negative(o, "gradient_tolerance", gradient_tolerance)});
}

template <class Scalar>
Bfgs<Scalar>::Bfgs(const Options& options)
    : DescentSearchMinimizer<Scalar>(
          "bfgs", bfgs_descent<Scalar>(options),
          std::make_unique<BacktrackingSearch>(BacktrackingSearchOptions{
              .factor = options.backtrack_factor, .c1 = options.c1, .min_step = options.min_step}),
          {.max_trials = options.max_trials, .gradient_tolerance = options.gradient_tolerance}),
      options_(options) {}

template <class Scalar>
const OptionFields<BfgsOptions>& Bfgs<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(option_field<Options>(
        "pair_epsilon", "keep pairs with s'y > eps|s||y| (1e-8)",
        [](auto& o) -> auto& { return o.pair_epsilon; }));
    f.push_back(option_field<Options>(
        "max_dense_parameters", "refuse larger n (4000)",
        [](auto& o) -> auto& { return o.max_dense_parameters; }));
    f.push_back(option_field<Options>(
        "c1", "Armijo constant in (0, 1) (1e-4)", [](auto& o) -> auto& { return o.c1; }));
    f.push_back(option_field<Options>(
        "backtrack_factor", "alpha shrink in (0, 1) (0.5)",
        [](auto& o) -> auto& { return o.backtrack_factor; }));
    f.push_back(option_field<Options>(
        "min_step", "reject once alpha < this (1e-25)",
        [](auto& o) -> auto& { return o.min_step; }));
    f.push_back(option_field<Options>(
        "max_trials", "trials per step >= 1 (100)", [](auto& o) -> auto& { return o.max_trials; }));
    f.push_back(option_field<Options>(
        "gradient_tolerance", "converged at max|g| <= tol (0)",
        [](auto& o) -> auto& { return o.gradient_tolerance; }));
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Bfgs<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
Sr1<Scalar>::Sr1(const Options& options)
    : DescentSearchMinimizer<Scalar>(
          "sr1", sr1_descent<Scalar>(options), sr1_search(options),
          {.max_trials = options.max_trials, .gradient_tolerance = options.gradient_tolerance}),
      options_(options) {}

template <class Scalar>
Lsr1<Scalar>::Lsr1(const Options& options)
    : DescentSearchMinimizer<Scalar>(
          "lsr1", std::make_unique<LimitedSr1Descent<Scalar>>(descent_options(options)),
          sr1_search(options),
          {.max_trials = options.max_trials, .gradient_tolerance = options.gradient_tolerance}),
      options_(options) {}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Lsr1<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
const OptionFields<Sr1Options>& Sr1<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(option_field<Options>(
        "pair_epsilon", "SR1 test epsilon >= 0 (1e-8)",
        [](auto& o) -> auto& { return o.pair_epsilon; }));
    f.push_back(option_field<Options>(
        "memory", "lsr1: pairs kept >= 1 (10)", [](auto& o) -> auto& { return o.memory; }, "m"));
    f.push_back(option_field<Options>(
        "solver", "lsr1: steihaug, exact", [](auto& o) -> auto& { return o.solver; }));
    f.push_back(option_field<Options>(
        "max_dense_parameters", "sr1: refuse larger n (4000)",
        [](auto& o) -> auto& { return o.max_dense_parameters; }));
    f.push_back(option_field<Options>(
        "initial_radius", "Delta_0 > 0 (1)", [](auto& o) -> auto& { return o.initial_radius; }));
    f.push_back(option_field<Options>(
        "eta", "accept when rho > eta, in [0, 0.25) (1e-6)",
        [](auto& o) -> auto& { return o.eta; }));
    f.push_back(option_field<Options>(
        "min_radius", "stop once Delta < this (1e-12)",
        [](auto& o) -> auto& { return o.min_radius; }));
    f.push_back(option_field<Options>(
        "max_radius", "Delta never above this (1e10)",
        [](auto& o) -> auto& { return o.max_radius; }));
    f.push_back(option_field<Options>(
        "max_trials", "trials per step >= 1 (1)", [](auto& o) -> auto& { return o.max_trials; }));
    f.push_back(option_field<Options>(
        "gradient_tolerance", "converged at max|g| <= tol (0)",
        [](auto& o) -> auto& { return o.gradient_tolerance; }));
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> Sr1<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template class Bfgs<float>;
template class Bfgs<double>;
template class Sr1<float>;
template class Sr1<double>;
template class Lsr1<float>;
template class Lsr1<double>;

}  // namespace curvopt
