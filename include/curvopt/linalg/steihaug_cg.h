#pragma once
/// Truncated conjugate gradients for the trust-region subproblem (Steihaug 1983; Toint 1981):
/// min_s m(s) = gᵀs + ½sᵀBs subject to ‖s‖ ≤ Δ, with B symmetric, possibly indefinite, given only
/// as products.

#include <string_view>

#include "curvopt/core/types.h"
#include "curvopt/linalg/linear_operator.h"

namespace curvopt {

/// Why SteihaugCg::solve returned.
enum class SteihaugTermination {
  kConverged,  ///< ‖r‖ ≤ max(absolute_tolerance, relative_tolerance·‖g‖) inside the region
  kBoundary,           ///< the next CG iterate would leave the region: s is on ‖s‖ = Δ
  kNegativeCurvature,  ///< dᵀBd ≤ curvature_threshold: s follows d to the boundary
  kMaxIterations,      ///< the iteration limit was reached inside the region
  kNonFinite,          ///< a NaN or Inf appeared; s is the last finite iterate
};

std::string_view to_string(SteihaugTermination termination);

/// Options of SteihaugCg. The sampled L-SR1 code of Berahas, Jahani, Richtárik & Takáč (2019)
/// corresponds to relative_tolerance = 0, absolute_tolerance = 1e-10, curvature_threshold = 1e-12.
struct SteihaugOptions {
  /// Iteration limit; 0: n (CG's finite termination in exact arithmetic).
  int max_iterations = 0;
  /// Stop inside the region when ‖r‖ ≤ max(absolute_tolerance, relative_tolerance·‖g‖), r = g + Bs.
  double relative_tolerance = 1e-6;
  double absolute_tolerance = 0;
  /// Treat dᵀBd ≤ curvature_threshold as non-positive curvature (0: the textbook test).
  double curvature_threshold = 0;
};

/// The outcome of one solve.
struct SteihaugResult {
  int iterations = 0;              ///< products with B
  double predicted_reduction = 0;  ///< −m(s) = −(gᵀs + ½sᵀBs) ≥ 0
  double step_norm = 0;            ///< ‖s‖
  bool hit_boundary = false;       ///< ‖s‖ = Δ (kBoundary or kNegativeCurvature)
  SteihaugTermination termination = SteihaugTermination::kConverged;
};

/// Started from s = 0, the iterates grow monotonically in norm and m decreases monotonically
/// (Steihaug 1983; Nocedal & Wright 2006, Thm 7.3), so the first exit from the region is the best
/// boundary point along the CG path, and the first step alone gives the Cauchy decrease that
/// trust-region convergence theory needs. The model value is tracked by the scalar recurrence m(s +
/// a d) = m(s) + a dᵀr + ½a² dᵀBd, so it costs no products beyond the iteration's one.
///
/// Work vectors are allocated by resize() (or the first solve); solve() then allocates nothing.
/// @tparam Scalar float or double
template <class Scalar>
class SteihaugCg {
 public:
  explicit SteihaugCg(const SteihaugOptions& options = {});

  void resize(Index n);
  const SteihaugOptions& options() const { return options_; }
  /// New options (a per-point tolerance), keeping the work vectors.
  void set_options(const SteihaugOptions& options);

  /// Approximately minimizes gᵀs + ½sᵀBs over ‖s‖ ≤ radius (> 0); writes s.
  SteihaugResult solve(LinearOperatorRef<Scalar> B, ConstVectorRef<Scalar> g, double radius,
                       VectorRef<Scalar> s);

 private:
  SteihaugOptions options_;
  Vector<Scalar> r_, d_, bd_;
};

extern template class SteihaugCg<float>;
extern template class SteihaugCg<double>;

}  // namespace curvopt
