#pragma once
/// What a line search along a descent direction is told and how it ended: Armijo backtracking
/// (BacktrackingSearch) or strong Wolfe (StrongWolfeSearch: bracketing and zoom with cubic
/// interpolation; Nocedal & Wright 2006).

#include <optional>
#include <string>
#include <string_view>

namespace curvopt {

enum class LineSearchKind {
  kNone,         ///< take the initial step as it is (only a non-finite result is refused)
  kArmijo,       ///< backtrack by `backtrack_factor` until sufficient decrease holds
  kStrongWolfe,  ///< sufficient decrease and |φ'(α)| ≤ c₂|φ'(0)| (Nocedal & Wright Alg. 3.5/3.6)
};

std::string_view to_string(LineSearchKind kind);
bool parse_enum(std::string_view text, LineSearchKind& out);
std::string enum_choices(LineSearchKind);

struct LineSearchOptions {
  LineSearchKind kind = LineSearchKind::kStrongWolfe;
  /// Sufficient-decrease constant c₁ in (0, 1), and below c₂ for strong Wolfe. Default 1e-4.
  double c1 = 1e-4;
  /// Curvature constant c₂ in (c₁, 1) for strong Wolfe. Default 0.9.
  double c2 = 0.9;
  /// Armijo: α ← backtrack_factor·α after a failed trial, in (0, 1). Default 0.5.
  double backtrack_factor = 0.5;
  /// Function evaluations allowed per search, ≥ 1. Default 25 (PyTorch's max_ls).
  int max_evaluations = 25;
  /// Armijo fails once α falls below this. Default 1e-25 (as the sampled quasi-Newton code
  /// of Berahas et al. 2022).
  double min_step = 1e-25;
  /// Zoom stops once the bracket is shorter than this along the direction (|Δα|·‖d‖∞).
  /// Default 1e-9 (PyTorch's tolerance_change).
  double bracket_tolerance = 1e-9;

  std::optional<std::string> validate() const;
};

/// How a search ended.
enum class LineSearchOutcome {
  kStrongWolfe,         ///< both strong-Wolfe conditions hold at the returned step
  kSufficientDecrease,  ///< Armijo holds (the goal of kArmijo; the fallback of kStrongWolfe when
                        ///< its bracket or evaluation budget ran out)
  kUnchecked,           ///< kNone: the step was taken as given
  kFailed,              ///< no acceptable step found
};

/// Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to [lo, hi]; the
/// midpoint of [lo, hi] when the cubic has no minimizer or any input is not finite.
double cubic_minimizer(double x1, double f1, double g1, double x2, double f2, double g2, double lo,
                       double hi);

}  // namespace curvopt
