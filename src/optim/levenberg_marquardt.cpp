// Levenberg-Marquardt as a composition: the damped Gauss-Newton descent (one of three forms,
// cached by the number of residuals), decorated by adaptive momentum and geodesic acceleration,
// × the damping search, in the descent × search loop with uphill acceptance, the learning-rate
// rescue and the best-iterate record.

#include "curvopt/optim/levenberg_marquardt.h"

#include "curvopt/optim/descent/geodesic_acceleration.h"
#include "curvopt/optim/descent/momentum_descent.h"
#include "option_list.h"

namespace curvopt {

template <class Scalar>
LevenbergMarquardt<Scalar>::LevenbergMarquardt(const Options& options, std::string_view name)
    : LevenbergMarquardt(options, name, build(options, name)) {}

template <class Scalar>
LevenbergMarquardt<Scalar>::LevenbergMarquardt(const Options& options, std::string_view name,
                                               Parts parts)
    : DescentSearchMinimizer<Scalar>(std::string(name), std::move(parts.descent),
                                     std::move(parts.search), loop_options(options)),
      options_(options),
      base_(parts.base),
      damping_(parts.damping) {}

template <class Scalar>
typename LevenbergMarquardt<Scalar>::Parts LevenbergMarquardt<Scalar>::build(
    const Options& options, std::string_view name) {
  throw_if_invalid(options);
  Parts parts;
  auto base = std::make_unique<DampedGaussNewtonDescent<Scalar>>(
      DampedGaussNewtonOptions{.form = options.form,
                               .curvature = options.curvature,
                               .memory_budget_bytes = options.memory_budget_bytes,
                               .damping_matrix = options.damping_matrix,
                               .initial_diagonal = options.initial_diagonal,
                               .min_diagonal = options.min_diagonal,
                               .cg_max_iterations = options.cg_max_iterations,
                               .cg_tolerance = options.cg_tolerance,
                               .seed = options.seed},
      std::string(name));
  parts.base = base.get();
  parts.descent = std::move(base);
  // Momentum combines the plain step with the previous one; geodesic acceleration then corrects
  // the combined step (the order of Pooladzandi & Zhou's modified LM).
  if (options.momentum)
    parts.descent = std::make_unique<MomentumDescent<Scalar>>(
        std::move(parts.descent), *parts.base,
        MomentumDescentOptions{.step_length = options.momentum_step_length,
                               .cap = options.momentum_cap,
                               .xi = options.momentum_xi});
  if (options.geodesic)
    parts.descent = std::make_unique<GeodesicDescent<Scalar>>(
        std::move(parts.descent), *parts.base,
        GeodesicAccelerationOptions{.h = options.geodesic_h, .ratio = options.geodesic_ratio});
  parts.search = std::make_unique<DampingSearch>(options.damping);
  parts.damping = parts.search.get();
  return parts;
}

template <class Scalar>
DescentSearchOptions LevenbergMarquardt<Scalar>::loop_options(const Options& options) {
  DescentSearchOptions loop{.learning_rate = options.learning_rate,
                            .max_trials = options.max_trials,
                            .gradient_tolerance = options.gradient_tolerance,
                            .function_tolerance = options.function_tolerance,
                            .step_tolerance = options.step_tolerance,
                            .uphill_from_best = options.uphill_from_best,
                            .keep_best = options.keep_best};
  if (options.uphill) loop.uphill = UphillAcceptance{options.uphill_exponent};
  if (options.lr_search) loop.rescue = LearningRateRescue{options.lr_search_grid};
  return loop;
}

template class LevenbergMarquardt<float>;
template class LevenbergMarquardt<double>;

}  // namespace curvopt
