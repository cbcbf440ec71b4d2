#include "curvopt/linalg/spectral_trust_region.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

/// ‖s(σ)‖² and Σ g²/(λ + σ)³ over the spectrum (the complement with weight ‖g⊥‖² at γ),
/// skipping the components flagged as excluded (the hard case's eigenspace).
struct Secular {
  ConstVectorRef<double> lambda, g;
  double gamma, g_perp2;
  bool complement;
  double excluded_below = -std::numeric_limits<double>::infinity();  // skip λ ≤ this

  void evaluate(double sigma, double& norm2, double& cubic) const {
    norm2 = cubic = 0;
    for (Index i = 0; i < lambda.size(); ++i) {
      if (lambda(i) <= excluded_below) continue;
      const double d = lambda(i) + sigma, w = g(i) * g(i) / (d * d);
      norm2 += w;
      cubic += w / d;
    }
    if (complement && gamma > excluded_below && g_perp2 > 0) {
      const double d = gamma + sigma, w = g_perp2 / (d * d);
      norm2 += w;
      cubic += w / d;
    }
  }
};

}  // namespace

SpectralTrustRegionResult solve_spectral_trust_region(ConstVectorRef<double> lambda,
                                                      ConstVectorRef<double> g_par, double gamma,
                                                      double g_perp_norm, bool has_complement,
                                                      double radius, VectorRef<double> c,
                                                      const SpectralTrustRegionOptions& options) {
  const Index r = lambda.size();
  if (g_par.size() != r || c.size() != r)
    throw ShapeError("solve_spectral_trust_region: lambda, g_par and c need one length");
  if (!(radius > 0)) throw ValueError("solve_spectral_trust_region: radius must be > 0");
  const double inf = std::numeric_limits<double>::infinity();
  const double lambda_min = std::min(r > 0 ? lambda.minCoeff() : inf, has_complement ? gamma : inf);
  double scale = r > 0 ? lambda.cwiseAbs().maxCoeff() : 0;
  if (has_complement) scale = std::max(scale, std::abs(gamma));
  const double g_perp2 = has_complement ? g_perp_norm * g_perp_norm : 0;
  const double g_norm = std::sqrt(g_par.squaredNorm() + g_perp2);
  Secular secular{lambda, g_par, gamma, g_perp2, has_complement};
  SpectralTrustRegionResult result;

  // Writes c and beta for s = −(B + σI)⁺g, leaving out the excluded components.
  auto finish = [&](double sigma) {
    result.sigma = sigma;
    for (Index i = 0; i < r; ++i)
      c(i) = lambda(i) <= secular.excluded_below ? 0.0 : -g_par(i) / (lambda(i) + sigma);
    result.beta = has_complement && gamma > secular.excluded_below ? -1 / (gamma + sigma) : 0.0;
  };

  if (lambda_min > 0) {
    double norm2, cubic;
    secular.evaluate(0, norm2, cubic);
    if (norm2 <= radius * radius) {  // the Newton step is inside: σ = 0
      finish(0);
      result.step_norm = std::sqrt(norm2);
      return result;
    }
  } else {
    // Hard case (Moré & Sorensen 1983): g has (almost) no component along the eigenspace E of
    // λ_min, and −(B − λ_min I)⁺g is inside the region. Then σ = −λ_min and the step is completed
    // to the boundary along an eigenvector z of E, which changes neither (B + σI)s nor the model.
    const double near = lambda_min + options.hard_case_tolerance * scale;
    double g_e2 = 0;
    for (Index i = 0; i < r; ++i)
      if (lambda(i) <= near) g_e2 += g_par(i) * g_par(i);
    if (has_complement && gamma <= near) g_e2 += g_perp2;
    const double allowed = options.hard_case_tolerance * g_norm;
    if (g_e2 <= allowed * allowed) {
      Secular excluded = secular;
      excluded.excluded_below = near;
      double norm2, cubic;
      excluded.evaluate(-lambda_min, norm2, cubic);
      if (norm2 <= radius * radius) {
        secular.excluded_below = near;
        finish(-lambda_min);
        const double tau = std::sqrt(radius * radius - norm2);
        Index e = -1;
        for (Index i = 0; i < r && e < 0; ++i)
          if (lambda(i) <= near) e = i;
        if (e >= 0) {
          c(e) = tau;  // z = P e_e
        } else {
          result.complement_tau = tau;
        }
        result.hard_case = result.hit_boundary = true;
        result.step_norm = radius;
        return result;
      }
    }
  }

  // ‖s(σ)‖ = Δ on (lo, hi]: ‖s(lo⁺)‖ > Δ here, and ‖s(hi)‖ ≤ ‖g‖/(λ_min + hi) ≤ Δ.
  const double lo = std::max(0.0, -lambda_min), hi = lo + g_norm / radius;
  double a = lo, b = hi;
  // σ* ≥ |g_i|/Δ − λ_i for every component: a point left of the root (or at it).
  double sigma = lo;
  for (Index i = 0; i < r; ++i) sigma = std::max(sigma, std::abs(g_par(i)) / radius - lambda(i));
  if (has_complement) sigma = std::max(sigma, g_perp_norm / radius - gamma);
  if (sigma <= lo && lambda_min <= 0) sigma = 0.5 * (a + b);  // lo itself is a pole
  sigma = std::min(sigma, hi);
  double norm2, cubic;
  while (result.iterations < options.max_iterations) {
    ++result.iterations;
    secular.evaluate(sigma, norm2, cubic);
    const double norm = std::sqrt(norm2);
    if (std::abs(norm - radius) <= options.tolerance * radius) break;
    (norm > radius ? a : b) = sigma;
    if (b - a <= 4 * std::numeric_limits<double>::epsilon() * std::max(1.0, b)) break;
    // Newton on φ(σ) = 1/‖s‖ − 1/Δ: φ' = Σ g²/(λ + σ)³ / ‖s‖³; bisection when it leaves (a, b).
    const double phi = 1 / norm - 1 / radius, slope = cubic / (norm2 * norm);
    const double next = sigma - phi / slope;
    sigma = next > a && next < b ? next : 0.5 * (a + b);
  }
  secular.evaluate(sigma, norm2, cubic);
  const double norm = std::sqrt(norm2);
  finish(sigma);
  result.step_norm = norm;
  result.hit_boundary = true;
  return result;
}

}  // namespace curvopt
