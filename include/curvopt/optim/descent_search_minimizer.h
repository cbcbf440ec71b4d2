#pragma once
/// The one loop of every descent × search method: Levenberg-Marquardt, and the trust-region and
/// line-search compositions built from optim/descent and optim/search.

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "curvopt/optim/accept/best_iterate.h"
#include "curvopt/optim/accept/uphill_acceptance.h"
#include "curvopt/optim/descent/descent.h"
#include "curvopt/optim/optimizer.h"
#include "curvopt/optim/search/learning_rate_rescue.h"
#include "curvopt/optim/search/search.h"

namespace curvopt {

/// The loop's own options; the descent and the search carry theirs.
struct DescentSearchOptions {
  /// θ ← θ + learning_rate·s. Default 1.
  double learning_rate = 1;
  /// Trials per step() before it returns rejected (the search keeps its updated scalar).
  int max_trials = 20;
  /// Converged when ‖∇f‖∞ ≤ this; 0 = never.
  double gradient_tolerance = 0;
  /// Converged after a trial, accepted or refused (θ then stays), with |f_old − f_new| ≤
  /// function_tolerance·f_old; 0 = never.
  double function_tolerance = 0;
  /// Converged after an accepted step with ‖Δθ‖ ≤ step_tolerance·(‖θ‖ + step_tolerance); 0 = never.
  double step_tolerance = 0;
  /// Converged after an accepted step that changes f by less than this, or no coordinate of θ
  /// by more (absolute, as PyTorch's L-BFGS tolerance_change); 0 = never.
  double change_tolerance = 0;
  /// Second chance for a refused trial: uphill acceptance against the previous step.
  std::optional<UphillAcceptance> uphill;
  /// The uphill reference is the best loss seen on this data, not the current one.
  bool uphill_from_best = true;
  /// Last chance: a search over the learning rate along the refused direction.
  std::optional<LearningRateRescue> rescue;
  /// Offer the best iterate seen on this data through evaluation_parameters().
  bool keep_best = false;

  std::optional<std::string> validate() const;
};

/// One step, as named phases: the gradient at θ (a non-finite one ends the step with θ intact);
/// the gradient test; the descent's once-per-point work; then trials until one is accepted or
/// the budget or the search runs out. Each trial asks the search for its scalar, the descent for
/// the step s, evaluates f(θ + lr·s), and lets the search judge it against the model's predicted
/// reduction −(lr·gᵀs + ½lr²·sᵀBs); a refused trial gets the second chances configured (uphill
/// acceptance, the learning-rate rescue). The accepted trial becomes θ and the previous step.
///
/// A search that needs trial gradients (strong Wolfe) gets ∇f(θ + s) with every trial; a descent
/// that learns from gradients (L-BFGS) gets the accepted point's, evaluated on the step's data if
/// the search did not already. That gradient then starts the next step when it begins at the same
/// θ on the same data (same Problem::data_version()), so a full-batch L-BFGS step costs the line
/// search's evaluations alone.
///
/// Checkpoint keys: num_parameters, num_steps, has_previous_step, previous_step, the best
/// iterate's, and those of the search and the descent.
/// @tparam Scalar float or double
template <class Scalar>
class DescentSearchMinimizer : public Optimizer<Scalar> {
 public:
  /// Throws ConfigError when the options are invalid or the descent's scalar is not the
  /// search's.
  DescentSearchMinimizer(std::string name, std::unique_ptr<Descent<Scalar>> descent,
                         std::unique_ptr<Search> search, const DescentSearchOptions& options = {});

  std::string_view name() const override { return name_; }
  OracleSet required_oracles() const override;
  StepReport step(Problem<Scalar>& problem, VectorRef<Scalar> params) override;
  void reset() override;
  OptimizerState save_state() const override;
  void load_state(const OptimizerState& state) override;
  const Vector<Scalar>* evaluation_parameters() const override;
  /// The loop's options only; a method built on this class lists its own.
  std::vector<std::pair<std::string, std::string>> options() const override;

  const Descent<Scalar>& descent() const { return *descent_; }
  const Search& search() const { return *search_; }

