#include "curvopt/optim/quasi_newton/curvature_pair_sampler.h"

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(PairSampling, {PairSampling::kHessianProducts, "hessian"},
                   {PairSampling::kGradientDifferences, "gradient"},
                   {PairSampling::kGaussNewtonProducts, "gauss-newton"})

template <class Scalar>
CurvaturePairSampler<Scalar>::CurvaturePairSampler(const CurvaturePairSamplerOptions& options)
    : options_(options) {
  if (options.memory < 1)
    throw ConfigError("CurvaturePairSamplerOptions::memory = " + std::to_string(options.memory) +
                      ": must be >= 1");
  if (!(options.radius > 0))
    throw ConfigError("CurvaturePairSamplerOptions::radius = " + std::to_string(options.radius) +
                      ": must be > 0");
}

template <class Scalar>
OracleSet CurvaturePairSampler<Scalar>::required_oracles() const {
  switch (options_.sampling) {
    case PairSampling::kHessianProducts:
      return Oracle::kHessianProduct;
    case PairSampling::kGaussNewtonProducts:
      return Oracle::kGgnProduct;
    case PairSampling::kGradientDifferences:
      break;
  }
  return Oracle::kGradient;
}

template <class Scalar>
bool CurvaturePairSampler<Scalar>::sample(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                                          ConstVectorRef<Scalar> gradient, StepReport& report) {
  const Index n = params.size(), m = options_.memory;
  if (S_.rows() != n) {
    S_.resize(n, m);
    Y_.resize(n, m);
    shifted_.resize(n);
    shifted_gradient_.resize(n);
  }
  Rng rng(options_.seed * 0x9E3779B97F4A7C15ull + draws_++);
  const double r = options_.radius;
  for (Index j = 0; j < m; ++j)
    for (Index i = 0; i < n; ++i) S_(i, j) = static_cast<Scalar>(r * rng.normal());
  if (options_.sampling == PairSampling::kHessianProducts) {
    problem.hessian_matrix_product(params, S_, Y_);
    report.num_curvature_products += static_cast<int>(m);
  } else if (options_.sampling == PairSampling::kGaussNewtonProducts) {
    problem.ggn_matrix_product(params, S_, Y_);
    report.num_curvature_products += static_cast<int>(m);
  } else {
    for (Index j = 0; j < m; ++j) {
      shifted_ = params + S_.col(j);
      problem.gradient(shifted_, shifted_gradient_);
      ++report.num_gradient_evaluations;
      Y_.col(j) = shifted_gradient_ - gradient;
    }
  }
  return Y_.allFinite();
}

template <class Scalar>
void CurvaturePairSampler<Scalar>::save(OptimizerState& state) const {
  state.put("sampler_draws", static_cast<double>(draws_));
}

template <class Scalar>
void CurvaturePairSampler<Scalar>::load(const OptimizerState& state) {
  draws_ = static_cast<std::uint64_t>(state.get_count("sampler_draws"));
}

template class CurvaturePairSampler<float>;
template class CurvaturePairSampler<double>;

}  // namespace curvopt
