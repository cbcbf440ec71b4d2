#pragma once
/// Curvature pairs sampled around the iterate (Berahas, Jahani, Richtárik & Takáč 2022,
/// "Quasi-Newton methods for machine learning: forget the past, just sample", Alg. 1): the memory
/// of the sampled quasi-Newton methods, drawn fresh at every point instead of kept from past
/// iterates.

#include <cstdint>
#include <string>
#include <string_view>

#include "curvopt/core/types.h"
#include "curvopt/optim/optimizer_state.h"
#include "curvopt/optim/step_report.h"
#include "curvopt/problem/problem.h"

namespace curvopt {

/// How yᵢ is formed for sᵢ = r·σᵢ, σᵢ ~ N(0, I).
enum class PairSampling {
  kHessianProducts,      ///< Option II: yᵢ = ∇²f(θ) sᵢ, all m in one batched product; scale
                         ///< invariant in r (the pairs for cS are c times those for S)
  kGradientDifferences,  ///< Option I: yᵢ = ∇f(θ + sᵢ) − ∇f(θ), m gradient evaluations
  kGaussNewtonProducts,  ///< yᵢ = G(θ) sᵢ with G = JᵀHJ, the generalized Gauss-Newton matrix:
                         ///< positive semi-definite, so every pair passes S-LBFGS's test
                         ///< (our option; for stochastic training of networks)
};

std::string_view to_string(PairSampling sampling);
bool parse_enum(std::string_view text, PairSampling& out);
std::string enum_choices(PairSampling);

struct CurvaturePairSamplerOptions {
  /// m, pairs per point, ≥ 1. Default 10 (Berahas et al.).
  int memory = 10;
  /// r, the sampling radius, > 0. Default 1 (Berahas et al.).
  double radius = 1;
  PairSampling sampling = PairSampling::kHessianProducts;
  /// Draw t uses a generator seeded by (seed, t), so that a resumed run draws the same pairs.
  std::uint64_t seed = 0;
};

/// S and Y (n × m) at a point. Storage is sized on the first draw at a dimension; later draws
/// allocate nothing. Checkpoint key "sampler_draws".
/// @tparam Scalar float or double
template <class Scalar>
class CurvaturePairSampler {
 public:
  explicit CurvaturePairSampler(const CurvaturePairSamplerOptions& options = {});

  /// The oracle the sampling calls (besides the gradient).
  OracleSet required_oracles() const;
  /// Draws S at `params` and forms Y; false when Y is not finite. Gradient evaluations are
  /// counted in the report.
  bool sample(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
              ConstVectorRef<Scalar> gradient, StepReport& report);

  const Matrix<Scalar>& S() const { return S_; }
  const Matrix<Scalar>& Y() const { return Y_; }
  const CurvaturePairSamplerOptions& options() const { return options_; }

  void reset() { draws_ = 0; }
  void save(OptimizerState& state) const;
  void load(const OptimizerState& state);

 private:
  CurvaturePairSamplerOptions options_;
  std::uint64_t draws_ = 0;
  Matrix<Scalar> S_, Y_;
  Vector<Scalar> shifted_, shifted_gradient_;
};

extern template class CurvaturePairSampler<float>;
extern template class CurvaturePairSampler<double>;

}  // namespace curvopt
