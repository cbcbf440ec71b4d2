#include "curvopt/optim/descent/newton_cg_descent.h"

#include <algorithm>
#include <cmath>

#include "../option_list.h"
#include "curvopt/core/enum_names.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(CurvatureProduct, {CurvatureProduct::kHessian, "hessian"},
                   {CurvatureProduct::kGaussNewton, "gauss-newton"})

std::optional<std::string> NewtonCgDescentOptions::validate() const {
  const char* o = "NewtonCgDescentOptions";
  std::optional<std::string> iterations, relative;
  if (max_iterations < 0)
    iterations = out_of_range(o, "max_iterations", max_iterations, ">= 0 (0: n)");
  if (relative_tolerance && !(*relative_tolerance >= 0 && *relative_tolerance < 1))
    relative = out_of_range(o, "relative_tolerance", *relative_tolerance, "in [0, 1)");
  return first_error(
      {iterations, relative, require_non_negative(o, "absolute_tolerance", absolute_tolerance)});
}

template <class Scalar>
NewtonCgDescent<Scalar>::NewtonCgDescent(const NewtonCgDescentOptions& options)
    : options_((throw_if_invalid(options), options)) {}

template <class Scalar>
OracleSet NewtonCgDescent<Scalar>::required_oracles() const {
  return options_.curvature == CurvatureProduct::kHessian ? Oracle::kHessianProduct
                                                          : Oracle::kGgnProduct;
}

template <class Scalar>
std::string_view NewtonCgDescent<Scalar>::begin(Problem<Scalar>&, Index n) {
  if (step_.size() != n) {
    step_.resize(n);
    product_.resize(n);
    cg_.resize(n);
  }
  return "steihaug-cg";
}

template <class Scalar>
bool NewtonCgDescent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport&) {
  point_ = &point;
  products_ = 0;
  // The forcing term min(0.5, √‖g‖): loose far from a minimizer, tight near one.
  const double g = static_cast<double>(point.gradient.norm());
  cg_.set_options(
      {.max_iterations = options_.max_iterations,
       .relative_tolerance = options_.relative_tolerance.value_or(std::min(0.5, std::sqrt(g))),
       .absolute_tolerance = options_.absolute_tolerance});
  return true;
}

template <class Scalar>
void NewtonCgDescent<Scalar>::product(ConstVectorRef<Scalar> v, VectorRef<Scalar> out) {
  ++products_;
  if (options_.curvature == CurvatureProduct::kHessian)
    point_->problem.hessian_vector_product(point_->params, v, out);
  else
    point_->problem.ggn_vector_product(point_->params, v, out);
}

template <class Scalar>
DescentResult NewtonCgDescent<Scalar>::step(double radius, VectorRef<Scalar> step) {
  const SteihaugResult result =
      cg_.solve([this](ConstVectorRef<Scalar> v, VectorRef<Scalar> out) { product(v, out); },
                point_->gradient, radius, step_);
  termination_ = result.termination;
  // The solve tracked the model m(s) = gᵀs + ½sᵀBs; keep sᵀBs for curvature() without a product.
  step_curvature_ =
      2 * (-result.predicted_reduction - static_cast<double>(point_->gradient.dot(step_)));
  step = step_;
  DescentResult r{.ok = step_.allFinite(), .iterations = result.iterations};
  if (!r.ok) r.message = "non-finite curvature product; radius shrunk";
  return r;
}

template <class Scalar>
double NewtonCgDescent<Scalar>::curvature(ConstVectorRef<Scalar> s) {
  if (s.size() == step_.size() && s == step_) return step_curvature_;
  product(s, product_);
  return static_cast<double>(s.dot(product_));
}

template class NewtonCgDescent<float>;
template class NewtonCgDescent<double>;

}  // namespace curvopt
