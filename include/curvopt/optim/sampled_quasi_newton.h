#pragma once
/// The sampled quasi-Newton methods of Berahas, Jahani, Richtárik & Takáč (2022, "Quasi-Newton
/// methods for machine learning: forget the past, just sample"): curvature pairs drawn around the
/// iterate at every step, no history. S-LBFGS = the sampled two-loop descent × Armijo backtracking;
/// S-LSR1 = the sampled compact L-SR1 trust-region descent × the trust-region radius rule.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/optim/descent_search_minimizer.h"
#include "curvopt/optim/option_fields.h"
#include "curvopt/optim/quasi_newton/curvature_pair_sampler.h"
#include "curvopt/optim/quasi_newton/sampled_lsr1_descent.h"

namespace curvopt {

/// The options both methods share.
struct SampledPairOptions {
  /// m, pairs drawn per step, ≥ 1. Default 10.
  int memory = 10;
  /// r, the sampling radius: sᵢ = r·σᵢ, σᵢ ~ N(0, I). Default 1.
  double radius = 1;
  /// Option II (Hessian products, scale invariant; default), Option I (gradient differences), or
  /// Gauss-Newton products (positive semi-definite pairs; our option for network training).
  PairSampling sampling = PairSampling::kHessianProducts;
  /// The pair test's ε ≥ 0 (see each method). Default 1e-8.
  double pair_epsilon = 1e-8;
  /// Step t draws from a generator seeded by (seed, t). Default 0.
  std::uint64_t seed = 0;
  /// Converged when ‖∇f‖∞ ≤ this; 0 = never. Default 0.
  double gradient_tolerance = 0;
};

struct SampledLbfgsOptions {
  SampledPairOptions pairs;
  /// α of the first step's first trial. Default 1.
  double initial_step = 1;
  /// Later steps start from growth·α_prev (Berahas et al.: 2). Default 2.
  double step_growth = 2;
  /// Armijo constant c₁ in (0, 1). Default 1e-4.
  double c1 = 1e-4;
  /// α ← backtrack_factor·α after a refused trial, in (0, 1). Default 0.5.
  double backtrack_factor = 0.5;
  /// The step is rejected once α < min_step (Berahas et al.'s code keeps the tiny step instead).
  /// Default 1e-25.
  double min_step = 1e-25;
  /// Trials per step, ≥ 1. Default 100 (enough to halve from 1 below 1e-25).
  int max_trials = 100;

  std::optional<std::string> validate() const;
};

struct SampledLsr1Options {
  SampledPairOptions pairs;
  /// Steihaug-CG (Berahas et al.'s code) or the exact compact solution.
  TrustRegionSolver solver = TrustRegionSolver::kSteihaug;
  /// Δ₀. Default 1.
  double initial_radius = 1;
  /// Accept when ρ > eta, in [0, 0.25). Default 1e-6.
  double eta = 1e-6;
  /// Δ's bounds; training stops when a rejection takes Δ below min_radius. Defaults 1e-12, 1e10.
  double min_radius = 1e-12;
  double max_radius = 1e10;
  /// Trials per step, ≥ 1. Default 1: as the authors, a refused step leaves θ and halves Δ.
  int max_trials = 1;

  std::optional<std::string> validate() const;
};

/// S-LBFGS (Alg. 2): p = −Hg from the pairs sampled at θ (test sᵀy > ε‖s‖‖y‖; H = I when none
/// passes), α by Armijo backtracking from 2·α_prev. Registry name `slbfgs`.
/// Oracles: value, gradient, and Hessian products (Option II) or more gradients (Option I).
/// @tparam Scalar float or double
template <class Scalar>
class SampledLbfgs final : public DescentSearchMinimizer<Scalar> {
 public:
  using Options = SampledLbfgsOptions;
  /// Throws ConfigError when the options are invalid.
  explicit SampledLbfgs(const Options& options = {});
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

 private:
  Options options_;
};

/// S-LSR1 (Alg. 3): the compact L-SR1 matrix from the pairs sampled at θ (B₀ = 0, the sequential
/// SR1 test; B = I when none passes), its trust-region step by Steihaug-CG or exactly, and the
/// radius rule ρ > 0.75 → 2Δ, ρ < 0.1 → Δ/2 (pred ≤ 0 counts as a rejection). Registry name
/// `slsr1`. Oracles as SampledLbfgs.
/// @tparam Scalar float or double
template <class Scalar>
class SampledLsr1 final : public DescentSearchMinimizer<Scalar> {
 public:
  using Options = SampledLsr1Options;
  /// Throws ConfigError when the options are invalid.
  explicit SampledLsr1(const Options& options = {});
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

 private:
  Options options_;
};

extern template class SampledLbfgs<float>;
extern template class SampledLbfgs<double>;
extern template class SampledLsr1<float>;
extern template class SampledLsr1<double>;

}  // namespace curvopt
