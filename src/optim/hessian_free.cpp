// Hessian-free as a composition: this file validates the options, builds the descent and the
// line search, and lists the option fields.

#include "curvopt/optim/hessian_free.h"

#include <memory>

#include "curvopt/optim/search/backtracking_search.h"
#include "option_list.h"

namespace curvopt {

std::optional<std::string> HessianFreeOptions::validate() const {
  const char* o = "HessianFreeOptions";
  std::optional<std::string> c1_range, factor_range, trials;
  if (!(c1 > 0 && c1 < 1)) c1_range = out_of_range(o, "c1", c1, "in (0, 1)");
  if (!(backtrack_factor > 0 && backtrack_factor < 1))
    factor_range = out_of_range(o, "backtrack_factor", backtrack_factor, "in (0, 1)");
  if (max_line_search < 1) trials = out_of_range(o, "max_line_search", max_line_search, ">= 1");
  return first_error({descent.validate(), c1_range, factor_range, trials,
                      require_non_negative(o, "gradient_tolerance", gradient_tolerance),
                      require_positive(o, "uphill_exponent", uphill_exponent)});
}

namespace {

template <class Scalar>
std::unique_ptr<Descent<Scalar>> hf_descent(const HessianFreeOptions& o) {
  throw_if_invalid(o);
  return std::make_unique<HessianFreeDescent<Scalar>>(o.descent);
}

std::unique_ptr<Search> hf_search(const HessianFreeOptions& o) {
  throw_if_invalid(o);
  // The trial budget ends the search; min_step only guards against a zero step size.
  return std::make_unique<BacktrackingSearch>(BacktrackingSearchOptions{
      .initial_step = 1, .factor = o.backtrack_factor, .c1 = o.c1, .min_step = 1e-300});
}

DescentSearchOptions loop_options(const HessianFreeOptions& o) {
  DescentSearchOptions loop{.max_trials = o.max_line_search,
                            .gradient_tolerance = o.gradient_tolerance,
                            .keep_best = o.keep_best};
  if (o.uphill) loop.uphill = UphillAcceptance{o.uphill_exponent};
  return loop;
}

}  // namespace

template <class Scalar>
HessianFree<Scalar>::HessianFree(const Options& options)
    : DescentSearchMinimizer<Scalar>("hessian-free", hf_descent<Scalar>(options),
                                     hf_search(options), loop_options(options)),
      options_(options) {}

template <class Scalar>
const OptionFields<HessianFreeOptions>& HessianFree<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    auto add = [&f](OptionField<Options> field) { f.push_back(std::move(field)); };
    add(option_field<Options>(
        "curvature", "curvature products: gauss-newton, hessian",
        [](auto& o) -> auto& { return o.descent.curvature; }));
    add(option_field<Options>(
        "damping", "initial lambda > 0 (1)",
        [](auto& o) -> auto& { return o.descent.initial_damping; }, "lambda"));
    add(option_field<Options>(
        "damping_increase", "lambda *= this when rho < rho_low (1.5)",
        [](auto& o) -> auto& { return o.descent.damping_increase; }));
    add(option_field<Options>(
        "damping_decrease", "lambda *= this when rho > rho_high (2/3)",
        [](auto& o) -> auto& { return o.descent.damping_decrease; }));
    add(option_field<Options>(
        "rho_low", "raise lambda below this ratio (0.25)",
        [](auto& o) -> auto& { return o.descent.rho_low; }));
    add(option_field<Options>(
        "rho_high", "lower lambda above this ratio (0.75)",
        [](auto& o) -> auto& { return o.descent.rho_high; }));
    add(option_field<Options>(
        "min_damping", "floor of lambda >= 0 (0)",
        [](auto& o) -> auto& { return o.descent.min_damping; }));
    add(option_field<Options>(
        "damped_model", "rho from the damped quadratic (true)",
        [](auto& o) -> auto& { return o.descent.damped_model; }));
    add(option_field<Options>(
        "max_cg", "CG iterations per step >= 1 (250)",
        [](auto& o) -> auto& { return o.descent.max_cg_iterations; }));
    add(option_field<Options>(
        "cg_epsilon", "Martens' relative-progress stop; 0 = off (5e-4)",
        [](auto& o) -> auto& { return o.descent.cg_epsilon; }));
    add(option_field<Options>(
        "cg_tolerance", "stop CG at |r| <= tol*|g| (1e-10)",
        [](auto& o) -> auto& { return o.descent.cg_tolerance; }));
    add(option_field<Options>(
        "residual_refresh", "recompute the CG residual every k iterations; 0 = never",
        [](auto& o) -> auto& { return o.descent.residual_refresh; }));
    add(option_field<Options>(
        "warm_start_decay", "CG starts at decay*p_prev, in [0, 1] (0.95)",
        [](auto& o) -> auto& { return o.descent.warm_start_decay; }));
    add(option_field<Options>(
        "reset_on_negative_rho", "forget p_prev after rho < 0 (true)",
        [](auto& o) -> auto& { return o.descent.reset_on_negative_rho; }));
    add(option_field<Options>(
        "cg_backtracking", "pick the best kept CG iterate by the loss (true)",
        [](auto& o) -> auto& { return o.descent.cg_backtracking; }));
    add(option_field<Options>(
        "preconditioner", "auto, martens, none",
        [](auto& o) -> auto& { return o.descent.preconditioner; }));
    add(option_field<Options>(
        "preconditioner_exponent", "(diag Fisher + lambda)^this (0.75)",
        [](auto& o) -> auto& { return o.descent.preconditioner_exponent; }));
    add(option_field<Options>(
        "structural_damping", "mu: damp hidden-state changes by mu*lambda (0: off)",
        [](auto& o) -> auto& { return o.descent.structural_damping; }));
    add(option_field<Options>(
        "c1", "line-search Armijo constant in (0, 1) (1e-2)",
        [](auto& o) -> auto& { return o.c1; }));
    add(option_field<Options>(
        "backtrack_factor", "line-search shrink in (0, 1) (0.8)",
        [](auto& o) -> auto& { return o.backtrack_factor; }));
    add(option_field<Options>(
        "max_line_search", "line-search trials >= 1 (60)",
        [](auto& o) -> auto& { return o.max_line_search; }));
    add(option_field<Options>(
        "gradient_tolerance", "converged at max|g| <= tol; 0 = never",
        [](auto& o) -> auto& { return o.gradient_tolerance; }));
    add(option_field<Options>(
        "uphill", "accept refused steps that continue the last (false)",
        [](auto& o) -> auto& { return o.uphill; }));
    add(option_field<Options>(
        "uphill_exponent", "uphill: exponent b > 0 (2)",
        [](auto& o) -> auto& { return o.uphill_exponent; }));
    add(option_field<Options>(
        "keep_best", "evaluate at the best iterate seen (false)",
        [](auto& o) -> auto& { return o.keep_best; }));
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> HessianFree<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template class HessianFree<float>;
template class HessianFree<double>;

}  // namespace curvopt
