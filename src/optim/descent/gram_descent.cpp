#include "curvopt/optim/descent/gram_descent.h"

#include <cmath>

namespace curvopt {

template <class Scalar>
std::string_view GramDescent<Scalar>::begin(Problem<Scalar>& problem, Index n) {
  if (back_.size() != n) {
    slots_.clear();
    back_.resize(n);
    step_.resize(n);
  }
  const Index m = problem.num_residuals();
  slot_ = nullptr;
  for (auto& [rows, slot] : slots_)
    if (rows == m) slot_ = slot.get();
  if (slot_ == nullptr) {
    auto slot = std::make_unique<Slot>();
    slot->gram.resize(m, n);
    slot->jg.resize(m);
    slot->z.resize(m);
    slot->js.resize(m);
    slot_ = slot.get();
    slots_.emplace_back(m, std::move(slot));
  }
  times_ = {};
  return "data-space";
}

template <class Scalar>
bool GramDescent<Scalar>::prepare(const DescentPoint<Scalar>& point, StepReport&) {
  point_ = &point;
  Problem<Scalar>& problem = point.problem;
  // The paper's J is √(L/2)·Ĵ (r = r̂·√(L/2)), so JJᵀ = (L/2)·ĴĴᵀ, Jg = √(L/2)·Ĵg, Jᵀz likewise.
  const double half_m = static_cast<double>(problem.num_residuals()) / 2;
  root_half_m_ = std::sqrt(half_m);
  {
    detail::PhaseTimer timer(times_.matrix_seconds);
    Matrix<Scalar>& G = slot_->gram.gram();
    problem.gram(point.params, G);
    G *= static_cast<Scalar>(half_m);
  }
  problem.jvp(point.params, point.gradient, slot_->jg);
  slot_->jg *= static_cast<Scalar>(root_half_m_);
  return true;
}

template <class Scalar>
DescentResult GramDescent<Scalar>::step(double lambda, VectorRef<Scalar> step) {
  {
    detail::PhaseTimer timer(times_.factorization_seconds);
    if (slot_->gram.factorize(lambda) != FactorStatus::kPositiveDefinite)
      return {.ok = false, .message = "the damped Gram matrix is not positive definite"};
  }
  slot_->z = slot_->jg;
  slot_->gram.solve_in_place(slot_->z);  // z = (λI + JJᵀ)⁻¹ J g
  point_->problem.vjp(point_->params, slot_->z, back_);
  // s = −(g − Jᵀz)/λ
  const auto inverse = static_cast<Scalar>(1.0 / lambda);
  step = -(inverse * (point_->gradient - static_cast<Scalar>(root_half_m_) * back_));
  step_ = step;
  return {};
}

template <class Scalar>
double GramDescent<Scalar>::curvature(ConstVectorRef<Scalar> s) {
  point_->problem.jvp(point_->params, s, slot_->js);
  return root_half_m_ * root_half_m_ * static_cast<double>(slot_->js.squaredNorm());
}

template <class Scalar>
void GramDescent<Scalar>::report_times(StepTimes& times) const {
  times.matrix_seconds += times_.matrix_seconds;
  times.factorization_seconds += times_.factorization_seconds;
}

template class GramDescent<float>;
template class GramDescent<double>;

}  // namespace curvopt
