// CompactLsr1 (declared in compact_quasi_newton.h beside CompactLbfgs).

#include <cmath>
#include <limits>
#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/linalg/compact_quasi_newton.h"

namespace curvopt {

template <class Scalar>
void CompactLsr1<Scalar>::resize(Index n, int capacity) {
  if (capacity < 1) throw ConfigError("CompactLsr1: capacity must be >= 1");
  n_ = n;
  for (Matrix<Scalar>* m : {&S_, &Y_, &psi_}) m->resize(n, capacity);
  for (Matrix<double>* m : {&sty_, &sts_, &ptp_, &m_, &x_, &t_, &small_})
    m->resize(capacity, capacity);
  for (Vector<double>* v : {&lambda_, &w_, &u_, &c_, &g_par_}) v->resize(capacity);
  inner_.resize(capacity);
  coeff_.resize(capacity);
  work_.resize(n);
  bs_.resize(n);
  eig_m_.resize(capacity);
  eig_.resize(capacity);
  reset(gamma_);
}

template <class Scalar>
void CompactLsr1<Scalar>::reset(double gamma) {
  gamma_ = gamma;
  k_ = rank_ = 0;
  spectrum_stale_ = true;
}

template <class Scalar>
bool CompactLsr1<Scalar>::add_pair(ConstVectorRef<Scalar> s, ConstVectorRef<Scalar> y,
                                   double epsilon) {
  if (s.size() != n_ || y.size() != n_)
    throw ShapeError("CompactLsr1: a pair of length " + std::to_string(s.size()) + "/" +
                     std::to_string(y.size()) + ", expected " + std::to_string(n_));
  const Index k = k_, kk = k + 1;
  if (k == S_.cols()) return false;
  apply(s, bs_);
  bs_ = y - bs_;  // u = y − Bs
  // A pair B already satisfies up to rounding (a repeated pair) carries no new curvature: its u
  // is rounding noise, whose direction the scale-free test below cannot judge (it accepted such
  // a u under one compiler's rounding and refused it under another's).
  if (!(static_cast<double>(bs_.norm()) >
        std::sqrt(static_cast<double>(std::numeric_limits<Scalar>::epsilon())) *
            static_cast<double>(y.norm())))
    return false;
  if (!sr1_pair_acceptable<Scalar>(s, bs_, epsilon)) return false;
  S_.col(k) = s;
  Y_.col(k) = y;
  psi_.col(k) = y - static_cast<Scalar>(gamma_) * s;
  // The new row and column of SᵀY, SᵀS and ΨᵀΨ: four products of n × (k + 1).
  auto column = [&](const auto& a, ConstVectorRef<Scalar> b) {
    inner_.head(kk).noalias() = a.transpose() * b;
    return inner_.head(kk).template cast<double>();
  };
  sty_.col(k).head(kk) = column(S_.leftCols(kk), y);              // sᵢᵀy_k
  sty_.row(k).head(kk) = column(Y_.leftCols(kk), s).transpose();  // s_kᵀyᵢ
  sts_.col(k).head(kk) = column(S_.leftCols(kk), s);
  sts_.row(k).head(kk) = sts_.col(k).head(kk).transpose();
  ptp_.col(k).head(kk) = column(psi_.leftCols(kk), psi_.col(k));
  ptp_.row(k).head(kk) = ptp_.col(k).head(kk).transpose();
  // M = D + L + Lᵀ − γSᵀS with L_ij = sᵢᵀy_j (i > j).
  for (Index i = 0; i < kk; ++i)
    for (Index j = 0; j <= i; ++j) m_(i, j) = m_(j, i) = sty_(i, j) - gamma_ * sts_(i, j);
  if (!eig_m_.compute(m_.topLeftCorner(kk, kk))) {
    eig_m_.compute(m_.topLeftCorner(k, k));  // drop the pair: M's leading block is the old M
    return false;
  }
  k_ = static_cast<int>(kk);
  spectrum_stale_ = true;
  return true;
}

template <class Scalar>
int CompactLsr1<Scalar>::add_pairs(ConstMatrixRef<Scalar> S, ConstMatrixRef<Scalar> Y,
                                   double epsilon) {
  if (S.cols() != Y.cols()) throw ShapeError("CompactLsr1: S and Y differ in columns");
  int accepted = 0;
  for (Index i = 0; i < S.cols(); ++i) accepted += add_pair(S.col(i), Y.col(i), epsilon);
  return accepted;
}

template <class Scalar>
void CompactLsr1<Scalar>::apply_middle_inverse(int k) {
  // M⁻¹ = W diag(θ)⁻¹ Wᵀ from its eigendecomposition (M is symmetric indefinite).
  const auto W = eig_m_.eigenvectors();
  u_.head(k).noalias() = W.transpose() * w_.head(k);
  u_.head(k).array() /= eig_m_.eigenvalues().array();
  w_.head(k).noalias() = W * u_.head(k);
}

template <class Scalar>
void CompactLsr1<Scalar>::apply(ConstVectorRef<Scalar> v, VectorRef<Scalar> out) {
  const int k = k_;
  out = static_cast<Scalar>(gamma_) * v;
  if (k == 0) return;
  inner_.head(k).noalias() = psi_.leftCols(k).transpose() * v;
  w_.head(k) = inner_.head(k).template cast<double>();
  apply_middle_inverse(k);
  coeff_.head(k) = w_.head(k).template cast<Scalar>();
  out.noalias() += psi_.leftCols(k) * coeff_.head(k);
}

template <class Scalar>
void CompactLsr1<Scalar>::update_spectrum() {
  spectrum_stale_ = false;
  const int k = k_;
  rank_ = 0;
  if (k == 0) return;
  // ΨᵀΨ = VΣVᵀ; the directions with Σ above the rank threshold span Ψ's range.
  eig_.compute(ptp_.topLeftCorner(k, k));
  const auto sigma = eig_.eigenvalues();
  const auto V = eig_.eigenvectors();
  const double threshold = k * std::numeric_limits<Scalar>::epsilon() * sigma(k - 1);
  Index first = 0;
  while (first < k && !(sigma(first) > threshold)) ++first;
  const Index r = k - first;
  if (r == 0) return;
  for (Index j = 0; j < r; ++j) {
    const double root = std::sqrt(sigma(first + j));
    x_.col(j).head(k) = root * V.col(first + j);  // X = V_r Σ^(1/2)
    t_.col(j).head(k) = V.col(first + j) / root;  // V_r Σ^(-1/2), P = Ψ V_r Σ^(-1/2) U below
  }
  // C = Xᵀ M⁻¹ X = (WᵀX)ᵀ Θ⁻¹ (WᵀX); its eigenvalues are B's on span Ψ minus γ.
  const auto W = eig_m_.eigenvectors();
  m_.topLeftCorner(k, r).noalias() = W.transpose() * x_.topLeftCorner(k, r);
  x_.topLeftCorner(k, r) =
      eig_m_.eigenvalues().cwiseInverse().asDiagonal() * m_.topLeftCorner(k, r);
  small_.topLeftCorner(r, r).noalias() =
      m_.topLeftCorner(k, r).transpose() * x_.topLeftCorner(k, r);
  eig_.compute(small_.topLeftCorner(r, r));
  lambda_.head(r) = eig_.eigenvalues().array() + gamma_;
  small_.topLeftCorner(k, r).noalias() = t_.topLeftCorner(k, r) * eig_.eigenvectors();
  t_.topLeftCorner(k, r) = small_.topLeftCorner(k, r);  // T: P = Ψ T
  rank_ = static_cast<int>(r);
}

template <class Scalar>
ConstVectorMap<double> CompactLsr1<Scalar>::eigenvalues() {
  if (spectrum_stale_) update_spectrum();
  return ConstVectorMap<double>(lambda_.data(), rank_);
}

template <class Scalar>
void CompactLsr1<Scalar>::unit_complement_vector(VectorRef<Scalar> z) {
  // e_j − PPᵀe_j for the j whose projection ‖Pᵀe_j‖ = ‖Tᵀ Ψᵀe_j‖ is smallest (below r/n on
  // average, so the result is far from zero).
  const Index k = k_, r = rank_;
  const auto T = t_.topLeftCorner(k, r);
  Index best = 0;
  double best_norm = std::numeric_limits<double>::infinity();
  for (Index j = 0; j < n_; ++j) {
    w_.head(k) = psi_.row(j).head(k).transpose().template cast<double>();
    u_.head(r).noalias() = T.transpose() * w_.head(k);
    if (u_.head(r).squaredNorm() < best_norm) {
      best_norm = u_.head(r).squaredNorm();
      best = j;
    }
  }
  w_.head(k) = psi_.row(best).head(k).transpose().template cast<double>();
  u_.head(r).noalias() = T.transpose() * w_.head(k);
  w_.head(k).noalias() = T * u_.head(r);
  coeff_.head(k) = w_.head(k).template cast<Scalar>();
  z.noalias() = -(psi_.leftCols(k) * coeff_.head(k));
  z(best) += 1;
  z.normalize();
}

template <class Scalar>
typename CompactLsr1<Scalar>::TrustRegionStep CompactLsr1<Scalar>::solve_trust_region(
    ConstVectorRef<Scalar> g, double radius, VectorRef<Scalar> s) {
  if (g.size() != n_ || s.size() != n_)
    throw ShapeError("CompactLsr1: g or s of the wrong length, expected " + std::to_string(n_));
  if (spectrum_stale_) update_spectrum();
  const Index k = k_, r = rank_;
  const auto T = t_.topLeftCorner(k, r);
  // g_par = Pᵀg = TᵀΨᵀg; work = (I − PPᵀ)g, formed explicitly for an accurate ‖g⊥‖.
  work_ = g;
  if (r > 0) {
    inner_.head(k).noalias() = psi_.leftCols(k).transpose() * g;
    w_.head(k) = inner_.head(k).template cast<double>();
    g_par_.head(r).noalias() = T.transpose() * w_.head(k);
    w_.head(k).noalias() = T * g_par_.head(r);
    coeff_.head(k) = w_.head(k).template cast<Scalar>();
    work_.noalias() -= psi_.leftCols(k) * coeff_.head(k);
  }
  SpectralTrustRegionOptions options;
  options.hard_case_tolerance = std::sqrt(std::numeric_limits<Scalar>::epsilon());
  TrustRegionStep step;
  step.spectral = solve_spectral_trust_region(lambda_.head(r), g_par_.head(r), gamma_,
                                              static_cast<double>(work_.norm()), r < n_, radius,
                                              c_.head(r), options);
  // s = P c + β(I − PPᵀ)g (+ τz⊥).
  s = static_cast<Scalar>(step.spectral.beta) * work_;
  if (r > 0) {
    w_.head(k).noalias() = T * c_.head(r);
    coeff_.head(k) = w_.head(k).template cast<Scalar>();
    s.noalias() += psi_.leftCols(k) * coeff_.head(k);
  }
  if (step.spectral.complement_tau != 0) {
    unit_complement_vector(work_);
    s += static_cast<Scalar>(step.spectral.complement_tau) * work_;
  }
  apply(s, work_);
  step.predicted_reduction =
      -(static_cast<double>(g.dot(s)) + 0.5 * static_cast<double>(s.dot(work_)));
  return step;
}

template class CompactLsr1<float>;
template class CompactLsr1<double>;

}  // namespace curvopt
