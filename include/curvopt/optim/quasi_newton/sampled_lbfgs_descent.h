#pragma once
/// The descent of S-LBFGS (Berahas, Jahani, Richtárik & Takáč 2022, Alg. 2): p = −H g by the
/// two-loop recursion over pairs sampled at this point alone, for a line search's step size.

#include "curvopt/linalg/lbfgs_memory.h"
#include "curvopt/optim/descent/descent.h"
#include "curvopt/optim/quasi_newton/curvature_pair_sampler.h"

namespace curvopt {

struct SampledLbfgsDescentOptions {
  CurvaturePairSamplerOptions sampler;
  /// Keep pair i when sᵢᵀyᵢ > ε‖sᵢ‖‖yᵢ‖ (the test of Berahas et al.'s code), ε ≥ 0. Default 1e-8.
  double pair_epsilon = 1e-8;
};

/// H₀ = γI with γ = sᵀy/yᵀy of the last accepted pair; with no accepted pair H = I (the poster's
/// rule where the authors' code would divide by zero). A linear model: the line search judges
/// sufficient decrease from gᵀs. Checkpoint keys: the sampler's.
/// @tparam Scalar float or double
template <class Scalar>
class SampledLbfgsDescent final : public Descent<Scalar> {
 public:
  explicit SampledLbfgsDescent(const SampledLbfgsDescentOptions& options = {});

  StepScalar scalar() const override { return StepScalar::kStepSize; }
  OracleSet required_oracles() const override { return sampler_.required_oracles(); }
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double alpha, VectorRef<Scalar> step) override;
  double curvature(ConstVectorRef<Scalar>) override { return 0; }
  const Vector<Scalar>& base_step() const override { return step_; }
  void reset() override { sampler_.reset(); }
  void save(OptimizerState& state) const override { sampler_.save(state); }
  void load(const OptimizerState& state, Index) override { sampler_.load(state); }

  /// The pairs drawn at the last point (before the test).
  const CurvaturePairSampler<Scalar>& sampler() const { return sampler_; }
  /// Pairs that passed the test at the last point.
  int accepted_pairs() const { return memory_.size(); }

 private:
  SampledLbfgsDescentOptions options_;
  CurvaturePairSampler<Scalar> sampler_;
  LbfgsMemory<Scalar> memory_;
  Vector<Scalar> direction_, step_;
};

extern template class SampledLbfgsDescent<float>;
extern template class SampledLbfgsDescent<double>;

}  // namespace curvopt
