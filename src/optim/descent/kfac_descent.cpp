#include "curvopt/optim/descent/kfac_descent.h"

#include <algorithm>
#include <cmath>

#include "../option_list.h"

namespace curvopt {

std::optional<std::string> KfacDescentOptions::validate() const {
  const char* o = "KfacDescentOptions";
  std::optional<std::string> stats, inverse, momentum_cap;
  if (statistics_period < 1)
    stats = out_of_range(o, "statistics_period", statistics_period, ">= 1");
  if (inverse_period < 1) inverse = out_of_range(o, "inverse_period", inverse_period, ">= 1");
  if (!(max_momentum >= 0)) momentum_cap = out_of_range(o, "max_momentum", max_momentum, ">= 0");
  std::optional<std::string> constraint;
  if (!(norm_constraint > 0))
    constraint = out_of_range(o, "norm_constraint", norm_constraint, "> 0 (inf = off)");
  std::optional<std::string> decay;
  if (!(weight_decay >= 0) || !std::isfinite(weight_decay))
    decay = out_of_range(o, "weight_decay", weight_decay, "finite and >= 0");
  return first_error({curvature.validate(), stats, inverse, momentum_cap, constraint, decay});
}

template <class Scalar>
KfacDescent<Scalar>::KfacDescent(const KfacDescentOptions& options)
    : options_((throw_if_invalid(options), options)), curvature_(options.curvature) {}

template <class Scalar>
std::string_view KfacDescent<Scalar>::begin(Problem<Scalar>&, Index n) {
  if (step_.size() != n) {
    basis_.resize(n, 2);
    products_matrix_.resize(n, 2);
    step_.resize(n);
  }
  times_ = {};
  products_ = 0;
  return {};
}

// The once-per-point work: the statistics when due, and whether the inverses are.
template <class Scalar>
bool KfacDescent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport& report) {
  point_ = &point;
  direction_ready_ = false;
  use_previous_ = options_.momentum && point.previous_step != nullptr;
  if (steps_ % options_.statistics_period == 0 || !curvature_.has_statistics()) {
    detail::PhaseTimer timer(times_.curvature_seconds);
    if (!curvature_.update(point.problem, point.params)) {
      report.status = StepStatus::kNumericalIssue;
      report.message = "non-finite K-FAC statistics; parameters unchanged";
      return false;
    }
  }
  inverse_due_ = !curvature_.has_inverses() || steps_ % options_.inverse_period == 0;
  return true;
}

template <class Scalar>
bool KfacDescent<Scalar>::direction(double lambda) {
  if (inverse_due_) {
    detail::PhaseTimer timer(times_.factorization_seconds);
    // A failed refresh keeps the previous inverses, stale but positive definite.
    if (!curvature_.invert(std::sqrt(lambda + options_.weight_decay), &point_->problem) &&
        !curvature_.has_inverses())
      return false;
    inverse_due_ = false;
  }
  const DescentPoint<Scalar>& p = *point_;
  curvature_.precondition(p.gradient, basis_.col(0));
  basis_.col(0) = -basis_.col(0);
  // With momentum the product always has two columns (δ₀ = 0 before the first accepted step),
  // so that the problem's column passes are sized on the first step, not the second.
  const Index k = options_.momentum ? 2 : 1;
  if (use_previous_)
    basis_.col(1) = *p.previous_step;
  else if (options_.momentum)
    basis_.col(1).setZero();
  {
    detail::PhaseTimer timer(times_.curvature_seconds);
    p.problem.ggn_matrix_product(p.params, basis_.leftCols(k), products_matrix_.leftCols(k));
    products_ += static_cast<int>(k);
  }
  const auto delta = basis_.col(0);
  const auto f_delta = products_matrix_.col(0);
  fdd_ = static_cast<double>(delta.dot(f_delta));
  dd_ = static_cast<double>(delta.squaredNorm());
  gd_ = static_cast<double>(p.gradient.dot(delta));
  if (use_previous_) {
    const auto prev = basis_.col(1);
    fdp_ = static_cast<double>(prev.dot(f_delta));
    fpp_ = static_cast<double>(prev.dot(products_matrix_.col(1)));
    dp_ = static_cast<double>(delta.dot(prev));
    pp_ = static_cast<double>(prev.squaredNorm());
    gp_ = static_cast<double>(p.gradient.dot(prev));
  }
  const bool finite = std::isfinite(fdd_) && std::isfinite(dd_) && std::isfinite(gd_) &&
                      std::isfinite(fdp_) && std::isfinite(fpp_) && std::isfinite(dp_) &&
                      std::isfinite(pp_) && std::isfinite(gp_);
  direction_ready_ = finite;
  return finite;
}

