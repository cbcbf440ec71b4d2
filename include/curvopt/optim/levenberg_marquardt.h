#pragma once
/// Levenberg-Marquardt and damped Gauss-Newton for least-squares problems and networks.

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "curvopt/optim/damping_search.h"
#include "curvopt/optim/descent/damped_gauss_newton.h"
#include "curvopt/optim/descent_search_minimizer.h"
#include "curvopt/optim/option_fields.h"
#include "curvopt/optim/search/learning_rate_rescue.h"

namespace curvopt {

struct LevenbergMarquardtOptions {
  /// How the damped system is solved; kAuto picks by shape and memory_budget_bytes.
  GaussNewtonForm form = GaussNewtonForm::kAuto;
  /// Gauss-Newton (exact GGN for classification), the empirical Fisher of Pooladzandi & Zhou
  /// (2022), the sampled Gauss-Newton matrix (one output direction per example) or the
  /// Gauss-Newton matrix of one √loss residual per example.
  LmCurvature curvature = LmCurvature::kGaussNewton;
  /// kSampledGaussNewton: the directions drawn at the t-th point come from (seed, t). Default 0.
  std::uint64_t seed = 0;
  /// Memory the explicit forms may use (J, JᵀJ or the Gram and their factors). Default 1 GiB.
  double memory_budget_bytes = 1073741824.0;
  DampingMatrix damping_matrix = DampingMatrix::kIdentity;
  /// λ's rule, initial value and bounds.
  DampingSearchOptions damping;
  /// kMaxDiagonal: d₀ entries. Default 0.01 (Pooladzandi & Zhou 2022 and their code).
  double initial_diagonal = 0.01;
  /// Floor of every d entry (keeps the system definite). Default 1e-8 (NonlinearSolve.jl).
  double min_diagonal = 1e-8;
  /// θ ← θ + learning_rate·s. Default 1.
  double learning_rate = 1;
  /// Trial steps per call of step() before it returns rejected (λ keeps its increased value).
  int max_trials = 20;
  /// Converged when ‖∇f‖∞ ≤ this; 0 = never. Default 0.
  double gradient_tolerance = 0;
  /// Converged after a trial, accepted or refused (θ then stays), with |f_old − f_new| ≤
  /// function_tolerance·f_old (Ceres's function_tolerance); 0 = never. Default 0.
  double function_tolerance = 0;
  /// Converged after an accepted step with ‖Δθ‖ ≤ step_tolerance·(‖θ‖ + step_tolerance) (Ceres's
  /// parameter_tolerance); 0 = never. Default 0.
  double step_tolerance = 0;
  /// CG form: iteration limit and relative residual tolerance.
  int cg_max_iterations = 250;
  double cg_tolerance = 1e-10;

