#pragma once
/// The covariance of a least-squares estimate and the standard errors and confidence intervals
/// of its parameters, from the Jacobian at the solution.

#include <optional>
#include <string>
#include <vector>

#include "curvopt/core/types.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

struct CovarianceOptions {
  /// Eigenvalues of JᵀJ below this times the largest count as zero: the Jacobian is then rank
  /// deficient. Default 1e-14 (Ceres' min_reciprocal_condition_number).
  double min_reciprocal_condition_number = 1e-14;
  /// Multiply (JᵀJ)⁻¹ by the residual variance σ̂² = 2·cost/(m − p), p the free parameters: right
  /// when the residuals are not divided by their standard deviations (SciPy's curve_fit default,
  /// absolute_sigma = False). Off: (JᵀJ)⁻¹ itself, right when each residual is (y − model)/σᵢ
  /// with known σᵢ (Ceres' Covariance, absolute_sigma = True). Default on.
  bool scale_by_residual_variance = true;
  /// When rank deficient, return the Moore-Penrose pseudo-inverse instead of failing.
  bool pseudo_inverse_when_rank_deficient = false;
  /// Parameters held fixed (at an active bound, say): their rows and columns are zero and they
  /// do not count as free.
  std::vector<Index> fixed;
};

struct CovarianceResult {
  bool ok = false;
  /// Why not ok, or a note (rank deficient, pseudo-inverse used).
  std::string message;
  Matrix<double> covariance;               ///< n × n
  Vector<double> standard_errors;          ///< √diag
  Index rank = 0;                          ///< of J over the free parameters
  double reciprocal_condition_number = 0;  ///< smallest / largest eigenvalue of JᵀJ
  double residual_variance = 1;            ///< σ̂² applied (1 when not scaled)
  Index degrees_of_freedom = 0;            ///< m − free parameters
  /// Parameters the data do not determine (largest entries of the null-space directions).
  std::vector<Index> unidentifiable;

  /// Half-widths of the two-sided confidence intervals at `level` (0.95): t·se with the
  /// Student-t quantile on degrees_of_freedom (the normal one when it is 0).
  Vector<double> confidence_half_widths(double level) const;
};

/// The covariance at x (a solution of problem, which needs the jacobian oracle; its residuals
/// give the cost). Throws ConfigError on invalid options, ShapeError on a wrong-sized x.
CovarianceResult covariance(Problem<double>& problem, ConstVectorRef<double> x,
                            const CovarianceOptions& options = {});

/// The p-quantile of Student's t distribution with ν > 0 degrees of freedom (0 < p < 1).
double student_t_quantile(double p, double dof);

}  // namespace curvopt