 private:
  /// How a trial ended: refused, or accepted by the search, as an uphill step or by the rescue.
  enum class Verdict { kRejected, kAccepted, kUphill, kRescued };
  struct Trial {
    Verdict verdict = Verdict::kRejected;
    TrialOutcome outcome{.f_new = std::numeric_limits<double>::quiet_NaN()};
    double scalar = 0;
    double learning_rate = 0;  ///< the rescue's learning rate (kRescued)
    int iterations = 0;        ///< inner iterations of the descent
    /// Refused after acceptance: the gradient at the trial, which the descent learns from, was
    /// not finite.
    bool non_finite_gradient = false;
  };

  // The phases of step(), in order.
  void resize(Index n);
  bool evaluate_gradient(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                         StepReport& report);
  bool gradient_converged(StepReport& report) const;
  bool prepare(Problem<Scalar>& problem, ConstVectorRef<Scalar> params, StepReport& report);
  StepStart step_start(const StepReport& report) const;
  Trial try_step(Problem<Scalar>& problem, ConstVectorRef<Scalar> params, StepReport& report);
  bool second_chance(Problem<Scalar>& problem, ConstVectorRef<Scalar> params, Trial& trial,
                     StepReport& report);
  void form_trial(ConstVectorRef<Scalar> params, double lr);
  /// f(θ + lr·direction_) into trial_; NaN when the trial is not finite.
  double evaluate_trial(Problem<Scalar>& problem, ConstVectorRef<Scalar> params, double lr,
                        StepReport& report);
  /// The same with ∇f(θ + lr·direction_) into trial_gradient_.
  double evaluate_trial_gradient(Problem<Scalar>& problem, ConstVectorRef<Scalar> params, double lr,
                                 StepReport& report);
  /// ∇f at the accepted trial for a descent that learns from it; false when it is not finite.
  bool gradient_for_descent(Problem<Scalar>& problem, Trial& trial, StepReport& report);
  void commit(Problem<Scalar>& problem, const Trial& trial, VectorRef<Scalar> params,
              StepReport& report);
  /// Keeps (f, ∇f = grad_) at θ for the next step to reuse.
  void remember(const Problem<Scalar>& problem, ConstVectorRef<Scalar> params, double value);
  void test_convergence(const Trial& trial, ConstVectorRef<Scalar> params,
                        StepReport& report) const;
  /// A refused, evaluated trial with |f_old − f_new| ≤ function_tolerance·f_old.
  bool refused_within_function_tolerance(const TrialOutcome& outcome) const;
  void finish(StepReport& report, int inner_iterations) const;
  /// The scalar into the report's field for its kind.
  void report_scalar(StepReport& report, double scalar) const;

  bool tracks_best() const {
    return options_.keep_best || (options_.uphill && options_.uphill_from_best);
  }
  /// Gradients at accepted points are evaluated anyway, so the next step may reuse them.
  bool reuses_gradients() const {
    return search_->needs_trial_gradient() || descent_->needs_accepted_gradient();
  }

  std::string name_;
  std::unique_ptr<Descent<Scalar>> descent_;
  std::unique_ptr<Search> search_;
  DescentSearchOptions options_;
  Index n_ = 0;
  std::int64_t num_steps_ = 0;
  Vector<Scalar> grad_, trial_, direction_, previous_, trial_gradient_;
  bool has_previous_ = false;
  bool trial_gradient_fresh_ = false;  // trial_gradient_ is ∇f at trial_
  double trial_scalar_ = 0;            // the scalar of the trial being evaluated
  // The gradient grad_ at the last accepted point, for reuse (reuses_gradients()).
  const Problem<Scalar>* cached_problem_ = nullptr;
  std::uint64_t cached_version_ = 0;
  Vector<Scalar> cached_params_;
  double cached_value_ = 0;
  std::optional<DescentPoint<Scalar>> point_;  // this step's, from prepare() on
  BestIterate<Scalar> best_;
};

extern template class DescentSearchMinimizer<float>;
extern template class DescentSearchMinimizer<double>;

}  // namespace curvopt
