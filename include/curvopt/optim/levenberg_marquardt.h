#pragma once
/// Levenberg-Marquardt and damped Gauss-Newton for least-squares problems and networks.

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "curvopt/optim/accept/best_iterate.h"
#include "curvopt/optim/damping_search.h"
#include "curvopt/optim/descent/geodesic_acceleration.h"
#include "curvopt/optim/gauss_newton_descent.h"
#include "curvopt/optim/optimizer.h"
#include "curvopt/optim/option_fields.h"
#include "curvopt/optim/search/learning_rate_rescue.h"
#include "curvopt/problem/empirical_fisher_problem.h"

namespace curvopt {

/// The damping matrix diag(d) in (JᵀJ + λ·diag(d)) s = −g.
enum class DampingMatrix {
  kIdentity,     ///< d = 1 (Levenberg 1944)
  kMarquardt,    ///< d = diag(JᵀJ) at the current point (Marquardt 1963)
  kMaxDiagonal,  ///< d = max(d_prev, diag(JᵀJ)) elementwise, from initial_diagonal
                 ///< (Transtrum & Sethna 2012)
};

std::string_view to_string(DampingMatrix m);
bool parse_enum(std::string_view text, DampingMatrix& out);
std::string enum_choices(DampingMatrix);

/// Which curvature the damped system uses.
enum class LmCurvature {
  kGaussNewton,      ///< JᵀJ of the problem's residuals: Gauss-Newton, and for softmax
                     ///< cross-entropy the exact generalized Gauss-Newton (logit Fisher)
  kEmpiricalFisher,  ///< (1/b)Σ∇ℓₛ∇ℓₛᵀ from per-example gradients, m = b
                     ///< (Pooladzandi & Zhou 2022, eq. 7)
};

std::string_view to_string(LmCurvature c);
bool parse_enum(std::string_view text, LmCurvature& out);
std::string enum_choices(LmCurvature);

struct LevenbergMarquardtOptions {
  /// How the damped system is solved; kAuto picks by shape and memory_budget_bytes.
  GaussNewtonForm form = GaussNewtonForm::kAuto;
  /// Gauss-Newton (exact GGN for classification) or the empirical Fisher of
  /// Pooladzandi & Zhou (2022).
  LmCurvature curvature = LmCurvature::kGaussNewton;
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
  /// Converged after an accepted step with |f_old − f_new| ≤ function_tolerance·f_old (Ceres's
  /// function_tolerance); 0 = never. Default 0.
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
  /// (r̂ = √(2/m)·r): 0.6·√(2/m).
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
/// Oracles: value, gradient, residuals and jacobian (explicit forms) or GGN products (CG).
/// Registry names: `lm`, and `gauss-newton` (λ fixed at a tiny value).
/// @tparam Scalar float or double
template <class Scalar>
class LevenbergMarquardt final : public Optimizer<Scalar> {
 public:
  using Options = LevenbergMarquardtOptions;

  explicit LevenbergMarquardt(const Options& options = {}, std::string_view name = "lm");

  std::string_view name() const override { return name_; }
  OracleSet required_oracles() const override;
  StepReport step(Problem<Scalar>& problem, VectorRef<Scalar> params) override;
  void reset() override;
  OptimizerState save_state() const override;
  void load_state(const OptimizerState& state) override;
  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

  /// The best iterate seen on the current data when keep_best is on and the current iterate
  /// is not it; else nullptr.
  const Vector<Scalar>* evaluation_parameters() const override;

  double damping() const { return search_.damping(); }
  const Vector<Scalar>& damping_diagonal() const { return d_; }

 private:
  /// How a trial ended: refused, or accepted as a decrease, an uphill step or by the
  /// learning-rate rescue.
  enum class Verdict { kRejected, kDownhill, kUphill, kRescued };
  struct Trial {
    Verdict verdict = Verdict::kRejected;
    double f_new = std::numeric_limits<double>::quiet_NaN();
    double rho = -1;           ///< gain ratio, −1 when the model predicted no decrease
    double learning_rate = 0;  ///< the rescue's learning rate (kRescued)
    int iterations = 0;        ///< inner iterations of the solves
  };

  // The phases of step(), in order.
  void resize(Index n);
  /// The descent for this problem's shape, from the cache or new.
  GaussNewtonDescent<Scalar>& descent_for(const Problem<Scalar>& problem, Index n);
  /// The problem the curvature comes from: `problem`, or its empirical-Fisher face.
  Problem<Scalar>& curvature_problem(Problem<Scalar>& problem);
  bool evaluate_gradient(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                         StepReport& report);
  bool gradient_converged(StepReport& report) const;
  bool prepare_curvature(Problem<Scalar>& curvature, ConstVectorRef<Scalar> params,
                         StepReport& report);
  void update_damping_diagonal();
  Trial try_step(Problem<Scalar>& problem, const Problem<Scalar>& curvature,
                 ConstVectorRef<Scalar> params, double lambda, StepReport& report);
  bool propose(Problem<Scalar>& problem, const Problem<Scalar>& curvature,
               ConstVectorRef<Scalar> params, double lambda, StepReport& report, int& iterations);
  void combine_momentum(const Problem<Scalar>& curvature, double lambda);
  double uphill_reference(double f_old) const;
  /// f(θ + lr·direction_) into trial_; NaN when the trial is not finite.
  double evaluate_trial(Problem<Scalar>& problem, ConstVectorRef<Scalar> params, double lr,
                        StepReport& report);
  void commit(const Trial& trial, double lambda, VectorRef<Scalar> params, StepReport& report);
  void finish(StepReport& report, int inner_iterations) const;

  /// The best iterate is needed for evaluation (keep_best) or as the uphill reference.
  bool tracks_best() const {
    return options_.keep_best || (options_.uphill && options_.uphill_from_best);
  }

  Options options_;
  std::string name_;
  DampingSearch search_;
  GeodesicAcceleration<Scalar> geodesic_;
  std::vector<std::pair<Index, std::unique_ptr<GaussNewtonDescent<Scalar>>>> descents_;
  GaussNewtonDescent<Scalar>* descent_ = nullptr;  // this step's, from descents_
  Index n_ = 0;
  std::int64_t num_steps_ = 0;
  Vector<Scalar> grad_, d_, d_trial_, s_, trial_, neg_grad_, direction_, previous_;
  bool has_previous_ = false;
  std::unique_ptr<EmpiricalFisherProblem<Scalar>> fisher_;
  const Problem<Scalar>* fisher_inner_ = nullptr;
  BestIterate<Scalar> best_;
};

extern template class LevenbergMarquardt<float>;
extern template class LevenbergMarquardt<double>;

}  // namespace curvopt
