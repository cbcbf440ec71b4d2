#pragma once
/// The classical quasi-Newton baselines of the sampled methods (Nocedal & Wright 2006, ch. 6), with
/// pairs from past iterates: BFGS with Armijo backtracking, SR1 and L-SR1 in a trust region.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/optim/descent_search_minimizer.h"
#include "curvopt/optim/option_fields.h"
#include "curvopt/optim/quasi_newton/compact_sr1_trust_region.h"

namespace curvopt {

struct BfgsOptions {
  /// Keep the pair when sᵀy > ε‖s‖‖y‖. Default 1e-8.
  double pair_epsilon = 1e-8;
  /// n × n storage: larger problems are refused. Default 4000.
  std::int64_t max_dense_parameters = 4000;
  /// Armijo backtracking from α = 1: c₁, the factor, the smallest α, the trials per step.
  double c1 = 1e-4;
  double backtrack_factor = 0.5;
  double min_step = 1e-25;
  int max_trials = 100;
  /// Converged when ‖∇f‖∞ ≤ this; 0 = never.
  double gradient_tolerance = 0;

  std::optional<std::string> validate() const;
};

struct Sr1Options {
  /// Keep the pair when |uᵀs| > ε‖u‖‖s‖, u = y − Bs. Default 1e-8.
  double pair_epsilon = 1e-8;
  /// L-SR1 only: pairs kept. Default 10.
  int memory = 10;
  /// L-SR1 only: steihaug or exact (SR1 always uses Steihaug-CG).
  TrustRegionSolver solver = TrustRegionSolver::kSteihaug;
  /// SR1 only: n × n storage: larger problems are refused. Default 4000.
  std::int64_t max_dense_parameters = 4000;
  /// The trust region (Nocedal & Wright Alg. 4.1: grow ×2 at the boundary when ρ > 0.75, halve
  /// when ρ < 0.1): Δ₀, acceptance ρ > eta, Δ's bounds, trials per step.
  double initial_radius = 1;
  double eta = 1e-6;
  double min_radius = 1e-12;
  double max_radius = 1e10;
  int max_trials = 1;
  double gradient_tolerance = 0;

  std::optional<std::string> validate() const;
};

/// BFGS (dense inverse Hessian) × Armijo backtracking. Registry name `bfgs`.
/// @tparam Scalar float or double
template <class Scalar>
class Bfgs final : public DescentSearchMinimizer<Scalar> {
 public:
  using Options = BfgsOptions;
  explicit Bfgs(const Options& options = {});
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

 private:
  Options options_;
};

/// SR1 (dense) × the trust-region radius rule. Registry name `sr1`.
/// @tparam Scalar float or double
template <class Scalar>
class Sr1 final : public DescentSearchMinimizer<Scalar> {
 public:
  using Options = Sr1Options;
  explicit Sr1(const Options& options = {});
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

 private:
  Options options_;
};

/// L-SR1 (compact, the newest `memory` past pairs) × the trust-region radius rule. Registry name
/// `lsr1`.
/// @tparam Scalar float or double
template <class Scalar>
class Lsr1 final : public DescentSearchMinimizer<Scalar> {
 public:
  using Options = Sr1Options;
  explicit Lsr1(const Options& options = {});
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields() { return Sr1<Scalar>::option_fields(); }

 private:
  Options options_;
};

extern template class Bfgs<float>;
extern template class Bfgs<double>;
extern template class Sr1<float>;
extern template class Sr1<double>;
extern template class Lsr1<float>;
extern template class Lsr1<double>;

}  // namespace curvopt
