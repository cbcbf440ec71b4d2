#include "curvopt/problem/curvature_rows_problem.h"

#include <cmath>
#include <cstring>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

void check_size(const char* what, Index received, Index expected) {
  if (received != expected)
    throw ShapeError(std::string("CurvatureRowsProblem::") + what + ": size " +
                     std::to_string(received) + ", expected " + std::to_string(expected));
}

}  // namespace

template <class Scalar>
CurvatureRowsProblem<Scalar>::CurvatureRowsProblem(Problem<Scalar>& inner, CurvatureRows rows,
                                                   std::uint64_t seed)
    : inner_(&inner), rows_(rows), seed_(seed), inner_version_(inner.data_version()) {
  inner.require(Oracle::kValue | Oracle::kGradient |
                    (rows == CurvatureRows::kEmpiricalFisher ? Oracle::kPerExampleGradients
                                                             : Oracle::kSampledGaussNewton),
                rows == CurvatureRows::kEmpiricalFisher ? "curvature = empirical-fisher"
                                                        : "curvature = sampled-gauss-newton");
}

template <class Scalar>
OracleSet CurvatureRowsProblem<Scalar>::oracles() const {
  const OracleSet common = Oracle::kValue | Oracle::kGradient | Oracle::kJacobian | Oracle::kJvp |
                           Oracle::kVjp | Oracle::kGram | Oracle::kGgnProduct;
  if (rows_ == CurvatureRows::kSampledGaussNewton) return common;
  return common | Oracle::kResiduals | Oracle::kPerExampleGradients;
}

template <class Scalar>
void CurvatureRowsProblem<Scalar>::set_draw(std::uint64_t draw) {
  if (rows_ != CurvatureRows::kSampledGaussNewton || draw == draw_) return;
  draw_ = draw;
  cached_ = false;
}

template <class Scalar>
Index CurvatureRowsProblem<Scalar>::num_residuals() const {
  return rows_ == CurvatureRows::kEmpiricalFisher ? inner_->batch_size()
                                                  : inner_->num_sampled_gauss_newton_rows();
}

template <class Scalar>
void CurvatureRowsProblem<Scalar>::sync() {
  if (inner_->data_version() != inner_version_) {
    inner_version_ = inner_->data_version();
    cached_ = false;
    this->mark_data_changed();
  }
}

template <class Scalar>
Scalar CurvatureRowsProblem<Scalar>::value(ConstVectorRef<Scalar> params) {
  sync();
  return inner_->value(params);
}

template <class Scalar>
Scalar CurvatureRowsProblem<Scalar>::gradient(ConstVectorRef<Scalar> params,
                                                VectorRef<Scalar> grad) {
  sync();
  return inner_->gradient(params, grad);
}

template <class Scalar>
const Matrix<Scalar>& CurvatureRowsProblem<Scalar>::row_jacobian(
    ConstVectorRef<Scalar> params) {
  sync();
  check_size("params", params.size(), num_parameters());
  const auto bytes = static_cast<std::size_t>(params.size()) * sizeof(Scalar);
  if (cached_ && std::memcmp(cached_params_.data(), params.data(), bytes) == 0) return jacobian_;
  const Index rows = num_residuals();
  if (jacobian_.rows() != rows || jacobian_.cols() != params.size())
    jacobian_.resize(rows, params.size());
  if (rows_ == CurvatureRows::kEmpiricalFisher) {
    inner_->per_example_gradients(params, jacobian_);
    jacobian_ *= static_cast<Scalar>(std::sqrt(static_cast<double>(rows)));
  } else {
    // Draw t from (seed, t), as the other stochastic methods seed their steps: resumable.
    rng_.reseed(seed_ * 0x9E3779B97F4A7C15ull + draw_);
    inner_->sampled_gauss_newton_rows(params, rng_, jacobian_);
  }
  cached_params_ = params;
  cached_ = true;
  return jacobian_;
}

template <class Scalar>
void CurvatureRowsProblem<Scalar>::residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) {
  if (rows_ != CurvatureRows::kEmpiricalFisher)
    throw Error("CurvatureRowsProblem: sampled Gauss-Newton rows have no residual vector");
  sync();
  check_size("params", params.size(), num_parameters());
  check_size("residuals", r.size(), num_residuals());
  r.setConstant(static_cast<Scalar>(1 / std::sqrt(static_cast<double>(num_residuals()))));
}

template <class Scalar>
void CurvatureRowsProblem<Scalar>::jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> J) {
  const Matrix<Scalar>& rows = row_jacobian(params);
  check_size("jacobian rows", J.rows(), rows.rows());
  check_size("jacobian columns", J.cols(), rows.cols());
  J = rows;
}

template <class Scalar>
void CurvatureRowsProblem<Scalar>::jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                                         VectorRef<Scalar> out) {
  const Matrix<Scalar>& rows = row_jacobian(params);
  check_size("jvp input", v.size(), rows.cols());
  check_size("jvp output", out.size(), rows.rows());
  out.noalias() = rows * v;
}

template <class Scalar>
void CurvatureRowsProblem<Scalar>::vjp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> u,
                                         VectorRef<Scalar> out) {
  const Matrix<Scalar>& rows = row_jacobian(params);
  check_size("vjp input", u.size(), rows.rows());
  check_size("vjp output", out.size(), rows.cols());
  out.noalias() = rows.transpose() * u;
}

template <class Scalar>
void CurvatureRowsProblem<Scalar>::gram(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) {
  const Matrix<Scalar>& rows = row_jacobian(params);
  check_size("gram rows", G.rows(), rows.rows());
  check_size("gram columns", G.cols(), rows.rows());
  G.noalias() = rows * rows.transpose();
}

template <class Scalar>
void CurvatureRowsProblem<Scalar>::ggn_vector_product(ConstVectorRef<Scalar> params,
                                                        ConstVectorRef<Scalar> v,
                                                        VectorRef<Scalar> out) {
  const Matrix<Scalar>& rows = row_jacobian(params);
  check_size("ggn_vector_product input", v.size(), rows.cols());
  check_size("ggn_vector_product output", out.size(), rows.cols());
  product_.noalias() = rows * v;
  out.noalias() = rows.transpose() * product_;
}

template <class Scalar>
void CurvatureRowsProblem<Scalar>::per_example_gradients(ConstVectorRef<Scalar> params,
                                                           MatrixRef<Scalar> G) {
  if (rows_ != CurvatureRows::kEmpiricalFisher)
    throw Error("CurvatureRowsProblem: per-example gradients are offered only with the "
                "empirical Fisher");
  sync();
  inner_->per_example_gradients(params, G);
}

template class CurvatureRowsProblem<float>;
template class CurvatureRowsProblem<double>;

}  // namespace curvopt
