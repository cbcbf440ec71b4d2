#include "scaled_bounded_problem.h"

#include <algorithm>
#include <cmath>

namespace curvopt::detail {

ScaledBoundedProblem::ScaledBoundedProblem(Problem<double>& inner, Vector<double> scale,
                                           Vector<double> lower, Vector<double> upper)
    : inner_(inner), scale_(std::move(scale)), lower_(std::move(lower)), upper_(std::move(upper)) {
  const Index n = inner_.num_parameters();
  x_.resize(n);
  gradient_x_.resize(n);
  free_ = Vector<double>::Ones(n);
  v_.resize(n);
}

OracleSet ScaledBoundedProblem::oracles() const {
  const OracleSet in = inner_.oracles();
  OracleSet out = Oracle::kValue | Oracle::kGradient;
  for (Oracle o : {Oracle::kResiduals, Oracle::kJacobian, Oracle::kJvp, Oracle::kVjp,
                   Oracle::kGaussNewtonMatrix})
    if (in.contains(o)) out = out | o;
  if (in.contains(Oracle::kJacobian)) out = out | Oracle::kGram;
  if (in.contains(Oracle::kJvp | Oracle::kVjp)) out = out | Oracle::kGgnProduct;
  return out;
}

void ScaledBoundedProblem::to_x(ConstVectorRef<double> u, VectorRef<double> x) const {
  x = scale_.cwiseProduct(u);
  if (bounded()) x = x.cwiseMax(lower_).cwiseMin(upper_);
}

void ScaledBoundedProblem::to_u(ConstVectorRef<double> x, VectorRef<double> u) const {
  u = x.cwiseQuotient(scale_);
}

void ScaledBoundedProblem::map(ConstVectorRef<double> u) { to_x(u, x_); }

void ScaledBoundedProblem::update_active_set(ConstVectorRef<double> u) {
  map(u);
  if (gradient_point_.size() == x_.size() &&
      std::equal(x_.data(), x_.data() + x_.size(), gradient_point_.data()))
    return;
  ++num_gradient_calls_;
  gradient_cost_ = inner_.gradient(x_, gradient_x_);
  gradient_point_ = x_;
  free_.setOnes();
  if (!bounded()) return;
  for (Index j = 0; j < x_.size(); ++j) {
    const bool held_low = x_[j] <= lower_[j] && gradient_x_[j] > 0;
    const bool held_high = x_[j] >= upper_[j] && gradient_x_[j] < 0;
    if (held_low || held_high) free_[j] = 0;
  }
}

void ScaledBoundedProblem::scale_free(ConstVectorRef<double> v, VectorRef<double> out) const {
  out = v.cwiseProduct(scale_).cwiseProduct(free_);
}

double ScaledBoundedProblem::projected_gradient_max_norm() const {
  if (!bounded()) return gradient_x_.lpNorm<Eigen::Infinity>();
  const Vector<double> moved = (gradient_point_ - gradient_x_).cwiseMax(lower_).cwiseMin(upper_);
  return (gradient_point_ - moved).lpNorm<Eigen::Infinity>();
}

double ScaledBoundedProblem::gradient_cosine() {
  if (!inner_.oracles().contains(Oracle::kJacobian)) return projected_gradient_max_norm();
  projected_ = gradient_x_;
  if (bounded())
    projected_ =
        gradient_point_ - (gradient_point_ - gradient_x_).cwiseMax(lower_).cwiseMin(upper_);
  const double residual_norm = std::sqrt(2 * std::max(gradient_cost_, 0.0));
  if (residual_norm == 0) return 0;  // an exact fit
  J_.resize(inner_.num_residuals(), inner_.num_parameters());
  inner_.jacobian(gradient_point_, J_);  // the point's Jacobian: cached by a LeastSquaresProblem
  double cosine = 0;
  for (Index j = 0; j < J_.cols(); ++j) {
    const double column = J_.col(j).norm();
    if (column > 0) cosine = std::max(cosine, std::abs(projected_[j]) / (column * residual_norm));
  }
  return cosine;
}

double ScaledBoundedProblem::value(ConstVectorRef<double> u) {
  map(u);
  ++num_value_calls_;
  return inner_.value(x_);
}

double ScaledBoundedProblem::gradient(ConstVectorRef<double> u, VectorRef<double> grad) {
  update_active_set(u);
  scale_free(gradient_x_, grad);
  return gradient_cost_;
}

void ScaledBoundedProblem::residuals(ConstVectorRef<double> u, VectorRef<double> r) {
  map(u);
  inner_.residuals(x_, r);
}

void ScaledBoundedProblem::jacobian(ConstVectorRef<double> u, MatrixRef<double> J) {
  update_active_set(u);
  inner_.jacobian(x_, J);
  v_ = scale_.cwiseProduct(free_);
  J = J * v_.asDiagonal();
}

void ScaledBoundedProblem::jvp(ConstVectorRef<double> u, ConstVectorRef<double> v,
                               VectorRef<double> out) {
  update_active_set(u);
  scale_free(v, v_);
  inner_.jvp(x_, v_, out);
}

void ScaledBoundedProblem::vjp(ConstVectorRef<double> u, ConstVectorRef<double> w,
                               VectorRef<double> out) {
  update_active_set(u);
  inner_.vjp(x_, w, out);
  out = out.cwiseProduct(scale_).cwiseProduct(free_);
}

void ScaledBoundedProblem::gram(ConstVectorRef<double> u, MatrixRef<double> G) {
  J_.resize(inner_.num_residuals(), inner_.num_parameters());
  jacobian(u, J_);
  G.noalias() = J_ * J_.transpose();
}

void ScaledBoundedProblem::ggn_vector_product(ConstVectorRef<double> u, ConstVectorRef<double> v,
                                              VectorRef<double> out) {
  w_.resize(inner_.num_residuals());
  jvp(u, v, w_);
  vjp(u, w_, out);
}

void ScaledBoundedProblem::gauss_newton_matrix(ConstVectorRef<double> u, MatrixRef<double> JtJ) {
  update_active_set(u);
  inner_.gauss_newton_matrix(x_, JtJ);
  v_ = scale_.cwiseProduct(free_);
  for (Index j = 0; j < JtJ.cols(); ++j)
    for (Index i = j; i < JtJ.rows(); ++i) JtJ(i, j) *= v_[i] * v_[j];
}

}  // namespace curvopt::detail
