#pragma once
/// Checks a Problem's derivatives against central finite differences, as Ceres' GradientChecker
/// does: for a user's own model or residual functions, or as a debugging switch of a solver.

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

#include "curvopt/problem/objective.h"

namespace curvopt {

struct DerivativeCheckOptions {
  /// Relative step h_i = relative_step · max(1, |θ_i|); 0 picks eps^(1/3) of the scalar type,
  /// the step that balances truncation and rounding error of central differences.
  double relative_step = 0.0;
  /// Gradient coordinates checked, spread evenly over the parameter vector; 0 checks all.
  Index max_coordinates = 200;
  /// Random directions for the Hessian-vector and Jacobian-vector checks, >= 0.
  Index num_directions = 2;
  /// Largest accepted error, relative to max(1, largest reference magnitude); 0 picks 1e-5 for
  /// double and 2e-2 for float.
  double tolerance = 0.0;
  /// Seed of the random directions.
  std::uint64_t seed = 0;
  /// Check the Jacobian (or J v) against differences of the residuals where the problem has
  /// those oracles. Turn off for residuals that are not what J differentiates (robust-loss
  /// blocks, whose corrected residuals only reproduce the cost's gradient). Default on.
  bool check_jacobian = true;

  /// The first invalid field as "DerivativeCheckOptions::field = value: must be ...".
  std::optional<std::string> validate() const;
};

struct DerivativeCheckReport {
  double gradient_error = 0.0;  ///< gradient vs differences of the value
  /// Hessian-vector products vs differences of the gradient (0 when the problem has none)
  double hessian_error = 0.0;
  /// J (column by column, with the explicit Jacobian) or J v vs differences of the residuals;
  /// only where the residuals are exact (squared error, a LeastSquaresProblem without robust
  /// losses), so that J is the derivative of the residual vector.
  std::optional<double> jacobian_error;
  double tolerance = 0.0;
  bool passed = false;
  /// One line per check, and one per gradient coordinate over the tolerance (at most 20).
  std::string log;
};

/// Runs the checks at `params` on the objective's current batch. Throws ConfigError on invalid
/// options. (The parameter vector's type is not deduced, so any Eigen vector is accepted.)
template <class Scalar>
DerivativeCheckReport check_derivatives(Objective<Scalar>& objective,
                                        std::type_identity_t<ConstVectorRef<Scalar>> params,
                                        const DerivativeCheckOptions& options = {});

/// The same for any Problem: the gradient always, Hessian-vector products where the problem
/// lists them, and the Jacobian where it lists the jacobian or jvp oracle and
/// options.check_jacobian holds (its residuals are then taken to be exact).
template <class Scalar>
DerivativeCheckReport check_derivatives(Problem<Scalar>& problem,
                                        std::type_identity_t<ConstVectorRef<Scalar>> params,
                                        const DerivativeCheckOptions& options = {});

extern template DerivativeCheckReport check_derivatives<float>(Objective<float>&,
                                                               ConstVectorRef<float>,
                                                               const DerivativeCheckOptions&);
extern template DerivativeCheckReport check_derivatives<double>(Objective<double>&,
                                                                ConstVectorRef<double>,
                                                                const DerivativeCheckOptions&);
extern template DerivativeCheckReport check_derivatives<float>(Problem<float>&,
                                                               ConstVectorRef<float>,
                                                               const DerivativeCheckOptions&);
extern template DerivativeCheckReport check_derivatives<double>(Problem<double>&,
                                                                ConstVectorRef<double>,
                                                                const DerivativeCheckOptions&);

}  // namespace curvopt
