#pragma once
/// The classical quasi-Newton descents with pairs from past iterates (Nocedal & Wright 2006,
/// ch. 6): dense BFGS on the inverse Hessian for a line search, dense SR1 on the Hessian for a
/// trust region, and L-SR1 in compact form for a trust region. The baselines the sampled methods
/// are measured against.

#include <string_view>

#include "curvopt/linalg/compact_quasi_newton.h"
#include "curvopt/linalg/steihaug_cg.h"
#include "curvopt/optim/descent/descent.h"
#include "curvopt/optim/quasi_newton/compact_sr1_trust_region.h"

namespace curvopt {

/// The pair of the last accepted step: s = θ − θ_prev, y = ∇f(θ) − ∇f(θ_prev). On minibatches
/// the two gradients see different batches (the classical methods are full-batch methods).
/// Checkpoint keys "previous_gradient", "has_previous_gradient".
/// @tparam Scalar float or double
template <class Scalar>
class PastPair {
 public:
  void resize(Index n);
  /// Forms (s, y) when there is a previous step and gradient; then remembers this gradient.
  bool update(const DescentPoint<Scalar>& point);
  const Vector<Scalar>& s() const { return s_; }
  const Vector<Scalar>& y() const { return y_; }
  void reset() { has_gradient_ = false; }
  void save(OptimizerState& state) const;
  void load(const OptimizerState& state, Index n);

 private:
  Vector<Scalar> previous_gradient_, s_, y_;
  bool has_gradient_ = false;
};

/// Options of the three descents; not every field applies to each.
struct QuasiNewtonDescentOptions {
  /// Pair test ε: BFGS keeps sᵀy > ε‖s‖‖y‖; SR1 keeps |uᵀs| > ε‖u‖‖s‖, u = y − Bs. Default 1e-8.
  double pair_epsilon = 1e-8;
  /// L-SR1: pairs kept. Default 10.
  int memory = 10;
  /// SR1 and L-SR1: the trust-region subproblem's solver (exact: L-SR1 only).
  TrustRegionSolver solver = TrustRegionSolver::kSteihaug;
  /// The dense forms hold n × n matrices; they refuse larger n. Default 4000.
  Index max_dense_parameters = 4000;
};

/// BFGS (Broyden, Fletcher, Goldfarb, Shanno 1970) on H ≈ ∇²f⁻¹, H₀ = I scaled by sᵀy/yᵀy at the
/// first pair (Nocedal & Wright eq. 6.20). p = −Hg; when p is not a descent direction H restarts
/// from I. Scalar: the step size. Checkpoint: "bfgs_inverse" (n²), "bfgs_updates" and the pair's.
/// @tparam Scalar float or double
template <class Scalar>
class BfgsDescent final : public Descent<Scalar> {
 public:
  explicit BfgsDescent(const QuasiNewtonDescentOptions& options = {});
  StepScalar scalar() const override { return StepScalar::kStepSize; }
  OracleSet required_oracles() const override { return {}; }
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double alpha, VectorRef<Scalar> step) override;
  double curvature(ConstVectorRef<Scalar>) override { return 0; }
  const Vector<Scalar>& base_step() const override { return step_; }
  void reset() override;
  void save(OptimizerState& state) const override;
  void load(const OptimizerState& state, Index n) override;

 private:
  QuasiNewtonDescentOptions options_;
  PastPair<Scalar> pair_;
  Matrix<Scalar> H_;
  Vector<Scalar> hy_, direction_, step_;
  double updates_ = 0;
};

/// SR1 on B ≈ ∇²f (indefinite allowed), B₀ = I scaled by yᵀy/sᵀy at the first pair when that is
/// positive; the trust-region step by Steihaug-CG. Scalar: the radius. Checkpoint: "sr1_matrix",
/// "sr1_updates" and the pair's.
/// @tparam Scalar float or double
template <class Scalar>
class Sr1Descent final : public Descent<Scalar> {
 public:
  explicit Sr1Descent(const QuasiNewtonDescentOptions& options = {});
  StepScalar scalar() const override { return StepScalar::kRadius; }
  OracleSet required_oracles() const override { return {}; }
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double radius, VectorRef<Scalar> step) override;
  double curvature(ConstVectorRef<Scalar> s) override;
  const Vector<Scalar>& base_step() const override { return step_; }
  void reset() override;
  void save(OptimizerState& state) const override;
  void load(const OptimizerState& state, Index n) override;

 private:
  QuasiNewtonDescentOptions options_;
  PastPair<Scalar> pair_;
  SteihaugCg<Scalar> cg_;
  const DescentPoint<Scalar>* point_ = nullptr;
  Matrix<Scalar> B_;
  Vector<Scalar> u_, step_, product_;
  double updates_ = 0, step_curvature_ = 0;
};

/// L-SR1 from the newest `memory` past pairs, in compact form with B₀ = γI, γ = yᵀy/sᵀy of the
/// newest pair (1 while that is not positive); pairs re-enter oldest first through the SR1 test
/// at every point. The trust-region step by Steihaug-CG or exactly. Scalar: the radius.
/// Checkpoint: "lsr1_pairs_s", "lsr1_pairs_y", "lsr1_count" and the pair's.
/// @tparam Scalar float or double
template <class Scalar>
class LimitedSr1Descent final : public Descent<Scalar> {
 public:
  explicit LimitedSr1Descent(const QuasiNewtonDescentOptions& options = {});
  StepScalar scalar() const override { return StepScalar::kRadius; }
  OracleSet required_oracles() const override { return {}; }
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double radius, VectorRef<Scalar> step) override;
  double curvature(ConstVectorRef<Scalar> s) override { return region_.curvature(s); }
  const Vector<Scalar>& base_step() const override { return region_.step(); }
  void reset() override;
  void save(OptimizerState& state) const override;
  void load(const OptimizerState& state, Index n) override;

 private:
  QuasiNewtonDescentOptions options_;
  PastPair<Scalar> pair_;
  CompactSr1TrustRegion<Scalar> region_;
  const DescentPoint<Scalar>* point_ = nullptr;
  Matrix<Scalar> S_, Y_;  // the ring, oldest first
  int count_ = 0;
};

extern template class PastPair<float>;
extern template class PastPair<double>;
extern template class BfgsDescent<float>;
extern template class BfgsDescent<double>;
extern template class Sr1Descent<float>;
extern template class Sr1Descent<double>;
extern template class LimitedSr1Descent<float>;
extern template class LimitedSr1Descent<double>;

}  // namespace curvopt
