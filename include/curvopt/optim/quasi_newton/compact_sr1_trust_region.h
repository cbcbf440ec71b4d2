#pragma once
/// The trust-region step of a compact L-SR1 matrix, shared by S-LSR1 (pairs sampled at the point)
/// and L-SR1 (pairs from past steps).

#include <string>
#include <string_view>

#include "curvopt/linalg/compact_quasi_newton.h"
#include "curvopt/linalg/steihaug_cg.h"
#include "curvopt/optim/descent/descent.h"

namespace curvopt {

/// How the trust-region subproblem min gᵀs + ½sᵀBs, ‖s‖ ≤ Δ is solved.
enum class TrustRegionSolver {
  kSteihaug,  ///< truncated CG (Steihaug 1983), what Berahas et al.'s code does
  kExact,     ///< the global minimizer from the compact matrix's eigendecomposition
              ///< (Brust, Erway & Marcia 2017)
};

std::string_view to_string(TrustRegionSolver solver);
bool parse_enum(std::string_view text, TrustRegionSolver& out);
std::string enum_choices(TrustRegionSolver);

/// The matrix B (filled by the caller through matrix()), its subproblem solver, and sᵀBs of the
/// last step from the solve's own model value, so that predicting a trial's reduction costs no
/// product. Steihaug-CG runs with Berahas et al.'s tolerances: stop at ‖r‖ < 1e-10, curvature
/// ≤ 1e-12 goes to the boundary, at most min(n, 500) iterations.
/// @tparam Scalar float or double
template <class Scalar>
class CompactSr1TrustRegion {
 public:
  explicit CompactSr1TrustRegion(TrustRegionSolver solver) : solver_(solver) {}
  void resize(Index n, int memory);
  CompactLsr1<Scalar>& matrix() { return lsr1_; }
  TrustRegionSolver solver() const { return solver_; }

  /// The step for radius Δ at gradient g into step().
  DescentResult solve(ConstVectorRef<Scalar> g, double radius);
  const Vector<Scalar>& step() const { return step_; }
  /// sᵀBs: of step() from the solve, of another vector by one product.
  double curvature(ConstVectorRef<Scalar> s);

 private:
  TrustRegionSolver solver_;
  CompactLsr1<Scalar> lsr1_;
  SteihaugCg<Scalar> cg_;
  Vector<Scalar> step_, product_;
  double step_curvature_ = 0;
};

extern template class CompactSr1TrustRegion<float>;
extern template class CompactSr1TrustRegion<double>;

}  // namespace curvopt
