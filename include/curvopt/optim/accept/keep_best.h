#pragma once
/// Best-so-far around any optimizer: a wrapper (like ensmallen's StoreBestCoordinates callback)
/// that records the best iterate a method visited on the current data and offers it for
/// evaluation, for methods whose iterates can go uphill (momentum, uphill steps, large steps).

#include <memory>

#include "curvopt/optim/accept/best_iterate.h"
#include "curvopt/optim/optimizer.h"

namespace curvopt {

/// Steps with the wrapped optimizer unchanged (same trajectory, same state) and records the loss
/// at each step's starting point, and after the step when the method reports it
/// (StepReport::loss_after). evaluation_parameters() offers the best recorded iterate when it is
/// better than the last one evaluated (else the wrapped method's own evaluation parameters). The
/// record holds while the problem's data_version() is unchanged (a full batch).
/// @tparam Scalar float or double
template <class Scalar>
class KeepBest final : public Optimizer<Scalar> {
 public:
  explicit KeepBest(std::unique_ptr<Optimizer<Scalar>> inner);

  std::string_view name() const override { return inner_->name(); }
  OracleSet required_oracles() const override { return inner_->required_oracles(); }
  StepReport step(Problem<Scalar>& problem, VectorRef<Scalar> params) override;
  void reset() override;
  OptimizerState save_state() const override;
  void load_state(const OptimizerState& state) override;
  const Vector<Scalar>* evaluation_parameters() const override;
  std::vector<std::pair<std::string, std::string>> options() const override {
    return inner_->options();
  }
  Optimizer<Scalar>& inner() { return *inner_; }

 private:
  std::unique_ptr<Optimizer<Scalar>> inner_;
  BestIterate<Scalar> best_;
  Vector<Scalar> start_;
};

extern template class KeepBest<float>;
extern template class KeepBest<double>;

}  // namespace curvopt
