#include "curvopt/optim/quasi_newton/compact_sr1_trust_region.h"

#include <algorithm>

#include "curvopt/core/enum_names.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(TrustRegionSolver, {TrustRegionSolver::kSteihaug, "steihaug"},
                   {TrustRegionSolver::kExact, "exact"})

template <class Scalar>
void CompactSr1TrustRegion<Scalar>::resize(Index n, int memory) {
  step_.resize(n);
  product_.resize(n);
  lsr1_.resize(n, memory);
  cg_.resize(n);
  cg_.set_options({.max_iterations = static_cast<int>(std::min<Index>(n, 500)),
                   .relative_tolerance = 0,
                   .absolute_tolerance = 1e-10,
                   .curvature_threshold = 1e-12});
}

template <class Scalar>
DescentResult CompactSr1TrustRegion<Scalar>::solve(ConstVectorRef<Scalar> g, double radius) {
  DescentResult result;
  double predicted;
  if (solver_ == TrustRegionSolver::kExact) {
    predicted = lsr1_.solve_trust_region(g, radius, step_).predicted_reduction;
  } else {
    const SteihaugResult r =
        cg_.solve([this](ConstVectorRef<Scalar> v, VectorRef<Scalar> out) { lsr1_.apply(v, out); },
                  g, radius, step_);
    predicted = r.predicted_reduction;
    result.iterations = r.iterations;
  }
  // The solve knows m(s) = gᵀs + ½sᵀBs = −predicted; keep sᵀBs for curvature().
  step_curvature_ = 2 * (-predicted - static_cast<double>(g.dot(step_)));
  result.ok = step_.allFinite();
  if (!result.ok) result.message = "non-finite trust-region step; radius shrunk";
  return result;
}

template <class Scalar>
double CompactSr1TrustRegion<Scalar>::curvature(ConstVectorRef<Scalar> s) {
  if (s.size() == step_.size() && s == step_) return step_curvature_;
  lsr1_.apply(s, product_);
  return static_cast<double>(s.dot(product_));
}

template class CompactSr1TrustRegion<float>;
template class CompactSr1TrustRegion<double>;

}  // namespace curvopt
