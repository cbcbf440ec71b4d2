#pragma once
/// The damped Gauss-Newton descent of the full-Jacobian NLLS baseline (Brust 2021), solved in
/// the m × m data space from the problem's Gram oracle, J only as products.

#include <memory>
#include <utility>
#include <vector>

#include "curvopt/linalg/gram_solve.h"
#include "curvopt/optim/descent/descent.h"

namespace curvopt {

/// Scalar: the damping λ > 0 of s = −(λI + JᵀJ)⁻¹g, with Brust's normalization f = ‖r‖²/L,
/// g = (2/L)Jᵀr (so J = √(L/2)·Ĵ for the problem's residual Jacobian Ĵ). By
/// Sherman-Morrison-Woodbury s = −(g − Jᵀ(λI_m + JJᵀ)⁻¹Jg)/λ: prepare() takes the Gram
/// (L/2)·ĴĴᵀ and Jg; each λ costs a Cholesky of the m × m system and one VJP. The model's
/// curvature is sᵀJᵀJs = ‖Js‖² (one JVP). The Gram and its factor are kept per number of
/// residuals (the full batches and the short last batch of an epoch each keep theirs), so no
/// step allocates after warm-up. Keeps nothing between points.
/// @tparam Scalar float or double
template <class Scalar>
class GramDescent final : public Descent<Scalar> {
 public:
  StepScalar scalar() const override { return StepScalar::kDamping; }
  OracleSet required_oracles() const override {
    return Oracle::kGram | Oracle::kJvp | Oracle::kVjp;
  }
  std::string_view begin(Problem<Scalar>& problem, Index n) override;
  bool prepare(const DescentPoint<Scalar>& point, StepReport& report) override;
  /// False (no step) when λI + JJᵀ is not numerically positive definite.
  DescentResult step(double lambda, VectorRef<Scalar> step) override;
  double curvature(ConstVectorRef<Scalar> s) override;
  const Vector<Scalar>& base_step() const override { return step_; }
  void report_times(StepTimes& times) const override;
  void reset() override {}

 private:
  /// What one number of residuals m needs.
  struct Slot {
    GramSolver<Scalar> gram;  // (λI + JJᵀ) and its Cholesky factor
    Vector<Scalar> jg, z, js;
  };

  const DescentPoint<Scalar>* point_ = nullptr;
  std::vector<std::pair<Index, std::unique_ptr<Slot>>> slots_;
  Slot* slot_ = nullptr;    // this step's
  double root_half_m_ = 0;  // √(L/2)
  Vector<Scalar> back_, step_;
  StepTimes times_;
};

extern template class GramDescent<float>;
extern template class GramDescent<double>;

}  // namespace curvopt
