#include "curvopt/problem/residual_block.h"

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

// Ridders' extrapolation (Ridders 1982; the tableau of Press et al., Numerical Recipes §5.7):
// central differences at h, h/2, h/4, … combined by Richardson's rule column by column; stop
// when the error estimate grows, which is where rounding starts to dominate.
constexpr int kRiddersMaxSteps = 10;
constexpr double kRiddersShrink = 2.0;
constexpr double kRiddersSafe = 2.0;

}  // namespace

CURVOPT_ENUM_NAMES(NumericDifference, {NumericDifference::kForward, "forward"},
                   {NumericDifference::kCentral, "central"},
                   {NumericDifference::kRidders, "ridders"})

namespace detail {

bool numeric_jacobian(const std::function<bool(const double*, double*)>& residuals,
                      NumericDifference method, double* x, Index n, Index m, const double* r0,
                      double* r1, double* r2, std::vector<double>& tableau, const JacobianView& J) {
  const double eps = std::numeric_limits<double>::epsilon();
  for (Index j = 0; j < n; ++j) {
    const double xj = x[j];
    const double scale = std::max(std::abs(xj), 1.0);
    if (method == NumericDifference::kForward) {
      const double h = std::sqrt(eps) * scale;
      x[j] = xj + h;
      const double step = x[j] - xj;  // the step actually taken, after rounding
      const bool ok = residuals(x, r1);
      x[j] = xj;
      if (!ok) return false;
      for (Index i = 0; i < m; ++i) J(i, j) = (r1[i] - r0[i]) / step;
      continue;
    }
    const auto central = [&](double h, Index i_store) -> bool {
      x[j] = xj + h;
      const double up = x[j];
      const bool ok1 = residuals(x, r1);
      x[j] = xj - h;
      const double down = x[j];
      const bool ok2 = ok1 && residuals(x, r2);
      x[j] = xj;
      if (!ok2) return false;
      for (Index i = 0; i < m; ++i)
        tableau[static_cast<std::size_t>(i_store + i)] = (r1[i] - r2[i]) / (up - down);
      return true;
    };
    if (method == NumericDifference::kCentral) {
      tableau.resize(static_cast<std::size_t>(m));
      if (!central(std::cbrt(eps) * scale, 0)) return false;
      for (Index i = 0; i < m; ++i) J(i, j) = tableau[static_cast<std::size_t>(i)];
      continue;
    }
    // Ridders: entry (k, l) of the tableau — step h/2ᵏ, l extrapolations — per residual i at
    // ((k·K + l)·m + i); after them each residual's error estimate and a done flag.
    const Index K = kRiddersMaxSteps;
    tableau.assign(static_cast<std::size_t>((K * K + 2) * m), 0.0);
    const auto at = [&](Index k, Index l, Index i) -> double& {
      return tableau[static_cast<std::size_t>((k * K + l) * m + i)];
    };
    double* error = &tableau[static_cast<std::size_t>(K * K * m)];
    double* done = error + m;
    double h = 1e-2 * scale;
    if (!central(h, 0)) return false;
    for (Index i = 0; i < m; ++i) {
      J(i, j) = at(0, 0, i);
      error[i] = std::numeric_limits<double>::infinity();
    }
    for (Index k = 1; k < K; ++k) {
      h /= kRiddersShrink;
      if (!central(h, k * K * m)) return false;
      bool all_done = true;
      for (Index i = 0; i < m; ++i) {
        if (done[i] != 0) continue;
        double factor = kRiddersShrink * kRiddersShrink;
        for (Index l = 1; l <= k; ++l) {
          at(k, l, i) = (at(k, l - 1, i) * factor - at(k - 1, l - 1, i)) / (factor - 1);
          factor *= kRiddersShrink * kRiddersShrink;
          const double e = std::max(std::abs(at(k, l, i) - at(k, l - 1, i)),
                                    std::abs(at(k, l, i) - at(k - 1, l - 1, i)));
          if (e <= error[i]) {
            error[i] = e;
            J(i, j) = at(k, l, i);
          }
        }
        // The highest order got worse by a clear factor: rounding has taken over.
        if (std::abs(at(k, k, i) - at(k - 1, k - 1, i)) >= kRiddersSafe * error[i]) done[i] = 1;
        all_done = all_done && done[i] != 0;
      }
      if (all_done) break;
    }
  }
  return true;
}

}  // namespace detail

AnalyticResidualBlock::AnalyticResidualBlock(AnalyticResidualFunction function, Index num_residuals)
    : row_major_function_(std::move(function)), m_(num_residuals) {
  if (!row_major_function_)
    throw ConfigError("AnalyticResidualBlock: the residual function is empty");
}

AnalyticResidualBlock::AnalyticResidualBlock(AnalyticJacobianFunction function, Index num_residuals)
    : in_place_function_(std::move(function)), m_(num_residuals) {
  if (!in_place_function_)
    throw ConfigError("AnalyticResidualBlock: the residual function is empty");
}

bool AnalyticResidualBlock::evaluate(const double* x, Index n, double* r,
                                     const JacobianView& J) const {
  if (in_place_function_) return in_place_function_(x, r, J);
  if (J.data == nullptr) return row_major_function_(x, r, nullptr);
  row_major_.resize(static_cast<std::size_t>(m_ * n));
  if (!row_major_function_(x, r, row_major_.data())) return false;
  for (Index i = 0; i < m_; ++i)
    for (Index j = 0; j < n; ++j) J(i, j) = row_major_[static_cast<std::size_t>(i * n + j)];
  return true;
}

}  // namespace curvopt
