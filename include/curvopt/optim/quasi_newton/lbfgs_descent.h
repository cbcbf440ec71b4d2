#pragma once
/// The descent of L-BFGS (Liu & Nocedal 1989): p = −H g by the two-loop recursion over the pairs
/// of past accepted steps, for a line search's step size.

#include "curvopt/linalg/lbfgs_memory.h"
#include "curvopt/optim/descent/descent.h"

namespace curvopt {

struct LbfgsDescentOptions {
  /// The first trial α₀ = scale, or scale·min(1, 1/‖g‖₁) while no pair is stored (PyTorch's
  /// rule), suggested to the search. Default 1.
  double scale = 1;
  /// Pairs kept, ≥ 1. Default 100.
  int memory = 100;
  /// A pair is stored only when sᵀy > curvature_epsilon·‖s‖‖y‖. Default 1e-8.
  double curvature_epsilon = 1e-8;
  /// Drop the pairs when a step ends without an accepted trial. Default true.
  bool reset_on_failure = true;
};

/// Learns the pair (s, y) = (θ₊ − θ, ∇f(θ₊) − ∇f(θ)) of every accepted step, both gradients on
/// that step's data. When round-off makes −Hg an ascent direction the pairs are dropped and the
/// step is steepest descent. A linear model (curvature 0): the search judges decrease from gᵀs.
/// Checkpoint keys: num_pairs, pairs_s, pairs_y.
/// @tparam Scalar float or double
template <class Scalar>
class LbfgsDescent final : public Descent<Scalar> {
 public:
  /// Throws ConfigError when memory < 1, scale ≤ 0 or curvature_epsilon < 0.
  explicit LbfgsDescent(const LbfgsDescentOptions& options = {});

  StepScalar scalar() const override { return StepScalar::kStepSize; }
  OracleSet required_oracles() const override { return {}; }
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double alpha, VectorRef<Scalar> step) override;
  double curvature(ConstVectorRef<Scalar>) override { return 0; }
  const Vector<Scalar>& base_step() const override { return step_; }
  const Vector<Scalar>* direction() const override { return &direction_; }
  double suggested_scalar() const override { return suggested_; }
  bool needs_accepted_gradient() const override { return true; }
  void learn(ConstVectorRef<Scalar> move, ConstVectorRef<Scalar> gradient,
             ConstVectorRef<Scalar> new_gradient) override;
  void step_failed() override;
  void reset() override;
  void save(OptimizerState& state) const override;
  void load(const OptimizerState& state, Index n) override;

  const LbfgsMemory<Scalar>& memory() const { return memory_; }

 private:
  void resize(Index n);

  LbfgsDescentOptions options_;
  LbfgsMemory<Scalar> memory_;
  Index n_ = 0;
  double suggested_ = 1;
  Vector<Scalar> direction_, step_, y_;
};

extern template class LbfgsDescent<float>;
extern template class LbfgsDescent<double>;

}  // namespace curvopt
