#include "curvopt/optim/descent/steepest_descent.h"

namespace curvopt {

template <class Scalar>
std::string_view SteepestDescent<Scalar>::begin(Problem<Scalar>&, Index n) {
  if (step_.size() != n) {
    step_.resize(n);
    direction_.resize(n);
  }
  return {};
}

template <class Scalar>
bool SteepestDescent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport&) {
  direction_ = -point.gradient;  // finite: the loop checked it
  return true;
}

template <class Scalar>
DescentResult SteepestDescent<Scalar>::step(double alpha, VectorRef<Scalar> step) {
  step_ = static_cast<Scalar>(alpha) * direction_;
  step = step_;
  return {};
}

template class SteepestDescent<float>;
template class SteepestDescent<double>;

}  // namespace curvopt
