#pragma once
/// Linear conjugate gradients (Hestenes & Stiefel 1952) for A x = b with A symmetric positive
/// definite, given only as products: warm starts, an optional preconditioner, the
/// relative-progress stop and iterate history of Hessian-free optimization (Martens 2010).

#include <string_view>
#include <vector>

#include "curvopt/core/types.h"
#include "curvopt/linalg/linear_operator.h"

namespace curvopt {

/// Why ConjugateGradient::solve returned.
enum class CgTermination {
  kResidual,           ///< ‖r‖ ≤ tolerance·‖b‖ (also: b = 0)
  kRelativeProgress,   ///< Martens' (2010) test: φ stopped decreasing fast enough
  kMaxIterations,      ///< the iteration limit was reached
  kNegativeCurvature,  ///< pᵀAp ≤ 0: A is not positive definite along direction()
  kNonFinite,          ///< a NaN or Inf appeared (in b, in a product or a preconditioner)
};

std::string_view to_string(CgTermination termination);

/// Options of ConjugateGradient.
struct CgOptions {
  /// Iteration limit (one product with A each), ≥ 0. Martens' (2010) HF uses 250.
  int max_iterations = 250;
  /// Stop when ‖r‖ ≤ tolerance·‖b‖ (r = b − A x, the recursively updated residual), ≥ 0.
  double tolerance = 1e-10;
  /// Martens' (2010) relative-progress stop on φ(x) = ½xᵀAx − bᵀx: stop after iteration i > k
  /// when φ_i < 0 and (φ_i − φ_{i−k})/φ_i < k·ε, with k = max(min_window, ⌈window_fraction·i⌉).
  bool relative_progress = false;
  double progress_epsilon = 5e-4;  ///< ε (Martens 2010; some ports use 5e-6)
  int progress_min_window = 10;
  double progress_window_fraction = 0.1;
  /// Recompute r = b − A x every this many iterations (0: never). One extra product each time;
  /// counters the drift of the recursive residual on long float runs (init2winit uses 10).
  int residual_refresh = 0;
  /// Keep the iterates x_i at i = ⌈history_first·history_ratio^j⌉, j = 0, 1, …, and the final
  /// one, for Martens' (2010) CG backtracking (he uses 5 and 1.3).
  bool keep_history = false;
  double history_first = 5;
  double history_ratio = 1.3;
};

/// The outcome of one solve.
struct CgResult {
  int iterations = 0;        ///< products with A in the recursion (refreshes not counted)
  double residual_norm = 0;  ///< ‖r‖ of the final x (recursive residual)
  double quadratic = 0;      ///< φ(x) = ½xᵀAx − bᵀx = −½xᵀ(r + b) of the final x
  CgTermination termination = CgTermination::kResidual;
};

/// Preconditioned CG (Golub & Van Loan 2013, Alg. 11.5.1): with M⁻¹ given as an operator
/// z = M⁻¹ r (symmetric positive definite), it is CG on M^(-1/2) A M^(-1/2) and converges in
/// iterations that grow with √κ of that matrix rather than of A.
///
/// Every scalar of the recursion (α, β, ‖r‖², φ) is computed in double; vectors stay in Scalar.
/// Without a preconditioner, warm start or residual refresh, the vector operations are exactly
/// those of the textbook loop from x₀ = 0 (the progress test and the history only read them),
/// so a hand-written CG of that form can be replaced without a change in its bits.
///
/// Work vectors (and the history) are allocated by resize(); solve() allocates nothing.
/// @tparam Scalar float or double
template <class Scalar>
class ConjugateGradient {
 public:
  explicit ConjugateGradient(const CgOptions& options = {});

  /// Sizes the work vectors for dimension n (and the history, when kept).
  void resize(Index n);
  const CgOptions& options() const { return options_; }

  /// Solves A x = b. With warm_start, x holds x₀ on entry (one extra product for r₀ = b − Ax₀);
  /// otherwise x₀ = 0 and r₀ = b without a product. On return x holds the last iterate (for
  /// kNegativeCurvature: the iterate before the bad direction). x may not alias b. Resizes
  /// if n changed.
  CgResult solve(LinearOperatorRef<Scalar> A, ConstVectorRef<Scalar> b, VectorRef<Scalar> x,
                 bool warm_start = false);
  /// The same, preconditioned: `preconditioner(r, z)` writes z = M⁻¹ r.
  CgResult solve(LinearOperatorRef<Scalar> A, ConstVectorRef<Scalar> b, VectorRef<Scalar> x,
                 LinearOperatorRef<Scalar> preconditioner, bool warm_start = false);

  /// The last search direction p (for kNegativeCurvature: the one with pᵀAp ≤ 0).
  const Vector<Scalar>& direction() const { return p_; }

  /// Iterates kept by the last solve (keep_history), in increasing iteration order; the last
  /// one is the final iterate.
  int history_size() const { return history_size_; }
  int history_iteration(int j) const { return history_iterations_[static_cast<std::size_t>(j)]; }
  auto history_iterate(int j) const { return history_.col(j); }
  /// φ(x) = ½xᵀAx − bᵀx of kept iterate j (from two dot products, no product with A).
  double history_quadratic(int j) const { return history_quadratic_[static_cast<std::size_t>(j)]; }

 private:
  CgResult run(LinearOperatorRef<Scalar> A, ConstVectorRef<Scalar> b, VectorRef<Scalar> x,
               const LinearOperatorRef<Scalar>* preconditioner, bool warm_start);
  bool progress_stalled(int i, double phi);
  void remember(int i, ConstVectorRef<Scalar> x, ConstVectorRef<Scalar> b);
  void keep(int i, ConstVectorRef<Scalar> x, ConstVectorRef<Scalar> b);

  CgOptions options_;
  Vector<Scalar> r_, z_, p_, ap_;
  std::vector<double> phi_ring_;  // φ_i at slot i mod size
  std::vector<int> schedule_;     // the iterations whose iterates are kept
  Matrix<Scalar> history_;        // n × (schedule + 1)
  std::vector<int> history_iterations_;
  std::vector<double> history_quadratic_;
  int history_size_ = 0;
  std::size_t next_scheduled_ = 0;
};

extern template class ConjugateGradient<float>;
extern template class ConjugateGradient<double>;

}  // namespace curvopt