  // Improvements, all off by default; the `lm-modified` preset turns on the set of the modified LM
  // of Pooladzandi & Zhou (2022).
  /// Adaptive momentum (Ampazis & Perantonis 2000) with step length δP and ξ. δP is measured
  /// in the metric of this problem's H (for f = ½‖r̂‖²). 0 = auto: the 0.6 of Pooladzandi &
  /// Zhou's code, which it applies to ½‖r‖² with raw residuals, translated to a mean-reduced loss
  /// (r̂ = √(2/m)·r): 0.6·√(2/m), with m the number of terms the loss averages
  /// (Problem::loss_terms(): examples for softmax cross-entropy, not examples × classes, whose
  /// residual count would shrink the step by √classes).
  bool momentum = false;
  double momentum_step_length = 0;
  /// Use min(δP, √(gᵀH⁻¹g)): the momentum step is never longer in H's metric than the plain LM
  /// step. Without the cap (the published rule) the step keeps length δP near a minimum and
  /// only rejections (raising λ) can shrink it.
  bool momentum_cap = true;
  double momentum_xi = 0.9;
  /// Learning-rate search on a failed trial (Pooladzandi & Zhou 2022), over `lr_search_grid`.
  bool lr_search = false;
  LrSearchGrid lr_search_grid = LrSearchGrid::kS1;
  /// Uphill acceptance (Umrigar and Nightingale's rule, via Transtrum & Sethna 2012): accept f_new
  /// when (1 − β)^b·f_new ≤ f_ref, β the cosine between the LM direction and the previous accepted
  /// step (factor clipped to ≤ 1), f_ref the loss at the current iterate or (uphill_from_best, the
  /// default) the best loss seen on this data — with momentum, consecutive steps are nearly
  /// parallel and a current-loss reference lets the loss ratchet up without bound.
  bool uphill = false;
  double uphill_exponent = 2;
  bool uphill_from_best = true;
  /// Geodesic acceleration (Transtrum, Machta & Sethna 2011): a = solve(−Jᵀr_vv) with r_vv by a
  /// finite difference of step h along v; the step v + a/2 is tried only when
  /// 2‖a‖/‖v‖ ≤ geodesic_ratio.
  bool geodesic = false;
  double geodesic_h = 0.1;
  double geodesic_ratio = 0.75;
  /// Offer the best iterate seen (the f_best of Pooladzandi & Zhou's modified LM) for evaluation
  /// through evaluation_parameters(): with uphill steps the last iterate need not be the best.
  /// The record holds while the problem's data_version() is unchanged (a full batch) and
  /// restarts with it.
  bool keep_best = false;

  std::optional<std::string> validate() const;
};

/// Levenberg-Marquardt (Levenberg 1944; Marquardt 1963): at θ, with residuals r (the problem's
/// least-squares face: for softmax cross-entropy the exact generalized Gauss-Newton factor,
/// Schraudolph 2002) and J = ∂r/∂θ, solve (JᵀJ + λ·diag(d)) s = −g with g = Jᵀr; try θ + lr·s
/// on the same batch and accept it when the loss does not increase, adapting λ by the damping
/// rule; otherwise raise λ and retry (up to max_trials). When λ reaches its maximum the report
/// asks to stop training.
/// The form (n × n, m × m minimum-norm, or matrix-free CG) is chosen per step by shape and
/// memory, and reported in StepReport::solver.
///
/// A composition: the damped Gauss-Newton descent, decorated by adaptive momentum and geodesic
/// acceleration when those are on, × the damping search, in the descent × search loop with its
/// uphill acceptance, learning-rate rescue and best-iterate record.
/// Oracles: value, gradient, residuals and jacobian (explicit forms) or GGN products (CG).
/// Registry names: `lm`, `lm-modified`, and `gauss-newton` (λ fixed at a tiny value).
/// @tparam Scalar float or double
template <class Scalar>
class LevenbergMarquardt final : public DescentSearchMinimizer<Scalar> {
 public:
  using Options = LevenbergMarquardtOptions;

  /// Throws ConfigError when the options are invalid.
  explicit LevenbergMarquardt(const Options& options = {}, std::string_view name = "lm");

  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

  double damping() const { return damping_->damping(); }
  const Vector<Scalar>& damping_diagonal() const { return base_->damping_diagonal(); }

 private:
  /// The descent stack and the search, built before the loop that owns them.
  struct Parts {
    std::unique_ptr<Descent<Scalar>> descent;
    DampedGaussNewtonDescent<Scalar>* base = nullptr;
    std::unique_ptr<DampingSearch> search;
    DampingSearch* damping = nullptr;
  };
  static Parts build(const Options& options, std::string_view name);
  static DescentSearchOptions loop_options(const Options& options);
  LevenbergMarquardt(const Options& options, std::string_view name, Parts parts);

  Options options_;
  DampedGaussNewtonDescent<Scalar>* base_;  // owned by the loop
  DampingSearch* damping_;                  // owned by the loop
};

extern template class LevenbergMarquardt<float>;
extern template class LevenbergMarquardt<double>;

}  // namespace curvopt
