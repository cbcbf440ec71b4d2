#include "curvopt/solve/covariance.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>

#include "curvopt/core/errors.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {
namespace {

// The regularized incomplete beta function I_x(a, b) by its continued fraction, evaluated with
// the modified Lentz method (Press et al., Numerical Recipes, §6.4), on the side where it
// converges fast.
double incomplete_beta_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::abs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 300; ++m) {
    const double m2 = 2.0 * m;
    double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    c = 1 + num / c;
    d = 1 / (std::abs(d) < tiny ? tiny : d);
    c = std::abs(c) < tiny ? tiny : c;
    h *= d * c;
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    c = 1 + num / c;
    d = 1 / (std::abs(d) < tiny ? tiny : d);
    c = std::abs(c) < tiny ? tiny : c;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < 1e-15) break;
  }
  return h;
}

double regularized_incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * incomplete_beta_fraction(a, b, x) / a;
  return 1 - front * incomplete_beta_fraction(b, a, 1 - x) / b;
}

double student_t_cdf(double t, double dof) {
  const double tail = 0.5 * regularized_incomplete_beta(dof / 2, 0.5, dof / (dof + t * t));
  return t >= 0 ? 1 - tail : tail;
}

double normal_quantile(double p) {
  // Bisection on the normal CDF ½erfc(−z/√2); accurate to rounding after 200 halvings.
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

double student_t_quantile(double p, double dof) {
  if (!(p > 0 && p < 1)) throw ConfigError("student_t_quantile: p must lie in (0, 1)");
  if (!(dof > 0)) throw ConfigError("student_t_quantile: degrees of freedom must be > 0");
  if (p < 0.5) return -student_t_quantile(1 - p, dof);
  // The CDF is increasing: bracket, then bisect (the quantile is needed a few times per fit).
  double lo = 0, hi = 1;
  while (student_t_cdf(hi, dof) < p && hi < 1e300) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, dof) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

Vector<double> CovarianceResult::confidence_half_widths(double level) const {
  if (!(level > 0 && level < 1))
    throw ConfigError("confidence level = " + format_option_value(level) + ": must lie in (0, 1)");
  const double p = 1 - (1 - level) / 2;
  const double t = degrees_of_freedom > 0
                       ? student_t_quantile(p, static_cast<double>(degrees_of_freedom))
                       : normal_quantile(p);
  return t * standard_errors;
}

CovarianceResult covariance(Problem<double>& problem, ConstVectorRef<double> x,
                            const CovarianceOptions& options) {
  const Index n = problem.num_parameters(), m = problem.num_residuals();
  if (x.size() != n) throw ShapeError("covariance: x has the wrong number of entries");
  if (!(options.min_reciprocal_condition_number >= 0 &&
        options.min_reciprocal_condition_number < 1))
    throw ConfigError("CovarianceOptions::min_reciprocal_condition_number = " +
                      format_option_value(options.min_reciprocal_condition_number) +
                      ": must lie in [0, 1)");
  problem.require(Oracle::kJacobian | Oracle::kResiduals, "covariance");
  std::vector<Index> free;
  for (Index j = 0; j < n; ++j)
    if (std::find(options.fixed.begin(), options.fixed.end(), j) == options.fixed.end())
      free.push_back(j);
  const Index p = static_cast<Index>(free.size());

  CovarianceResult result;
  result.covariance = Matrix<double>::Zero(n, n);
  result.standard_errors = Vector<double>::Zero(n);
  result.degrees_of_freedom = m - p;
  Matrix<double> J(m, n);
  problem.jacobian(x, J);
  Vector<double> r(m);
  problem.residuals(x, r);
  if (!J.allFinite() || !r.allFinite()) {
    result.message = "the residuals or Jacobian at x are not finite";
    return result;
  }
  if (p == 0) {
    result.ok = true;
    result.message = "every parameter is fixed";
    return result;
  }
  Matrix<double> Jf(m, p);
  for (Index k = 0; k < p; ++k) Jf.col(k) = J.col(free[static_cast<std::size_t>(k)]);
  // Eigen-decomposition of JᵀJ rather than a Cholesky: it gives the rank, the condition number
  // and the directions the data leave undetermined, at a cost negligible for curve fits.
  const Matrix<double> JtJ = Jf.transpose() * Jf;
  Eigen::SelfAdjointEigenSolver<Matrix<double>> eigen(JtJ);
  const Vector<double>& values = eigen.eigenvalues();  // ascending
  const double largest = values[p - 1];
  result.reciprocal_condition_number = largest > 0 ? std::max(values[0], 0.0) / largest : 0;
  const double threshold = options.min_reciprocal_condition_number * largest;
  Vector<double> inverse_values(p);
  result.rank = 0;
  for (Index k = 0; k < p; ++k) {
    const bool kept = largest > 0 && values[k] > threshold;
    inverse_values[k] = kept ? 1 / values[k] : 0;
    result.rank += kept ? 1 : 0;
  }
  if (result.rank < p) {
    for (Index k = 0; k < p - result.rank; ++k) {
      Index j = 0;
      eigen.eigenvectors().col(k).cwiseAbs().maxCoeff(&j);
      const Index parameter = free[static_cast<std::size_t>(j)];
      if (std::find(result.unidentifiable.begin(), result.unidentifiable.end(), parameter) ==
          result.unidentifiable.end())
        result.unidentifiable.push_back(parameter);
    }
    std::string names;
    for (Index j : result.unidentifiable)
      names += (names.empty() ? "x[" : ", x[") + std::to_string(j) + "]";
    result.message = "the Jacobian is rank deficient (rank " + std::to_string(result.rank) +
                     " of " + std::to_string(p) + "; reciprocal condition number " +
                     format_option_value(result.reciprocal_condition_number) +
                     "): the data do not determine " + names;
    if (!options.pseudo_inverse_when_rank_deficient) return result;
    result.message += "; the pseudo-inverse is reported";
  }
  const Matrix<double> inverse =
      eigen.eigenvectors() * inverse_values.asDiagonal() * eigen.eigenvectors().transpose();
  if (options.scale_by_residual_variance)
    result.residual_variance =
        result.degrees_of_freedom > 0
            ? r.squaredNorm() / static_cast<double>(result.degrees_of_freedom)
            : std::numeric_limits<double>::quiet_NaN();
  for (Index a = 0; a < p; ++a)
    for (Index b = 0; b < p; ++b)
      result.covariance(free[static_cast<std::size_t>(a)], free[static_cast<std::size_t>(b)]) =
          result.residual_variance * inverse(a, b);
  result.standard_errors = result.covariance.diagonal().cwiseMax(0.0).cwiseSqrt();
  result.ok = std::isfinite(result.residual_variance);
  if (!result.ok) result.message = "no degrees of freedom left to estimate the residual variance";
  return result;
}

}  // namespace curvopt
