// Fits y = a·exp(−b·t) + c to noisy measurements with curvopt::solve, then reports the
// parameters with standard errors and 95 % confidence intervals — the curve-fitting workflow of
// docs/curve_fitting.md in one file.
//
// Usage: fit_decay [--require-relative-error=E]   (exit status 1 when a parameter misses the
// truth by more than E relative, the check CI runs)

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "curvopt/curvopt.h"

namespace {

// One data point's residual, templated on the scalar for dual-number derivatives.
struct Decay {
  double t, y;
  template <class T>
  bool operator()(const T* p, T* r) const {
    using std::exp;
    r[0] = y - (p[0] * exp(-p[1] * t) + p[2]);
    return true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  double require = -1;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--require-relative-error=", 25) == 0)
      require = std::atof(argv[i] + 25);

  // Data from a = 5, b = 0.7, c = 1 with deterministic noise of amplitude 0.02.
  const double truth[3] = {5.0, 0.7, 1.0};
  curvopt::LeastSquaresProblem problem(3);
  for (int i = 0; i < 40; ++i) {
    const double t = 0.25 * i;
    const double noise = 0.02 * std::sin(12.9898 * i + 78.233);
    problem.add_residual_block(Decay{t, truth[0] * std::exp(-truth[1] * t) + truth[2] + noise}, 1);
  }

  curvopt::Vector<double> x(3);
  x << 1.0, 0.1, 0.0;  // a poor start
  const curvopt::Summary summary = curvopt::solve(problem, x);
  std::printf("%s\n", summary.brief_report().c_str());
  if (!summary.is_usable()) return 1;

  const curvopt::CovarianceResult c = curvopt::covariance(problem, x);
  if (!c.ok) {
    std::printf("covariance: %s\n", c.message.c_str());
    return 1;
  }
  const curvopt::Vector<double> half = c.confidence_half_widths(0.95);
  const char* names[3] = {"a", "b", "c"};
  bool ok = true;
  for (int j = 0; j < 3; ++j) {
    std::printf("%s = %.6f ± %.6f (95 %%: [%.6f, %.6f])\n", names[j], x[j], c.standard_errors[j],
                x[j] - half[j], x[j] + half[j]);
    if (require > 0 && std::abs(x[j] - truth[j]) > require * std::abs(truth[j])) ok = false;
  }
  return ok ? 0 : 1;
}
