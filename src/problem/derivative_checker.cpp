#include "curvopt/problem/derivative_checker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

/// max |a − b| / max(1, max |b|).
template <class A, class B>
double relative_error(const A& a, const B& b) {
  if (a.size() == 0) return 0.0;
  const double scale = std::max(1.0, b.template cast<double>().cwiseAbs().maxCoeff());
  return (a.template cast<double>() - b.template cast<double>()).cwiseAbs().maxCoeff() / scale;
}

}  // namespace

std::optional<std::string> DerivativeCheckOptions::validate() const {
  auto bad = [](const char* field, double value, const char* rule) {
    std::ostringstream out;
    out << "DerivativeCheckOptions::" << field << " = " << value << ": must be " << rule;
    return std::optional<std::string>(out.str());
  };
  if (!(relative_step >= 0 && std::isfinite(relative_step)))
    return bad("relative_step", relative_step, ">= 0 and finite");
  if (max_coordinates < 0) return bad("max_coordinates", double(max_coordinates), ">= 0");
  if (num_directions < 0) return bad("num_directions", double(num_directions), ">= 0");
  if (!(tolerance >= 0 && std::isfinite(tolerance)))
    return bad("tolerance", tolerance, ">= 0 and finite");
  return std::nullopt;
}

namespace {

/// Column by column: J's columns against central differences of the residuals; the largest
/// relative error, and the worst entries in the log.
template <class Scalar>
double check_jacobian_columns(Problem<Scalar>& problem, const Vector<Scalar>& theta, Index count,
                              double rel_step, double tolerance, std::ostringstream& log) {
  const Index n = problem.num_parameters(), m = problem.num_residuals();
  Matrix<Scalar> J(m, n);
  problem.jacobian(theta, J);
  Vector<Scalar> probe = theta, rp(m), rm(m);
  double worst = 0;
  int reported = 0;
  for (Index c = 0; c < count; ++c) {
    const Index j = count == n ? c : c * n / count;
    const double h = rel_step * std::max(1.0, std::abs(double(theta[j])));
    probe[j] = static_cast<Scalar>(double(theta[j]) + h);
    problem.residuals(probe, rp);
    probe[j] = static_cast<Scalar>(double(theta[j]) - h);
    problem.residuals(probe, rm);
    const double taken = double(static_cast<Scalar>(double(theta[j]) + h)) -
                         double(static_cast<Scalar>(double(theta[j]) - h));
    probe[j] = theta[j];
    const Eigen::VectorXd numeric = (rp - rm).template cast<double>() / taken;
    const double error = relative_error(J.col(j), numeric);
    worst = std::max(worst, error);
    if (error > tolerance && reported < 20) {
      Index i = 0;
      (J.col(j).template cast<double>() - numeric).cwiseAbs().maxCoeff(&i);
      log << "jacobian(" << i << ", " << j << "): analytic " << J(i, j) << ", finite difference "
          << numeric[i] << "\n";
      ++reported;
    }
  }
  log << "Jacobian: " << count << " of " << n << " columns, max relative error " << worst << "\n";
  return worst;
}

template <class Scalar>
DerivativeCheckReport check_problem(Problem<Scalar>& objective, ConstVectorRef<Scalar> params,
                                    const DerivativeCheckOptions& options, bool exact_residuals,
                                    bool by_columns) {
  if (auto problem = options.validate()) throw ConfigError(*problem);
  using Vec = Vector<Scalar>;
  const Index n = objective.num_parameters();
  const double rel_step = options.relative_step > 0
                              ? options.relative_step
                              : std::cbrt(double(std::numeric_limits<Scalar>::epsilon()));
  DerivativeCheckReport report;
  report.tolerance =
      options.tolerance > 0 ? options.tolerance : (std::is_same_v<Scalar, float> ? 2e-2 : 1e-5);
  std::ostringstream log;
  const Vec theta = params;

  // Gradient, coordinate by coordinate.
  Vec grad(n);
  objective.gradient(theta, grad);
  const Index count = options.max_coordinates == 0 ? n : std::min(n, options.max_coordinates);
  Eigen::VectorXd analytic(count), numeric(count);
  Vec probe = theta;
  int reported = 0;
  for (Index c = 0; c < count; ++c) {
    const Index i = count == n ? c : c * n / count;
    const double h = rel_step * std::max(1.0, std::abs(double(theta[i])));
    probe[i] = static_cast<Scalar>(double(theta[i]) + h);
    const double up = objective.value(probe);
    probe[i] = static_cast<Scalar>(double(theta[i]) - h);
    const double down = objective.value(probe);
    // Divide by the step actually taken after rounding to Scalar.
    const double taken = double(static_cast<Scalar>(double(theta[i]) + h)) -
                         double(static_cast<Scalar>(double(theta[i]) - h));
    probe[i] = theta[i];
    analytic[c] = grad[i];
    numeric[c] = (up - down) / taken;
  }
  report.gradient_error = relative_error(analytic, numeric);
  const double grad_scale = std::max(1.0, numeric.cwiseAbs().maxCoeff());
  for (Index c = 0; c < count && reported < 20; ++c) {
    if (std::abs(analytic[c] - numeric[c]) / grad_scale > report.tolerance) {
      const Index i = count == n ? c : c * n / count;
      log << "gradient[" << i << "]: analytic " << analytic[c] << ", finite difference "
          << numeric[c] << "\n";
      ++reported;
    }
  }
  log << "gradient: " << count << " of " << n << " coordinates, max relative error "
      << report.gradient_error << "\n";

  // Hessian-vector products and, for exact residuals, Jacobian-vector products.
  Rng rng(options.seed);
  const OracleSet oracles = objective.oracles();
  const bool hessian = oracles.contains(Oracle::kHessianProduct);
  const bool columns =
      by_columns && exact_residuals && oracles.contains(Oracle::kJacobian | Oracle::kResiduals);
  const bool products =
      exact_residuals && !columns && oracles.contains(Oracle::kJvp | Oracle::kResiduals);
  if (columns)
    report.jacobian_error =
        check_jacobian_columns(objective, theta, count, rel_step, report.tolerance, log);
  if (products) report.jacobian_error = 0.0;
  const Index m = objective.num_residuals();
  Vec v(n), hv(n), gp(n), gm(n), jv(m), rp(m), rm(m);
  for (Index d = 0; d < options.num_directions; ++d) {
    for (Index i = 0; i < n; ++i) v[i] = static_cast<Scalar>(rng.normal());
    v /= static_cast<Scalar>(std::max(1.0, double(v.norm())));
    const double h = rel_step * std::max(1.0, double(theta.cwiseAbs().maxCoeff()));
    const Vec plus = theta + static_cast<Scalar>(h) * v, minus = theta - static_cast<Scalar>(h) * v;
    if (hessian) {
      objective.hessian_vector_product(theta, v, hv);
      objective.gradient(plus, gp);
      objective.gradient(minus, gm);
      const Eigen::VectorXd hv_fd = (gp - gm).template cast<double>() / (2 * h);
      report.hessian_error = std::max(report.hessian_error, relative_error(hv, hv_fd));
    }
    if (products) {
      objective.jvp(theta, v, jv);
      objective.residuals(plus, rp);
      objective.residuals(minus, rm);
      const Eigen::VectorXd jv_fd = (rp - rm).template cast<double>() / (2 * h);
      report.jacobian_error = std::max(*report.jacobian_error, relative_error(jv, jv_fd));
    }
  }
  if (hessian)
    log << "Hessian-vector: " << options.num_directions << " directions, max relative error "
        << report.hessian_error << "\n";
  if (products)
    log << "Jacobian-vector: " << options.num_directions << " directions, max relative error "
        << *report.jacobian_error << "\n";
  report.passed = report.gradient_error <= report.tolerance &&
                  report.hessian_error <= report.tolerance &&
                  report.jacobian_error.value_or(0.0) <= report.tolerance;
  report.log = log.str();
  return report;
}

}  // namespace

