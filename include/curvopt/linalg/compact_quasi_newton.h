#pragma once
/// Compact representations of limited-memory quasi-Newton matrices (Byrd, Nocedal & Schnabel
/// 1994) from k curvature pairs S = [s_1 … s_k], Y = [y_1 … y_k] (n × k, oldest first):
/// L-BFGS as B and H = B⁻¹, and L-SR1 with its eigendecomposition and exact trust-region step.

#include "curvopt/core/types.h"
#include "curvopt/linalg/spectral_trust_region.h"
#include "curvopt/linalg/symmetric_eigen.h"

namespace curvopt {

/// The SR1 safeguard as Berahas, Jahani, Richtárik & Takáč (2019) apply it (Nocedal & Wright
/// 2006, §6.2): accept the pair when |sᵀu| > ε‖s‖‖u‖ for u = y − Bs, so that the update's
/// denominator uᵀs is not small (and u = 0, which would make the update singular, is refused).
template <class Scalar>
bool sr1_pair_acceptable(ConstVectorRef<Scalar> s, ConstVectorRef<Scalar> u, double epsilon);

/// L-BFGS from B₀ = γI:
///   B = γI − [γS Y] [[γSᵀS, L], [Lᵀ, −D]]⁻¹ [γS Y]ᵀ
///   H = γ⁻¹I + [S γ⁻¹Y] [[R⁻ᵀ(D + γ⁻¹YᵀY)R⁻¹, −R⁻ᵀ], [−R⁻¹, 0]] [S γ⁻¹Y]ᵀ
/// with SᵀY = L + R (L strictly lower, R upper), D = diag(sᵢᵀyᵢ). Both equal the recursive
/// BFGS updates applied to the pairs in order (B) and the two-loop recursion (H, with H₀ = γ⁻¹I).
/// The middle 2k × 2k solve is done through its Schur complement γSᵀS + L D⁻¹ Lᵀ (SPD; a k × k
/// Cholesky). set_pairs() costs O(nk²), each product 4nk + O(k²); small matrices in double.
/// Allocation-free after resize().
/// @tparam Scalar float or double
template <class Scalar>
class CompactLbfgs {
 public:
  void resize(Index n, int capacity);
  /// Copies k ≤ capacity pairs (columns, oldest first) and sets B₀ = γI (γ > 0). False when
  /// some sᵢᵀyᵢ ≤ 0 or S is numerically rank deficient (the representation is then empty).
  bool set_pairs(ConstMatrixRef<Scalar> S, ConstMatrixRef<Scalar> Y, double gamma);
  int size() const { return k_; }

  void apply(ConstVectorRef<Scalar> v, VectorRef<Scalar> out);          ///< out = B v
  void apply_inverse(ConstVectorRef<Scalar> v, VectorRef<Scalar> out);  ///< out = H v

 private:
  Index n_ = 0;
  int k_ = 0;
  double gamma_ = 1;
  Matrix<Scalar> S_, Y_;
  Matrix<Scalar> small_;                    // capacity², Scalar inner products before the cast
  Matrix<double> sts_, sty_, yty_, schur_;  // capacity²; schur_ holds its Cholesky factor
  Vector<double> w1_, w2_, p_;
  Vector<Scalar> inner_, coeff_;
};

/// L-SR1 from B₀ = γI (γ = 0 in the sampled L-SR1 of Berahas et al. 2019):
///   B = γI + Ψ M⁻¹ Ψᵀ,  Ψ = Y − γS,  M = D + L + Lᵀ − γSᵀS.
/// Pairs enter one at a time through the SR1 test against the B built so far, which also keeps
/// M nonsingular (its LDLᵀ pivots are the tested denominators). For the trust-region step the
/// eigendecomposition B = P diag(λ) Pᵀ + γ(I − PPᵀ) is formed without an n × k QR (Brust,
/// Erway & Marcia 2017 use a thin QR of Ψ): from ΨᵀΨ = VΣVᵀ, P = Ψ V Σ^(-1/2) U where
/// U diag(λ − γ) Uᵀ is the eigendecomposition of Σ^(1/2) Vᵀ M⁻¹ V Σ^(1/2); directions of Ψ with
/// Σ below k·ε·max Σ are dropped as rank deficiency. P is kept as Ψ T (T is k × r), so
/// products cost 2nk. Small matrices are in double. Allocation-free after resize().
/// @tparam Scalar float or double
template <class Scalar>
class CompactLsr1 {
 public:
  void resize(Index n, int capacity);
  /// Removes the pairs: B = γI.
  void reset(double gamma);
  int size() const { return k_; }
  double gamma() const { return gamma_; }

  /// Appends (s, y) when it passes sr1_pair_acceptable(s, y − Bs, ε) for the current B, B does
  /// not already satisfy it up to rounding (‖y − Bs‖ > √ε_mach·‖y‖), and there is room; returns
  /// whether it did. O(nk) plus an O(k³) eigendecomposition of M.
  bool add_pair(ConstVectorRef<Scalar> s, ConstVectorRef<Scalar> y, double epsilon = 1e-8);
  /// add_pair for each column in order; returns how many were accepted.
  int add_pairs(ConstMatrixRef<Scalar> S, ConstMatrixRef<Scalar> Y, double epsilon = 1e-8);

  void apply(ConstVectorRef<Scalar> v, VectorRef<Scalar> out);  ///< out = B v (no aliasing)

  /// Eigenvalues of B on span P (ascending, r of them); the rest of Rⁿ has eigenvalue γ.
  ConstVectorMap<double> eigenvalues();

  /// The global minimizer of gᵀs + ½sᵀBs over ‖s‖ ≤ Δ (solve_spectral_trust_region), with the
  /// predicted reduction −(gᵀs + ½sᵀBs) ≥ 0 (one extra product).
  struct TrustRegionStep {
    SpectralTrustRegionResult spectral;
    double predicted_reduction = 0;
  };
  TrustRegionStep solve_trust_region(ConstVectorRef<Scalar> g, double radius, VectorRef<Scalar> s);

 private:
  void apply_middle_inverse(int k);  // w_ ← M⁻¹ w_ (first k entries)
  void update_spectrum();
  void unit_complement_vector(VectorRef<Scalar> z);

  Index n_ = 0;
  int k_ = 0, rank_ = 0;
  double gamma_ = 0;
  bool spectrum_stale_ = true;
  Matrix<Scalar> S_, Y_, psi_;
  Matrix<double> sty_, sts_, ptp_, m_, x_, t_, small_;  // capacity²
  Vector<double> lambda_, w_, u_, c_, g_par_;
  Vector<Scalar> inner_, coeff_, work_, bs_;
  SymmetricEigen<double> eig_m_, eig_;
};

extern template bool sr1_pair_acceptable<float>(ConstVectorRef<float>, ConstVectorRef<float>,
                                                double);
extern template bool sr1_pair_acceptable<double>(ConstVectorRef<double>, ConstVectorRef<double>,
                                                 double);
extern template class CompactLbfgs<float>;
extern template class CompactLbfgs<double>;
extern template class CompactLsr1<float>;
extern template class CompactLsr1<double>;

}  // namespace curvopt
