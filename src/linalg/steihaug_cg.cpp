#include "curvopt/linalg/steihaug_cg.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

/// The τ ≥ 0 with ‖s + τd‖ = Δ, from ss = ‖s‖² ≤ Δ², sd = sᵀd, dd = ‖d‖² > 0. Of the two
/// algebraically equal forms of the positive root, the one without cancellation is used.
double boundary_step(double ss, double sd, double dd, double radius) {
  const double b = 2 * sd, c = std::min(0.0, ss - radius * radius);
  const double root = std::sqrt(b * b - 4 * dd * c);
  if (b < 0) return (root - b) / (2 * dd);
  const double denominator = b + root;
  return denominator > 0 ? -2 * c / denominator : 0.0;
}

}  // namespace

std::string_view to_string(SteihaugTermination termination) {
  switch (termination) {
    case SteihaugTermination::kConverged:
      return "converged";
    case SteihaugTermination::kBoundary:
      return "boundary";
    case SteihaugTermination::kNegativeCurvature:
      return "negative-curvature";
    case SteihaugTermination::kMaxIterations:
      return "max-iterations";
    case SteihaugTermination::kNonFinite:
      return "non-finite";
  }
  return "unknown";
}

template <class Scalar>
SteihaugCg<Scalar>::SteihaugCg(const SteihaugOptions& options) {
  set_options(options);
}

template <class Scalar>
void SteihaugCg<Scalar>::set_options(const SteihaugOptions& options) {
  if (options.max_iterations < 0 || options.relative_tolerance < 0 ||
      options.absolute_tolerance < 0)
    throw ConfigError(
        "SteihaugOptions: max_iterations, relative_tolerance and absolute_tolerance must be >= 0");
  options_ = options;
}

template <class Scalar>
void SteihaugCg<Scalar>::resize(Index n) {
  r_.resize(n);
  d_.resize(n);
  bd_.resize(n);
}

template <class Scalar>
SteihaugResult SteihaugCg<Scalar>::solve(LinearOperatorRef<Scalar> B, ConstVectorRef<Scalar> g,
                                         double radius, VectorRef<Scalar> s) {
  const Index n = g.size();
  if (s.size() != n)
    throw ShapeError("SteihaugCg: s has length " + std::to_string(s.size()) + ", g " +
                     std::to_string(n));
  if (!(radius > 0)) throw ValueError("SteihaugCg: radius must be > 0");
  if (r_.size() != n) resize(n);
  const int max_iterations =
      options_.max_iterations > 0 ? options_.max_iterations : static_cast<int>(n);
  s.setZero();
  r_ = g;  // r = g + Bs
  d_ = -g;
  double rr = static_cast<double>(r_.squaredNorm());
  const double tolerance =
      std::max(options_.absolute_tolerance, options_.relative_tolerance * std::sqrt(rr));
  double model = 0;  // m(s)

  SteihaugResult result;
  result.termination = SteihaugTermination::kMaxIterations;
  if (!std::isfinite(rr)) {
    result.termination = SteihaugTermination::kNonFinite;
  } else if (std::sqrt(rr) <= tolerance) {
    result.termination = SteihaugTermination::kConverged;
  }
  while (result.termination == SteihaugTermination::kMaxIterations &&
         result.iterations < max_iterations) {
    B(d_, bd_);
    ++result.iterations;
    const auto kappa = static_cast<double>(d_.dot(bd_));
    const auto dr = static_cast<double>(d_.dot(r_));
    if (!std::isfinite(kappa)) {
      result.termination = SteihaugTermination::kNonFinite;
      break;
    }
    const auto ss = static_cast<double>(s.squaredNorm()), sd = static_cast<double>(s.dot(d_)),
               dd = static_cast<double>(d_.squaredNorm());
    const double alpha = rr / kappa;
    const bool negative = kappa <= options_.curvature_threshold;
    if (negative || ss + alpha * (2 * sd + alpha * dd) >= radius * radius) {
      // Along d to the boundary: past it (positive curvature) or downhill all the way (not).
      const double tau = boundary_step(ss, sd, dd, radius);
      s += static_cast<Scalar>(tau) * d_;
      model += tau * dr + 0.5 * tau * tau * kappa;
      result.hit_boundary = true;
      result.termination =
          negative ? SteihaugTermination::kNegativeCurvature : SteihaugTermination::kBoundary;
      break;
    }
    s += static_cast<Scalar>(alpha) * d_;
    model += alpha * dr + 0.5 * alpha * alpha * kappa;
    r_ += static_cast<Scalar>(alpha) * bd_;
    const auto rr_next = static_cast<double>(r_.squaredNorm());
    if (!std::isfinite(rr_next)) {
      result.termination = SteihaugTermination::kNonFinite;
      break;
    }
    if (std::sqrt(rr_next) <= tolerance) {
      result.termination = SteihaugTermination::kConverged;
      break;
    }
    d_ = static_cast<Scalar>(rr_next / rr) * d_ - r_;
    rr = rr_next;
  }
  result.predicted_reduction = -model;
  result.step_norm = static_cast<double>(s.norm());
  return result;
}

template class SteihaugCg<float>;
template class SteihaugCg<double>;

}  // namespace curvopt
