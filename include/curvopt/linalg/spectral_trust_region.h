#pragma once
/// The exact trust-region step for a matrix known by its eigendecomposition on a subspace,
/// B = P diag(λ) Pᵀ + γ(I − PPᵀ) with P orthonormal (n × r): the form in which Brust, Erway &
/// Marcia (2017) solve limited-memory SR1 trust-region subproblems ("OBS").

#include "curvopt/core/types.h"

namespace curvopt {

/// Options of solve_spectral_trust_region.
struct SpectralTrustRegionOptions {
  /// Stop the secular iteration when |‖s(σ)‖ − Δ| ≤ tolerance·Δ.
  double tolerance = 1e-12;
  int max_iterations = 100;
  /// Eigenvalues within hard_case_tolerance·max|λ| of the smallest count as equal to it, and g
  /// is taken to have no component along them when that component is below
  /// hard_case_tolerance·‖g‖ (Moré & Sorensen's 1983 hard case).
  double hard_case_tolerance = 1e-8;
};

/// The global minimizer of gᵀs + ½sᵀBs over ‖s‖ ≤ Δ (Moré & Sorensen 1983): s = −(B + σI)⁺g
/// (+ τz in the hard case), σ ≥ 0, B + σI ⪰ 0, σ(Δ − ‖s‖) = 0. In the coordinates returned:
///   s = P c + beta·(I − PPᵀ)g + complement_tau·z⊥,
/// with c written by the solver and z⊥ any unit vector orthogonal to P (needed only in the hard
/// case when γ is the smallest eigenvalue).
struct SpectralTrustRegionResult {
  double sigma = 0;           ///< the multiplier σ
  double step_norm = 0;       ///< ‖s‖
  int iterations = 0;         ///< secular-equation (Newton or bisection) steps
  bool hit_boundary = false;  ///< ‖s‖ = Δ
  bool hard_case = false;     ///< σ = −λ_min with g ⟂ its eigenspace: s gets a τz component
  double beta = 0;            ///< coefficient of (I − PPᵀ)g: −1/(γ + σ)
  double complement_tau = 0;  ///< coefficient of z⊥ (hard case in the complement only)
};

/// Solves the subproblem from λ (r eigenvalues on span P), g_par = Pᵀg, γ, ‖(I − PPᵀ)g‖, and
/// whether the complement of span P is non-trivial (r < n); writes c (length r).
/// The secular equation 1/‖s(σ)‖ = 1/Δ, concave and increasing in σ, is solved by Newton's
/// method safeguarded by bisection on a bracket [max(0, −λ_min), max(0, −λ_min) + ‖g‖/Δ],
/// started from the lower bound max_i |g_i|/Δ − λ_i, so the Newton steps approach σ from the
/// left as in Moré & Sorensen's analysis. Everything is O(r) per iteration, in double.
SpectralTrustRegionResult solve_spectral_trust_region(
    ConstVectorRef<double> lambda, ConstVectorRef<double> g_par, double gamma, double g_perp_norm,
    bool has_complement, double radius, VectorRef<double> c,
    const SpectralTrustRegionOptions& options = {});

}  // namespace curvopt
