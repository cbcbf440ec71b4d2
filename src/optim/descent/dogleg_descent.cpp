#include "curvopt/optim/descent/dogleg_descent.h"

#include <algorithm>
#include <cmath>

namespace curvopt {

template <class Scalar>
std::string_view DoglegDescent<Scalar>::begin(Problem<Scalar>& problem, Index n) {
  if (!solver_) solver_ = make_gauss_newton_descent<Scalar>(GaussNewtonForm::kParameterSpace);
  problem.require(problem.oracles().contains(Oracle::kGaussNewtonMatrix)
                      ? OracleSet(Oracle::kGaussNewtonMatrix)
                      : OracleSet(Oracle::kJacobian),
                  "dogleg");
  if (ones_.size() != n) {
    ones_ = Vector<Scalar>::Ones(n);
    for (Vector<Scalar>* v : {&gauss_newton_, &cauchy_, &gradient_, &step_}) v->resize(n);
  }
  solver_->times() = {};
  return "parameter-space";
}

template <class Scalar>
bool DoglegDescent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport& report) {
  {
    detail::PhaseTimer timer(report.times.curvature_seconds);
    if (!solver_->prepare(point.problem, point.params)) {
      report.status = StepStatus::kNumericalIssue;
      report.message = "non-finite Jacobian; parameters unchanged";
      return false;
    }
  }
  gradient_ = point.gradient;
  gradient_norm_ = static_cast<double>(gradient_.norm());
  // The Gauss-Newton step; a singular JᵀJ gets the smallest damping that makes it definite
  // enough to factor (relative to its largest diagonal entry), which leaves the step on the
  // range of Jᵀ as the minimum-norm solution would be.
  int iterations = 0;
  const Vector<Scalar>& diagonal = *solver_->jtj_diagonal();
  const double scale = std::max(1.0, static_cast<double>(diagonal.maxCoeff()));
  const Vector<Scalar> minus_g = -gradient_;
  bool solved = solver_->solve(0.0, ones_, minus_g, gauss_newton_, iterations);
  for (double lambda = 1e-12 * scale; (!solved || !gauss_newton_.allFinite()) && lambda < scale;
       lambda *= 100)
    solved = solver_->solve(lambda, ones_, minus_g, gauss_newton_, iterations);
  if (!solved || !gauss_newton_.allFinite()) {
    report.status = StepStatus::kNumericalIssue;
    report.message = "the Gauss-Newton system could not be solved; parameters unchanged";
    return false;
  }
  // The Cauchy point: the model's minimum along −g.
  const double gBg = solver_->jacobian_norm_squared(gradient_);
  const double alpha = gBg > 0 ? gradient_norm_ * gradient_norm_ / gBg : 0.0;
  cauchy_ = static_cast<Scalar>(-alpha) * gradient_;
  return true;
}

template <class Scalar>
DescentResult DoglegDescent<Scalar>::step(double radius, VectorRef<Scalar> step) {
  const double gn_norm = static_cast<double>(gauss_newton_.norm());
  const double cauchy_norm = static_cast<double>(cauchy_.norm());
  if (gn_norm <= radius) {
    step_ = gauss_newton_;
  } else if (cauchy_norm >= radius || gradient_norm_ == 0) {
    step_ = gradient_norm_ > 0
                ? Vector<Scalar>(static_cast<Scalar>(-radius / gradient_norm_) * gradient_)
                : Vector<Scalar>::Zero(gradient_.size());
  } else {
    // ‖s_c + τ(s_gn − s_c)‖ = Δ for τ ∈ (0, 1]: the positive root of a quadratic.
    const Vector<Scalar> d = gauss_newton_ - cauchy_;
    const double a = static_cast<double>(d.squaredNorm());
    const double b = 2 * static_cast<double>(cauchy_.dot(d));
    const double c = cauchy_norm * cauchy_norm - radius * radius;  // < 0 here
    const double root = std::sqrt(std::max(0.0, b * b - 4 * a * c));
    // The stable form of the positive root: −2c/(b + root) when b ≥ 0.
    const double tau = b >= 0 ? -2 * c / (b + root) : (-b + root) / (2 * a);
    step_ = cauchy_ + static_cast<Scalar>(std::clamp(tau, 0.0, 1.0)) * d;
  }
  step = step_;
  return {};
}

template <class Scalar>
double DoglegDescent<Scalar>::curvature(ConstVectorRef<Scalar> s) {
  return solver_->jacobian_norm_squared(s);
}

template <class Scalar>
void DoglegDescent<Scalar>::report_times(StepTimes& times) const {
  const StepTimes& phases = solver_->times();
  times.jacobian_seconds = phases.jacobian_seconds;
  times.matrix_seconds = phases.matrix_seconds;
  times.factorization_seconds = phases.factorization_seconds;
}

template class DoglegDescent<float>;
template class DoglegDescent<double>;

}  // namespace curvopt
