#pragma once
/// L-BFGS with a strong-Wolfe, Armijo or no line search.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/linalg/lbfgs_memory.h"
#include "curvopt/optim/descent_search_minimizer.h"
#include "curvopt/optim/option_fields.h"
#include "curvopt/optim/quasi_newton/lbfgs_descent.h"
#include "curvopt/optim/search/line_search_options.h"

namespace curvopt {

/// Options of Lbfgs. Defaults are PyTorch's torch.optim.LBFGS except the line search, which
/// PyTorch leaves off by default: a fixed unit step makes L-BFGS diverge on badly scaled
/// problems, so curvopt searches for a strong-Wolfe step unless told otherwise.
struct LbfgsOptions {
  /// Scale of the first trial step α₀ > 0: α₀ = learning_rate, or learning_rate·min(1, 1/‖g‖₁)
  /// while no curvature pair is stored (PyTorch's rule). Default 1.
  double learning_rate = 1;
  /// Curvature pairs kept, ≥ 1. Default 100 (PyTorch's history_size).
  int memory = 100;
  /// How the step along the direction is accepted. Default strong Wolfe, c₁ 1e-4, c₂ 0.9.
  LineSearchOptions line_search;
  /// A pair is stored only when sᵀy > curvature_epsilon·‖s‖‖y‖ (as the sampled
  /// quasi-Newton code of Berahas et al. 2022). Default 1e-8.
  double curvature_epsilon = 1e-8;
  /// Converged when ‖∇f‖∞ ≤ this. Default 1e-7 (PyTorch's tolerance_grad).
  double gradient_tolerance = 1e-7;
  /// Converged when a step changes f or any coordinate of θ by less. Default 1e-9
  /// (PyTorch's tolerance_change).
  double change_tolerance = 1e-9;
  /// After a failed line search, drop the pairs so the next step starts from steepest descent.
  bool reset_on_failure = true;

  std::optional<std::string> validate() const;
};

/// Limited-memory BFGS (Liu & Nocedal 1989) as a composition: the two-loop descent
/// (LbfgsDescent: d = −H∇f over the newest `memory` pairs sₖ = θₖ₊₁ − θₖ,
/// yₖ = ∇f(θₖ₊₁) − ∇f(θₖ)) × a line search along d (StrongWolfeSearch, BacktrackingSearch for
/// Armijo, or FixedSearch for none) on the DescentSearchMinimizer loop.
///
/// Full batch or minibatch: both gradients of a pair are taken on the batch bound during the step
/// (the line search evaluates the new gradient on it), so that the pair is consistent. On
/// unchanged data (same Problem::data_version()) the gradient at an accepted point is reused by
/// the next step.
/// Cost per step: 4·memory·n flops plus one gradient per line-search trial (often one);
/// memory 2·memory·n. Oracles: value, gradient. Registry name: `lbfgs`. Checkpoint keys: the
/// loop's and the descent's (num_pairs, pairs_s, pairs_y).
/// @tparam Scalar float or double
template <class Scalar>
class Lbfgs final : public DescentSearchMinimizer<Scalar> {
 public:
  using Options = LbfgsOptions;

  explicit Lbfgs(const Options& options = {});

  std::vector<std::pair<std::string, std::string>> options() const override;
  static const OptionFields<Options>& option_fields();

  /// The curvature pairs (for inspection and tests).
  const LbfgsMemory<Scalar>& memory() const {
    return static_cast<const LbfgsDescent<Scalar>&>(this->descent()).memory();
  }
  /// The last line search's outcome (kFailed before the first and after a failed one).
  LineSearchOutcome last_line_search() const;

 private:
  Options options_;
};

extern template class Lbfgs<float>;
extern template class Lbfgs<double>;

}  // namespace curvopt