template <class Scalar>
DerivativeCheckReport check_derivatives(Objective<Scalar>& objective,
                                        std::type_identity_t<ConstVectorRef<Scalar>> params,
                                        const DerivativeCheckOptions& options) {
  return check_problem<Scalar>(objective, params, options,
                               options.check_jacobian && objective.loss().residuals_are_exact(),
                               /*by_columns=*/false);
}

template <class Scalar>
DerivativeCheckReport check_derivatives(Problem<Scalar>& problem,
                                        std::type_identity_t<ConstVectorRef<Scalar>> params,
                                        const DerivativeCheckOptions& options) {
  return check_problem<Scalar>(problem, params, options, options.check_jacobian,
                               /*by_columns=*/true);
}

template DerivativeCheckReport check_derivatives<float>(Objective<float>&, ConstVectorRef<float>,
                                                        const DerivativeCheckOptions&);
template DerivativeCheckReport check_derivatives<double>(Objective<double>&, ConstVectorRef<double>,
                                                         const DerivativeCheckOptions&);
template DerivativeCheckReport check_derivatives<float>(Problem<float>&, ConstVectorRef<float>,
                                                        const DerivativeCheckOptions&);
template DerivativeCheckReport check_derivatives<double>(Problem<double>&, ConstVectorRef<double>,
                                                         const DerivativeCheckOptions&);

}  // namespace curvopt
