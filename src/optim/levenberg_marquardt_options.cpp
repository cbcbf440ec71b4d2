// The options of Levenberg-Marquardt: enum names, validation and the registry's option table.

#include "curvopt/optim/levenberg_marquardt.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"
#include "option_list.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(DampingMatrix, {DampingMatrix::kIdentity, "identity"},
                   {DampingMatrix::kMarquardt, "marquardt"},
                   {DampingMatrix::kMaxDiagonal, "max-diagonal"})

CURVOPT_ENUM_NAMES(LmCurvature, {LmCurvature::kGaussNewton, "gauss-newton"},
                   {LmCurvature::kEmpiricalFisher, "empirical-fisher"},
                   {LmCurvature::kSampledGaussNewton, "sampled-gauss-newton"},
                   {LmCurvature::kRootLoss, "root-loss"})

std::optional<std::string> LevenbergMarquardtOptions::validate() const {
  const char* o = "LevenbergMarquardtOptions";
  std::optional<std::string> trials, cg, geodesic_fisher;
  if (geodesic && curvature != LmCurvature::kGaussNewton)
    geodesic_fisher =
        "LevenbergMarquardtOptions::geodesic = true: geodesic acceleration needs second "
        "derivatives of the residuals, which curvature = " +
        std::string(to_string(curvature)) +
        " (rows without residuals) lacks; use curvature = " + "gauss-newton";
  if (max_trials < 1)
    trials =
        "LevenbergMarquardtOptions::max_trials = " + std::to_string(max_trials) + ": must be >= 1";
  if (cg_max_iterations < 1)
    cg = "LevenbergMarquardtOptions::cg_max_iterations = " + std::to_string(cg_max_iterations) +
         ": must be >= 1";
  return first_error({require_positive(o, "memory_budget_bytes", memory_budget_bytes),
                      damping.validate(),
                      require_non_negative(o, "initial_diagonal", initial_diagonal),
                      require_positive(o, "min_diagonal", min_diagonal),
                      require_positive(o, "learning_rate", learning_rate), trials,
                      require_non_negative(o, "gradient_tolerance", gradient_tolerance),
                      require_non_negative(o, "function_tolerance", function_tolerance),
                      require_non_negative(o, "step_tolerance", step_tolerance), cg,
                      require_positive(o, "cg_tolerance", cg_tolerance),
                      require_non_negative(o, "momentum_step_length", momentum_step_length),
                      momentum_xi > 0 && momentum_xi < 1
                          ? std::nullopt
                          : out_of_range(o, "momentum_xi", momentum_xi, "in (0, 1)"),
                      require_positive(o, "uphill_exponent", uphill_exponent),
                      require_positive(o, "geodesic_h", geodesic_h),
                      require_positive(o, "geodesic_ratio", geodesic_ratio), geodesic_fisher});
}

