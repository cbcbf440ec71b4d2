#pragma once
/// The descent of S-LSR1 (Berahas, Jahani, Richtárik & Takáč 2022, Alg. 3): the trust-region step
/// of the compact L-SR1 matrix built from pairs sampled at this point alone.

#include <string>
#include <string_view>

#include "curvopt/optim/descent/descent.h"
#include "curvopt/optim/quasi_newton/compact_sr1_trust_region.h"
#include "curvopt/optim/quasi_newton/curvature_pair_sampler.h"

namespace curvopt {

struct SampledLsr1DescentOptions {
  CurvaturePairSamplerOptions sampler;
  /// Keep pair i when |uᵀsᵢ| > ε‖u‖‖sᵢ‖, u = yᵢ − B sᵢ for the pairs kept so far. Default 1e-8.
  double pair_epsilon = 1e-8;
  TrustRegionSolver solver = TrustRegionSolver::kSteihaug;
};

/// B₀ = 0 (as the authors' code), so B is Y M⁻¹ Yᵀ on the span of the pairs; with no accepted
/// pair B = I (Lemma 10 of the poster). The subproblem as CompactSr1TrustRegion solves it.
/// Checkpoint keys: the sampler's.
/// @tparam Scalar float or double
template <class Scalar>
class SampledLsr1Descent final : public Descent<Scalar> {
 public:
  explicit SampledLsr1Descent(const SampledLsr1DescentOptions& options = {});

  StepScalar scalar() const override { return StepScalar::kRadius; }
  OracleSet required_oracles() const override { return sampler_.required_oracles(); }
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  DescentResult step(double radius, VectorRef<Scalar> step) override;
  /// sᵀBs; of the last step from the solve, of another vector by one compact product.
  double curvature(ConstVectorRef<Scalar> s) override { return region_.curvature(s); }
  const Vector<Scalar>& base_step() const override { return region_.step(); }
  void reset() override { sampler_.reset(); }
  void save(OptimizerState& state) const override { sampler_.save(state); }
  void load(const OptimizerState& state, Index) override { sampler_.load(state); }

  /// The pairs drawn at the last point (before the test).
  const CurvaturePairSampler<Scalar>& sampler() const { return sampler_; }
  /// Pairs that passed the SR1 test at the last point.
  int accepted_pairs() const { return accepted_; }

 private:
  SampledLsr1DescentOptions options_;
  CurvaturePairSampler<Scalar> sampler_;
  CompactSr1TrustRegion<Scalar> region_;
  const DescentPoint<Scalar>* point_ = nullptr;
  Index n_ = 0;
  int accepted_ = 0;
};

extern template class SampledLsr1Descent<float>;
extern template class SampledLsr1Descent<double>;

}  // namespace curvopt
