#include "curvopt/problem/function_problem.h"

#include <string>
#include <utility>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
FunctionProblem<Scalar>::FunctionProblem(Index num_parameters, ValueFunction value,
                                         GradientFunction gradient,
                                         HessianProductFunction hessian_product)
    : num_parameters_(num_parameters),
      value_(std::move(value)),
      gradient_(std::move(gradient)),
      hessian_product_(std::move(hessian_product)) {
  if (num_parameters < 1)
    throw ConfigError("FunctionProblem: num_parameters = " + std::to_string(num_parameters) +
                      ": must be >= 1");
  if (!value_) throw ConfigError("FunctionProblem: the value function is empty");
  if (!gradient_) throw ConfigError("FunctionProblem: the gradient function is empty");
}

template <class Scalar>
void FunctionProblem<Scalar>::check(const char* what, Index size) const {
  if (size != num_parameters_)
    throw ShapeError(std::string("FunctionProblem: ") + what + " has " + std::to_string(size) +
                     " entries, expected " + std::to_string(num_parameters_));
}

template <class Scalar>
OracleSet FunctionProblem<Scalar>::oracles() const {
  OracleSet set = Oracle::kValue | Oracle::kGradient;
  return hessian_product_ ? set | Oracle::kHessianProduct : set;
}

template <class Scalar>
void FunctionProblem<Scalar>::hessian_vector_product(ConstVectorRef<Scalar> params,
                                                     ConstVectorRef<Scalar> v,
                                                     VectorRef<Scalar> out) {
  if (!hessian_product_) Problem<Scalar>::hessian_vector_product(params, v, out);  // throws
  check("the parameter vector", params.size());
  check("the vector", v.size());
  check("the output", out.size());
  hessian_product_(params, v, out);
}

template <class Scalar>
Scalar FunctionProblem<Scalar>::value(ConstVectorRef<Scalar> params) {
  check("the parameter vector", params.size());
  ++num_value_calls_;
  return value_(params);
}

template <class Scalar>
Scalar FunctionProblem<Scalar>::gradient(ConstVectorRef<Scalar> params, VectorRef<Scalar> grad) {
  check("the parameter vector", params.size());
  check("the gradient", grad.size());
  ++num_gradient_calls_;
  return gradient_(params, grad);
}

template class FunctionProblem<float>;
template class FunctionProblem<double>;

}  // namespace curvopt