template <class Scalar>
const OptionFields<LevenbergMarquardtOptions>& LevenbergMarquardt<Scalar>::option_fields() {
  static const OptionFields<Options> fields = [] {
    OptionFields<Options> f;
    f.push_back(option_field<Options>(
        "form", "auto, parameter-space, data-space, cg (auto)",
        [](auto& o) -> auto& { return o.form; }));
    f.push_back(option_field<Options>(
        "curvature",
        "gauss-newton, empirical-fisher, sampled-gauss-newton, root-loss (gauss-newton)",
        [](auto& o) -> auto& { return o.curvature; }));
    f.push_back(option_field<Options>(
        "seed", "seed of the sampled curvature directions (0)",
        [](auto& o) -> auto& { return o.seed; }));
    f.push_back(option_field<Options>(
        "memory_budget_bytes", "memory for explicit J and factors (1 GiB)",
        [](auto& o) -> auto& { return o.memory_budget_bytes; }));
    f.push_back(option_field<Options>(
        "damping_matrix", "identity, marquardt, max-diagonal (identity)",
        [](auto& o) -> auto& { return o.damping_matrix; }));
    f.push_back(option_field<Options>(
        "rule", "classic, delayed-gratification, gain-ratio, nielsen, trust-region (classic)",
        [](auto& o) -> auto& { return o.damping.rule; }));
    f.push_back(option_field<Options>(
        "damping", "initial lambda (1)", [](auto& o) -> auto& { return o.damping.initial_damping; },
        "lambda"));
    f.push_back(option_field<Options>(
        "min_damping", "lower bound of lambda (1e-12)",
        [](auto& o) -> auto& { return o.damping.min_damping; }));
    f.push_back(option_field<Options>(
        "max_damping", "upper bound; reaching it stops (1e10)",
        [](auto& o) -> auto& { return o.damping.max_damping; }));
    f.push_back(option_field<Options>(
        "decrease_factor", "classic rule: lambda /= this on accept (10)",
        [](auto& o) -> auto& { return o.damping.classic_decrease; }));
    f.push_back(option_field<Options>(
        "increase_factor", "classic rule: lambda *= this on reject (10)",
        [](auto& o) -> auto& { return o.damping.classic_increase; }));
    f.push_back(option_field<Options>(
        "initial_diagonal", "max-diagonal: starting d (0.01)",
        [](auto& o) -> auto& { return o.initial_diagonal; }));
    f.push_back(option_field<Options>(
        "min_diagonal", "floor of d (1e-8)", [](auto& o) -> auto& { return o.min_diagonal; }));
    f.push_back(learning_rate_field<Options>("step scale > 0 (1)"));
    f.push_back(option_field<Options>(
        "max_trials", "trial steps per call (20)", [](auto& o) -> auto& { return o.max_trials; }));
    f.push_back(option_field<Options>(
        "gradient_tolerance", "converged when max|g| <= this (0)",
        [](auto& o) -> auto& { return o.gradient_tolerance; }));
    f.push_back(option_field<Options>(
        "function_tolerance", "converged when |df| <= this * f (0)",
        [](auto& o) -> auto& { return o.function_tolerance; }));
    f.push_back(option_field<Options>(
        "step_tolerance", "converged when |dx| <= this * (|x| + this) (0)",
        [](auto& o) -> auto& { return o.step_tolerance; }));
    f.push_back(option_field<Options>(
        "cg_max_iterations", "CG form: iteration limit (250)",
        [](auto& o) -> auto& { return o.cg_max_iterations; }));
    f.push_back(option_field<Options>(
        "cg_tolerance", "CG form: relative residual (1e-10)",
        [](auto& o) -> auto& { return o.cg_tolerance; }));
    f.push_back(option_field<Options>(
        "momentum", "adaptive momentum (false)", [](auto& o) -> auto& { return o.momentum; }));
    f.push_back(option_field<Options>(
        "momentum_step_length", "momentum: dP in H's metric; 0 = 0.6*sqrt(2/m) (0)",
        [](auto& o) -> auto& { return o.momentum_step_length; }));
    f.push_back(option_field<Options>(
        "momentum_cap", "momentum: dP at most the LM step's H-length (true)",
        [](auto& o) -> auto& { return o.momentum_cap; }));
    f.push_back(option_field<Options>(
        "momentum_xi", "momentum: xi in (0, 1) (0.9)",
        [](auto& o) -> auto& { return o.momentum_xi; }));
    f.push_back(option_field<Options>(
        "lr_search", "learning-rate grid search on failure (false)",
        [](auto& o) -> auto& { return o.lr_search; }));
    f.push_back(option_field<Options>(
        "lr_search_grid", "s1 (72-point grid), halving (1/2..1/64, first decrease) (s1)",
        [](auto& o) -> auto& { return o.lr_search_grid; }));
    f.push_back(option_field<Options>(
        "uphill", "uphill step acceptance (false)", [](auto& o) -> auto& { return o.uphill; }));
    f.push_back(option_field<Options>(
        "uphill_exponent", "uphill: exponent b (2)",
        [](auto& o) -> auto& { return o.uphill_exponent; }));
    f.push_back(option_field<Options>(
        "uphill_from_best", "uphill: compare with the best loss, not the current (true)",
        [](auto& o) -> auto& { return o.uphill_from_best; }));
    f.push_back(option_field<Options>(
        "geodesic", "geodesic acceleration (false)", [](auto& o) -> auto& { return o.geodesic; }));
    f.push_back(option_field<Options>(
        "geodesic_h", "geodesic: finite-difference step (0.1)",
        [](auto& o) -> auto& { return o.geodesic_h; }));
    f.push_back(option_field<Options>(
        "geodesic_ratio", "geodesic: max 2|a|/|v| (0.75)",
        [](auto& o) -> auto& { return o.geodesic_ratio; }));
    f.push_back(option_field<Options>(
        "keep_best", "full batch: evaluate on the best iterate seen (false)",
        [](auto& o) -> auto& { return o.keep_best; }));
    return f;
  }();
  return fields;
}

template <class Scalar>
std::vector<std::pair<std::string, std::string>> LevenbergMarquardt<Scalar>::options() const {
  return option_values(option_fields(), options_);
}

#define CURVOPT_INSTANTIATE_LM_OPTIONS(S)                                                         \
  template const OptionFields<LevenbergMarquardtOptions>& LevenbergMarquardt<S>::option_fields(); \
  template std::vector<std::pair<std::string, std::string>> LevenbergMarquardt<S>::options() const;
CURVOPT_INSTANTIATE_LM_OPTIONS(float)
CURVOPT_INSTANTIATE_LM_OPTIONS(double)
#undef CURVOPT_INSTANTIATE_LM_OPTIONS

}  // namespace curvopt
