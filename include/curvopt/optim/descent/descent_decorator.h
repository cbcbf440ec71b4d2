#pragma once
/// A descent that changes another descent's steps (momentum, geodesic acceleration) and forwards
/// everything else to it.

#include <memory>
#include <utility>

#include "curvopt/optim/descent/descent.h"

namespace curvopt {

/// Forwards every call to `inner`; a decorator overrides step() (and whatever else it changes).
/// prepare() keeps the point, which lives for the whole step.
/// @tparam Scalar float or double
template <class Scalar>
class DescentDecorator : public Descent<Scalar> {
 public:
  explicit DescentDecorator(std::unique_ptr<Descent<Scalar>> inner) : inner_(std::move(inner)) {}

  StepScalar scalar() const override { return inner_->scalar(); }
  OracleSet required_oracles() const override { return inner_->required_oracles(); }
  std::string_view begin(Problem<Scalar>& problem, Index n) override {
    return inner_->begin(problem, n);
  }
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override {
    point_ = &point;
    return inner_->prepare(point, report);
  }
  DescentResult step(double scalar, VectorRef<Scalar> step) override {
    return inner_->step(scalar, step);
  }
  double curvature(ConstVectorRef<Scalar> s) override { return inner_->curvature(s); }
  const Vector<Scalar>& base_step() const override { return inner_->base_step(); }
  void accepted() override { inner_->accepted(); }
  const Vector<Scalar>* direction() const override { return inner_->direction(); }
  double suggested_scalar() const override { return inner_->suggested_scalar(); }
  bool needs_accepted_gradient() const override { return inner_->needs_accepted_gradient(); }
  void learn(ConstVectorRef<Scalar> move, ConstVectorRef<Scalar> gradient,
             ConstVectorRef<Scalar> new_gradient) override {
    inner_->learn(move, gradient, new_gradient);
  }
  void step_failed() override { inner_->step_failed(); }
  void report_times(StepTimes& times) const override { inner_->report_times(times); }
  int curvature_products() const override { return inner_->curvature_products(); }
  void reset() override { inner_->reset(); }
  void save(OptimizerState& state) const override { inner_->save(state); }
  void load(const OptimizerState& state, Index n) override { inner_->load(state, n); }

 protected:
  Descent<Scalar>& inner() { return *inner_; }
  const Descent<Scalar>& inner() const { return *inner_; }
  /// The point of the current step (valid from prepare() to the end of the step).
  const DescentPoint<Scalar>& point() const { return *point_; }

 private:
  std::unique_ptr<Descent<Scalar>> inner_;
  const DescentPoint<Scalar>* point_ = nullptr;
};

}  // namespace curvopt
