#include "curvopt/problem/empirical_fisher_problem.h"

#include <cmath>
#include <cstring>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

void check_size(const char* what, Index received, Index expected) {
  if (received != expected)
    throw ShapeError(std::string("EmpiricalFisherProblem::") + what + ": size " +
                     std::to_string(received) + ", expected " + std::to_string(expected));
}

}  // namespace

template <class Scalar>
EmpiricalFisherProblem<Scalar>::EmpiricalFisherProblem(Problem<Scalar>& inner)
    : inner_(&inner), inner_version_(inner.data_version()) {
  inner.require(Oracle::kValue | Oracle::kGradient | Oracle::kPerExampleGradients,
                "EmpiricalFisherProblem");
}

template <class Scalar>
OracleSet EmpiricalFisherProblem<Scalar>::oracles() const {
  return Oracle::kValue | Oracle::kGradient | Oracle::kResiduals | Oracle::kJacobian |
         Oracle::kJvp | Oracle::kVjp | Oracle::kGram | Oracle::kGgnProduct |
         Oracle::kPerExampleGradients;
}

template <class Scalar>
void EmpiricalFisherProblem<Scalar>::sync() {
  if (inner_->data_version() != inner_version_) {
    inner_version_ = inner_->data_version();
    cached_ = false;
    this->mark_data_changed();
  }
}

template <class Scalar>
Scalar EmpiricalFisherProblem<Scalar>::value(ConstVectorRef<Scalar> params) {
  sync();
  return inner_->value(params);
}

template <class Scalar>
Scalar EmpiricalFisherProblem<Scalar>::gradient(ConstVectorRef<Scalar> params,
                                                VectorRef<Scalar> grad) {
  sync();
  return inner_->gradient(params, grad);
}

template <class Scalar>
const Matrix<Scalar>& EmpiricalFisherProblem<Scalar>::fisher_jacobian(
    ConstVectorRef<Scalar> params) {
  sync();
  check_size("params", params.size(), num_parameters());
  const auto bytes = static_cast<std::size_t>(params.size()) * sizeof(Scalar);
  if (cached_ && std::memcmp(cached_params_.data(), params.data(), bytes) == 0) return jacobian_;
  const Index b = batch_size();
  if (jacobian_.rows() != b || jacobian_.cols() != params.size())
    jacobian_.resize(b, params.size());
  inner_->per_example_gradients(params, jacobian_);
  jacobian_ *= static_cast<Scalar>(std::sqrt(static_cast<double>(b)));
  cached_params_ = params;
  cached_ = true;
  return jacobian_;
}

template <class Scalar>
void EmpiricalFisherProblem<Scalar>::residuals(ConstVectorRef<Scalar> params, VectorRef<Scalar> r) {
  sync();
  check_size("params", params.size(), num_parameters());
  check_size("residuals", r.size(), num_residuals());
  r.setConstant(static_cast<Scalar>(1 / std::sqrt(static_cast<double>(num_residuals()))));
}

template <class Scalar>
void EmpiricalFisherProblem<Scalar>::jacobian(ConstVectorRef<Scalar> params, MatrixRef<Scalar> J) {
  const Matrix<Scalar>& fisher = fisher_jacobian(params);
  check_size("jacobian rows", J.rows(), fisher.rows());
  check_size("jacobian columns", J.cols(), fisher.cols());
  J = fisher;
}

template <class Scalar>
void EmpiricalFisherProblem<Scalar>::jvp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> v,
                                         VectorRef<Scalar> out) {
  const Matrix<Scalar>& fisher = fisher_jacobian(params);
  check_size("jvp input", v.size(), fisher.cols());
  check_size("jvp output", out.size(), fisher.rows());
  out.noalias() = fisher * v;
}

template <class Scalar>
void EmpiricalFisherProblem<Scalar>::vjp(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> u,
                                         VectorRef<Scalar> out) {
  const Matrix<Scalar>& fisher = fisher_jacobian(params);
  check_size("vjp input", u.size(), fisher.rows());
  check_size("vjp output", out.size(), fisher.cols());
  out.noalias() = fisher.transpose() * u;
}

template <class Scalar>
void EmpiricalFisherProblem<Scalar>::gram(ConstVectorRef<Scalar> params, MatrixRef<Scalar> G) {
  const Matrix<Scalar>& fisher = fisher_jacobian(params);
  check_size("gram rows", G.rows(), fisher.rows());
  check_size("gram columns", G.cols(), fisher.rows());
  G.noalias() = fisher * fisher.transpose();
}

template <class Scalar>
void EmpiricalFisherProblem<Scalar>::ggn_vector_product(ConstVectorRef<Scalar> params,
                                                        ConstVectorRef<Scalar> v,
                                                        VectorRef<Scalar> out) {
  const Matrix<Scalar>& fisher = fisher_jacobian(params);
  check_size("ggn_vector_product input", v.size(), fisher.cols());
  check_size("ggn_vector_product output", out.size(), fisher.cols());
  product_.noalias() = fisher * v;
  out.noalias() = fisher.transpose() * product_;
}

template <class Scalar>
void EmpiricalFisherProblem<Scalar>::per_example_gradients(ConstVectorRef<Scalar> params,
                                                           MatrixRef<Scalar> G) {
  sync();
  inner_->per_example_gradients(params, G);
}

template class EmpiricalFisherProblem<float>;
template class EmpiricalFisherProblem<double>;

}  // namespace curvopt
