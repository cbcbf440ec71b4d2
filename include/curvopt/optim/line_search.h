#pragma once
/// Line searches along a descent direction: Armijo backtracking and strong Wolfe (bracketing and
/// zoom with cubic interpolation; Nocedal & Wright 2006).

#include <optional>
#include <string>
#include <string_view>

#include "curvopt/core/types.h"
#include "curvopt/problem/problem.h"

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

template <class Scalar>
struct LineSearchResult {
  LineSearchOutcome outcome = LineSearchOutcome::kFailed;
  double step_length = 0;             ///< α
  Scalar value = 0;                   ///< φ(α) = f(θ + αd)
  double directional_derivative = 0;  ///< φ'(α) = ∇f(θ + αd)ᵀd
  int num_value_evaluations = 0;      ///< value-only calls (Armijo trials)
  int num_gradient_evaluations = 0;   ///< gradient calls (each also gives the value)
  bool non_finite = false;            ///< failed on a NaN/Inf loss or gradient
  std::string_view message;           ///< why it failed (static text)

  int num_evaluations() const { return num_value_evaluations + num_gradient_evaluations; }

  bool success() const { return outcome != LineSearchOutcome::kFailed; }
};

/// Searches φ(α) = f(θ + αd) for an acceptable α. Strong-Wolfe trials evaluate the value and
/// gradient; Armijo trials only the value, then the gradient once at the accepted step (the
/// Objective reuses that forward pass). After a
/// successful search, point() and gradient() hold θ + αd and ∇f there. Non-finite trial values
/// count as "too large". Buffers are sized once; later searches allocate nothing.
/// @tparam Scalar float or double
template <class Scalar>
class LineSearch {
 public:
  /// Throws ConfigError when the options are invalid.
  explicit LineSearch(const LineSearchOptions& options = {});

  /// `value` = f(θ), `slope` = ∇f(θ)ᵀd (must be < 0), `initial_step` = the first α to try.
  LineSearchResult<Scalar> search(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                                  ConstVectorRef<Scalar> direction, Scalar value, double slope,
                                  double initial_step);

  const Vector<Scalar>& point() const { return point_; }
  const Vector<Scalar>& gradient() const { return grad_; }
  const LineSearchOptions& options() const { return options_; }

 private:
  struct Trial {
    double step = 0, value = 0, slope = 0;
  };
  /// Evaluates φ and φ' at α into point_/grad_.
  Trial evaluate(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                 ConstVectorRef<Scalar> direction, double step, int& evaluations);
  LineSearchResult<Scalar> armijo(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                                  ConstVectorRef<Scalar> direction, double value, double slope,
                                  double step);
  LineSearchResult<Scalar> strong_wolfe(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                                        ConstVectorRef<Scalar> direction, double value,
                                        double slope, double step);
  /// Zoom phase: `lo` satisfies sufficient decrease and φ'(lo)(hi − lo) < 0.
  LineSearchResult<Scalar> zoom(Problem<Scalar>& problem, ConstVectorRef<Scalar> params,
                                ConstVectorRef<Scalar> direction, double value, double slope,
                                Trial lo, Trial hi, int evaluations);
  /// Restores point_/grad_ to the trial `t`, whose gradient was saved in grad_lo_.
  void restore_lo(ConstVectorRef<Scalar> params, ConstVectorRef<Scalar> direction, double step);
  LineSearchResult<Scalar> finish(LineSearchOutcome outcome, const Trial& t,
                                  std::string_view message = {}, bool non_finite = false) const;

  LineSearchOptions options_;
  Vector<Scalar> point_, grad_, grad_lo_;
  int num_values_ = 0, num_gradients_ = 0;  // of the current search
};

/// Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to [lo, hi]; the
/// midpoint of [lo, hi] when the cubic has no minimizer or any input is not finite.
double cubic_minimizer(double x1, double f1, double g1, double x2, double f2, double g2, double lo,
                       double hi);

extern template class LineSearch<float>;
extern template class LineSearch<double>;

}  // namespace curvopt
