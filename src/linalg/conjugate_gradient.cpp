#include "curvopt/linalg/conjugate_gradient.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw ConfigError("CgOptions: " + what);
}

}  // namespace

std::string_view to_string(CgTermination termination) {
  switch (termination) {
    case CgTermination::kResidual:
      return "residual";
    case CgTermination::kRelativeProgress:
      return "relative-progress";
    case CgTermination::kMaxIterations:
      return "max-iterations";
    case CgTermination::kNegativeCurvature:
      return "negative-curvature";
    case CgTermination::kNonFinite:
      return "non-finite";
  }
  return "unknown";
}

template <class Scalar>
ConjugateGradient<Scalar>::ConjugateGradient(const CgOptions& options) : options_(options) {
  const CgOptions& o = options;
  require(o.max_iterations >= 0, "max_iterations must be >= 0");
  require(o.tolerance >= 0, "tolerance must be >= 0");
  require(o.progress_epsilon > 0, "progress_epsilon must be > 0");
  require(o.progress_min_window >= 1, "progress_min_window must be >= 1");
  require(o.progress_window_fraction >= 0 && o.progress_window_fraction < 1,
          "progress_window_fraction must be in [0, 1)");
  require(o.residual_refresh >= 0, "residual_refresh must be >= 0");
  require(o.history_first >= 1, "history_first must be >= 1");
  require(o.history_ratio > 1, "history_ratio must be > 1");
  // φ_{i−k} is needed for k up to max(min_window, ⌈fraction·max_iterations⌉).
  const double widest = std::max<double>(o.progress_min_window,
                                         std::ceil(o.progress_window_fraction * o.max_iterations));
  phi_ring_.assign(static_cast<std::size_t>(widest) + 1, 0.0);
  // Martens' schedule: the next saved iteration is ⌈t⌉, t ← ratio·t (repeated products, as in
  // his code, rather than pow). Small ratios can repeat an integer; it is kept once.
  if (o.keep_history) {
    for (double t = o.history_first; t <= o.max_iterations; t *= o.history_ratio) {
      const int i = static_cast<int>(std::ceil(t));
      if (i <= o.max_iterations && (schedule_.empty() || i > schedule_.back()))
        schedule_.push_back(i);
    }
    history_iterations_.assign(schedule_.size() + 1, 0);
    history_quadratic_.assign(schedule_.size() + 1, 0.0);
  }
}

template <class Scalar>
void ConjugateGradient<Scalar>::resize(Index n) {
  r_.resize(n);
  z_.resize(n);
  p_.resize(n);
  ap_.resize(n);
  if (options_.keep_history) history_.resize(n, static_cast<Index>(schedule_.size()) + 1);
}

template <class Scalar>
CgResult ConjugateGradient<Scalar>::solve(LinearOperatorRef<Scalar> A, ConstVectorRef<Scalar> b,
                                          VectorRef<Scalar> x, bool warm_start) {
  return run(A, b, x, nullptr, warm_start);
}

template <class Scalar>
CgResult ConjugateGradient<Scalar>::solve(LinearOperatorRef<Scalar> A, ConstVectorRef<Scalar> b,
                                          VectorRef<Scalar> x,
                                          LinearOperatorRef<Scalar> preconditioner,
                                          bool warm_start) {
  return run(A, b, x, &preconditioner, warm_start);
}

template <class Scalar>
bool ConjugateGradient<Scalar>::progress_stalled(int i, double phi) {
  const auto slots = static_cast<int>(phi_ring_.size());
  const int k = std::max(options_.progress_min_window,
                         static_cast<int>(std::ceil(options_.progress_window_fraction * i)));
  bool stalled = false;
  if (i > k) {
    const double before = phi_ring_[static_cast<std::size_t>((i - k) % slots)];
    stalled = phi < 0 && (phi - before) / phi < k * options_.progress_epsilon;
  }
  phi_ring_[static_cast<std::size_t>(i % slots)] = phi;
  return stalled;
}

template <class Scalar>
void ConjugateGradient<Scalar>::remember(int i, ConstVectorRef<Scalar> x,
                                         ConstVectorRef<Scalar> b) {
  if (next_scheduled_ >= schedule_.size() || schedule_[next_scheduled_] != i) return;
  keep(i, x, b);
  ++next_scheduled_;
}

