#pragma once
/// Steepest descent s = −α·g: the simplest descent, for a line search or a learning rate.

#include "curvopt/optim/descent/descent.h"

namespace curvopt {

/// Scalar: the step size α. A linear model (curvature 0): the predicted reduction is −gᵀs.
/// @tparam Scalar float or double
template <class Scalar>
class SteepestDescent final : public Descent<Scalar> {
 public:
  StepScalar scalar() const override { return StepScalar::kStepSize; }
  OracleSet required_oracles() const override { return {}; }
  std::string_view begin(Problem<Scalar>&, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double alpha, VectorRef<Scalar> step) override;
  double curvature(ConstVectorRef<Scalar>) override { return 0; }
  const Vector<Scalar>& base_step() const override { return step_; }
  /// p = −g (so a strong-Wolfe search can measure slopes along it).
  const Vector<Scalar>* direction() const override { return &direction_; }
  void reset() override {}

 private:
  Vector<Scalar> direction_, step_;
};

extern template class SteepestDescent<float>;
extern template class SteepestDescent<double>;

}  // namespace curvopt
