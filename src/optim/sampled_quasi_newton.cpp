// S-LBFGS and S-LSR1 as compositions on the descent × search loop: each class only validates its
// options, builds its descent and search, and lists its option fields.

#include "curvopt/optim/sampled_quasi_newton.h"

#include <memory>

#include "curvopt/optim/quasi_newton/sampled_lbfgs_descent.h"
#include "curvopt/optim/search/backtracking_search.h"
#include "curvopt/optim/search/trust_region_search.h"
#include "option_list.h"

namespace curvopt {
namespace {

std::optional<std::string> validate_pairs(const char* o, const SampledPairOptions& p) {
  std::optional<std::string> memory;
  if (p.memory < 1) memory = out_of_range(o, "memory", p.memory, ">= 1");
  return first_error({memory, require_positive(o, "radius", p.radius),
                      require_non_negative(o, "pair_epsilon", p.pair_epsilon),
                      require_non_negative(o, "gradient_tolerance", p.gradient_tolerance)});
}

std::optional<std::string> validate_trials(const char* o, int max_trials) {
  if (max_trials >= 1) return std::nullopt;
  return out_of_range(o, "max_trials", max_trials, ">= 1");
}

CurvaturePairSamplerOptions sampler_options(const SampledPairOptions& p) {
  return {.memory = p.memory, .radius = p.radius, .sampling = p.sampling, .seed = p.seed};
}

// The fields both methods share, reached through the method's `pairs` member.
template <class Options>
void add_pair_fields(OptionFields<Options>& f) {
  f.push_back(option_field<Options>(
      "memory", "pairs sampled per step >= 1 (10)", [](auto& o) -> auto& { return o.pairs.memory; },
      "m"));
  f.push_back(option_field<Options>(
      "radius", "sampling radius r > 0 (1)", [](auto& o) -> auto& { return o.pairs.radius; }));
  f.push_back(option_field<Options>(
      "sampling", "y from: hessian (Option II), gradient (Option I), gauss-newton",
      [](auto& o) -> auto& { return o.pairs.sampling; }));
  f.push_back(option_field<Options>(
      "pair_epsilon", "pair test epsilon >= 0 (1e-8)",
      [](auto& o) -> auto& { return o.pairs.pair_epsilon; }));
  f.push_back(option_field<Options>(
      "seed", "seed of the sampled pairs (0)", [](auto& o) -> auto& { return o.pairs.seed; }));
  f.push_back(option_field<Options>(
      "gradient_tolerance", "converged at max|g| <= tol; 0 = never",
      [](auto& o) -> auto& { return o.pairs.gradient_tolerance; }));
}

template <class Scalar>
std::unique_ptr<Descent<Scalar>> lbfgs_descent(const SampledLbfgsOptions& o) {
  throw_if_invalid(o);
  return std::make_unique<SampledLbfgsDescent<Scalar>>(SampledLbfgsDescentOptions{
      .sampler = sampler_options(o.pairs), .pair_epsilon = o.pairs.pair_epsilon});
}

std::unique_ptr<Search> lbfgs_search(const SampledLbfgsOptions& o) {
  throw_if_invalid(o);
  return std::make_unique<BacktrackingSearch>(
      BacktrackingSearchOptions{.initial_step = o.initial_step,
                                .factor = o.backtrack_factor,
                                .c1 = o.c1,
                                .min_step = o.min_step,
                                .growth = o.step_growth});
}

template <class Scalar>
std::unique_ptr<Descent<Scalar>> lsr1_descent(const SampledLsr1Options& o) {
  throw_if_invalid(o);
  return std::make_unique<SampledLsr1Descent<Scalar>>(
      SampledLsr1DescentOptions{.sampler = sampler_options(o.pairs),
                                .pair_epsilon = o.pairs.pair_epsilon,
                                .solver = o.solver});
}

std::unique_ptr<Search> lsr1_search(const SampledLsr1Options& o) {
  throw_if_invalid(o);
  // The authors' rule: grow on a good ratio whether or not the step reached the boundary.
  return std::make_unique<TrustRegionSearch>(
      TrustRegionSearchOptions{.initial_radius = o.initial_radius,
                               .max_radius = o.max_radius,
                               .min_radius = o.min_radius,
                               .eta = o.eta,
                               .grow_only_at_boundary = false});
}

}  // namespace

std::optional<std::string> SampledLbfgsOptions::validate() const {
  const char* o = "SampledLbfgsOptions";
  std::optional<std::string> c1_range, factor_range;
  if (!(c1 > 0 && c1 < 1)) c1_range = out_of_range(o, "c1", c1, "in (0, 1)");
  if (!(backtrack_factor > 0 && backtrack_factor < 1))
    factor_range = out_of_range(o, "backtrack_factor", backtrack_factor, "in (0, 1)");
  return first_error({validate_pairs(o, pairs), require_positive(o, "initial_step", initial_step),
                      require_non_negative(o, "step_growth", step_growth), c1_range, factor_range,
                      require_positive(o, "min_step", min_step), validate_trials(o, max_trials)});
}

std::optional<std::string> SampledLsr1Options::validate() const {
  const char* o = "SampledLsr1Options";
  std::optional<std::string> eta_range, order;
  if (!(eta >= 0 && eta < 0.25)) eta_range = out_of_range(o, "eta", eta, "in [0, 0.25)");
  if (!(min_radius <= initial_radius && initial_radius <= max_radius))
    order = out_of_range(o, "initial_radius", initial_radius, "in [min_radius, max_radius]");
  return first_error(
      {validate_pairs(o, pairs), require_positive(o, "initial_radius", initial_radius), eta_range,
       require_positive(o, "min_radius", min_radius), require_positive(o, "max_radius", max_radius),
       order, validate_trials(o, max_trials)});
}

template <class Scalar>
SampledLbfgs<Scalar>::SampledLbfgs(const Options& options)
    : DescentSearchMinimizer<Scalar>("slbfgs", lbfgs_descent<Scalar>(options),
                                     lbfgs_search(options),
                                     {.max_trials = options.max_trials,
                                      .gradient_tolerance = options.pairs.gradient_tolerance}),
      options_(options) {}

template <class Scalar>
const OptionFields<SampledLbfgsOptions>& SampledLbfgs<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    add_pair_fields(f);
    f.push_back(option_field<Options>(
        "initial_step", "first step's first alpha > 0 (1)",
        [](auto& o) -> auto& { return o.initial_step; }));
    f.push_back(option_field<Options>(
        "step_growth", "alpha starts at growth*alpha_prev (2)",
        [](auto& o) -> auto& { return o.step_growth; }));
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
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> SampledLbfgs<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template <class Scalar>
SampledLsr1<Scalar>::SampledLsr1(const Options& options)
    : DescentSearchMinimizer<Scalar>("slsr1", lsr1_descent<Scalar>(options), lsr1_search(options),
                                     {.max_trials = options.max_trials,
                                      .gradient_tolerance = options.pairs.gradient_tolerance}),
      options_(options) {}

template <class Scalar>
const OptionFields<SampledLsr1Options>& SampledLsr1<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    add_pair_fields(f);
    f.push_back(option_field<Options>(
        "solver", "trust-region subproblem: steihaug, exact",
        [](auto& o) -> auto& { return o.solver; }));
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
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> SampledLsr1<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

template class SampledLbfgs<float>;
template class SampledLbfgs<double>;
template class SampledLsr1<float>;
template class SampledLsr1<double>;

}  // namespace curvopt