template <class Scalar>
void ConjugateGradient<Scalar>::keep(int i, ConstVectorRef<Scalar> x, ConstVectorRef<Scalar> b) {
  const auto j = static_cast<std::size_t>(history_size_++);
  history_.col(static_cast<Index>(j)) = x;
  history_iterations_[j] = i;
  history_quadratic_[j] = -0.5 * (static_cast<double>(x.dot(r_)) + static_cast<double>(x.dot(b)));
}

template <class Scalar>
CgResult ConjugateGradient<Scalar>::run(LinearOperatorRef<Scalar> A, ConstVectorRef<Scalar> b,
                                        VectorRef<Scalar> x,
                                        const LinearOperatorRef<Scalar>* preconditioner,
                                        bool warm_start) {
  const Index n = b.size();
  if (x.size() != n)
    throw ShapeError("ConjugateGradient: x has length " + std::to_string(x.size()) + ", b " +
                     std::to_string(n));
  if (r_.size() != n) resize(n);
  const CgOptions& o = options_;
  history_size_ = 0;
  next_scheduled_ = 0;

  const auto bb = static_cast<double>(b.squaredNorm());
  if (warm_start) {
    A(x, ap_);
    r_ = b - ap_;
  } else {
    x.setZero();
    r_ = b;
  }
  double rr = static_cast<double>(r_.squaredNorm());
  const double stop = o.tolerance * o.tolerance * bb;
  double rz = rr;  // rᵀM⁻¹r; rᵀr without a preconditioner
  if (preconditioner) {
    (*preconditioner)(r_, z_);
    rz = static_cast<double>(r_.dot(z_));
    p_ = z_;
  } else {
    p_ = r_;
  }
  // φ(x) = ½xᵀAx − bᵀx = −½xᵀ(r + b), two dot products instead of a product with A.
  auto quadratic = [&] {
    return -0.5 * (static_cast<double>(x.dot(r_)) + static_cast<double>(x.dot(b)));
  };
  if (o.relative_progress) progress_stalled(0, warm_start ? quadratic() : 0.0);

  CgResult result;
  int& i = result.iterations;
  result.termination = CgTermination::kMaxIterations;
  for (;;) {
    if (!std::isfinite(rr) || !std::isfinite(rz)) {
      result.termination = CgTermination::kNonFinite;
      break;
    }
    if (!(rr > stop)) {
      result.termination = CgTermination::kResidual;
      break;
    }
    if (i >= o.max_iterations) break;
    A(p_, ap_);
    const auto curvature = static_cast<double>(p_.dot(ap_));
    if (!(curvature > 0)) {
      result.termination =
          std::isnan(curvature) ? CgTermination::kNonFinite : CgTermination::kNegativeCurvature;
      break;
    }
    const double alpha = rz / curvature;
    x += static_cast<Scalar>(alpha) * p_;
    r_ -= static_cast<Scalar>(alpha) * ap_;
    ++i;
    if (o.residual_refresh > 0 && i % o.residual_refresh == 0) {
      A(x, ap_);
      r_ = b - ap_;
    }
    const auto rr_next = static_cast<double>(r_.squaredNorm());
    double rz_next = rr_next;
    if (preconditioner) {
      (*preconditioner)(r_, z_);
      rz_next = static_cast<double>(r_.dot(z_));
      p_ = z_ + static_cast<Scalar>(rz_next / rz) * p_;
    } else {
      p_ = r_ + static_cast<Scalar>(rz_next / rz) * p_;
    }
    rr = rr_next;
    rz = rz_next;
    if (o.keep_history) remember(i, x, b);
    if (o.relative_progress && progress_stalled(i, quadratic())) {
      result.termination = CgTermination::kRelativeProgress;
      break;
    }
  }
  // The final iterate closes the history, unless it was just stored as a scheduled one.
  if (o.keep_history && (history_size_ == 0 ||
                         history_iterations_[static_cast<std::size_t>(history_size_ - 1)] != i)) {
    keep(i, x, b);
  }
  result.residual_norm = std::sqrt(rr);
  result.quadratic = quadratic();
  return result;
}

template class ConjugateGradient<float>;
template class ConjugateGradient<double>;

}  // namespace curvopt
