#include "curvopt/problem/curvature_rows_problem.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
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
  const bool sampled = rows == CurvatureRows::kSampledGaussNewton;
  inner.require(Oracle::kValue | Oracle::kGradient |
                    (sampled ? Oracle::kSampledGaussNewton : Oracle::kPerExampleGradients),
                rows == CurvatureRows::kEmpiricalFisher ? "curvature = empirical-fisher"
                : sampled                               ? "curvature = sampled-gauss-newton"
                                                        : "curvature = root-loss");
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
  return rows_ == CurvatureRows::kSampledGaussNewton ? inner_->num_sampled_gauss_newton_rows()
                                                     : inner_->batch_size();
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
const Matrix<Scalar>& CurvatureRowsProblem<Scalar>::row_jacobian(ConstVectorRef<Scalar> params) {
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
  } else if (rows_ == CurvatureRows::kRootLoss) {
    inner_->per_example_gradients(params, jacobian_);
    root_residuals_.resize(rows);
    root_loss_residuals(params, root_residuals_);
    for (Index s = 0; s < rows; ++s) {
      // d√(2fₛ) = gₛ/√(2fₛ); at fₛ = 0 the root has no derivative and the example no curvature.
      // A NaN residual makes a NaN row, for the descent to refuse.
      const Scalar r = root_residuals_(s);
      if (r > 0 || std::isnan(r))
        jacobian_.row(s) /= r;
      else
        jacobian_.row(s).setZero();
    }
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
void CurvatureRowsProblem<Scalar>::root_loss_residuals(ConstVectorRef<Scalar> params,
                                                       VectorRef<Scalar> r) {
  example_losses_.resize(r.size());
  inner_->per_example_losses(params, example_losses_);
  for (Index s = 0; s < r.size(); ++s) {
    const Scalar f = example_losses_(s);
    // A NaN loss passes through as a NaN residual, which the descent refuses as a numerical
    // issue with θ untouched. Rounding can leave a zero loss a hair below 0; a truly negative
    // one has no root: the loss is not a sum of squares.
    if (std::isnan(f)) {
      r(s) = f;
      continue;
    }
    if (f < -std::numeric_limits<Scalar>::epsilon()) {
      std::string message = "curvature = root-loss: example ";
      message += std::to_string(s);
      message += " has loss ";
      message += std::to_string(static_cast<double>(f));
      message += "; the rows need non-negative per-example losses";
      throw ValueError(message);
    }
    r(s) = std::sqrt(Scalar(2) * std::max(f, Scalar(0)));
  }
}

template <class Scalar>
void CurvatureRowsProblem<Scalar>::residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) {
  if (rows_ == CurvatureRows::kSampledGaussNewton)
    throw Error("CurvatureRowsProblem: sampled Gauss-Newton rows have no residual vector");
  sync();
  check_size("params", params.size(), num_parameters());
  check_size("residuals", r.size(), num_residuals());
  if (rows_ == CurvatureRows::kRootLoss) {
    root_loss_residuals(params, r);
    return;
  }
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
  if (rows_ == CurvatureRows::kSampledGaussNewton)
    throw Error(
        "CurvatureRowsProblem: per-example gradients are not offered with sampled "
        "Gauss-Newton rows");
  sync();
  inner_->per_example_gradients(params, G);
}

template <class Scalar>
void CurvatureRowsProblem<Scalar>::per_example_losses(ConstVectorRef<Scalar> params,
                                                      VectorRef<Scalar> out) {
  if (rows_ == CurvatureRows::kSampledGaussNewton)
    throw Error(
        "CurvatureRowsProblem: per-example losses are not offered with sampled "
        "Gauss-Newton rows");
  sync();
  inner_->per_example_losses(params, out);
}

template class CurvatureRowsProblem<float>;
template class CurvatureRowsProblem<double>;

}  // namespace curvopt