// α and μ from the damped quadratic model for this λ; the inverse and the products are λ's
// only through γ, fixed at the last refresh, so further trials reuse them.
template <class Scalar>
DescentResult KfacDescent<Scalar>::step(double lambda, VectorRef<Scalar> step) {
  if (!direction_ready_ && !direction(lambda))
    return {.ok = false, .message = "non-finite K-FAC direction or curvature product"};
  lambda_ = lambda;
  const double m11 = fdd_ + lambda * dd_;
  if (!(m11 > 0)) return {.ok = false, .message = "the quadratic model has no curvature along Δ"};
  alpha_ = -gd_ / m11;
  mu_ = 0;
  if (use_previous_) {
    const double m12 = fdp_ + lambda * dp_, m22 = fpp_ + lambda * pp_;
    const double det = m11 * m22 - m12 * m12;
    // Positive definite with some margin; otherwise Δ alone (δ₀ nearly parallel to Δ).
    if (m22 > 0 && det > 1e-12 * m11 * m22) {
      alpha_ = -(m22 * gd_ - m12 * gp_) / det;
      mu_ = -(m11 * gp_ - m12 * gd_) / det;
      if (std::isfinite(options_.max_momentum) && !(mu_ >= 0 && mu_ <= options_.max_momentum)) {
        mu_ = std::clamp(mu_, 0.0, options_.max_momentum);
        alpha_ = -(gd_ + mu_ * m12) / m11;  // the best α for that μ
      }
    }
  }
  if (std::isfinite(options_.norm_constraint)) {
    // δᵀFδ of δ = αΔ + μδ₀, undamped, from the same products.
    const double q = alpha_ * alpha_ * fdd_ + 2 * alpha_ * mu_ * fdp_ + mu_ * mu_ * fpp_;
    if (q > options_.norm_constraint) {
      const double scale = std::sqrt(options_.norm_constraint / q);
      alpha_ *= scale;
      mu_ *= scale;
    }
  }
  step = static_cast<Scalar>(alpha_) * basis_.col(0);
  if (mu_ != 0) step += static_cast<Scalar>(mu_) * basis_.col(1);
  step_ = step;
  return {};
}

template <class Scalar>
double KfacDescent<Scalar>::curvature(ConstVectorRef<Scalar>) {
  const double m11 = fdd_ + lambda_ * dd_;
  double c = alpha_ * alpha_ * m11;
  if (mu_ != 0) {
    const double m12 = fdp_ + lambda_ * dp_, m22 = fpp_ + lambda_ * pp_;
    c += 2 * alpha_ * mu_ * m12 + mu_ * mu_ * m22;
  }
  return c;
}

template <class Scalar>
void KfacDescent<Scalar>::report_times(StepTimes& times) const {
  times.curvature_seconds += times_.curvature_seconds;
  times.factorization_seconds += times_.factorization_seconds;
}

template <class Scalar>
void KfacDescent<Scalar>::reset() {
  curvature_.reset();
  steps_ = 0;
  inverse_due_ = true;
  direction_ready_ = false;
}

template <class Scalar>
void KfacDescent<Scalar>::save(OptimizerState& state) const {
  curvature_.save(state);
  state.put("kfac_steps", static_cast<double>(steps_));
}

template <class Scalar>
void KfacDescent<Scalar>::load(const OptimizerState& state, Index n) {
  curvature_.load(state, n);
  steps_ = state.get_count("kfac_steps");
  direction_ready_ = false;
}

template class KfacDescent<float>;
template class KfacDescent<double>;

}  // namespace curvopt
