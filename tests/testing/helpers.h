#pragma once
/// Shared test helpers: random data, relative error, central finite differences.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>

#include "curvopt/core/random.h"
#include "curvopt/core/types.h"

namespace curvopt::testing {

inline Matrix<double> random_matrix(Index rows, Index cols, Rng& rng, double scale = 1.0) {
  Matrix<double> m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = scale * rng.normal();
  return m;
}

inline Vector<double> random_vector(Index n, Rng& rng, double scale = 1.0) {
  return random_matrix(n, 1, rng, scale);
}

/// max |a − b| / max(1, max |b|): relative to the reference's magnitude, absolute near zero.
template <class A, class B>
double relative_error(const A& a, const B& b) {
  EXPECT_EQ(a.rows(), b.rows());
  EXPECT_EQ(a.cols(), b.cols());
  if (a.size() == 0) return 0.0;
  const double scale = std::max(1.0, b.template cast<double>().cwiseAbs().maxCoeff());
  return (a.template cast<double>() - b.template cast<double>()).cwiseAbs().maxCoeff() / scale;
}

/// Central difference of a vector-valued function along a direction, step h.
inline Vector<double> directional_difference(const std::function<Vector<double>(double)>& f_of_step,
                                             double h = 1e-6) {
  return (f_of_step(h) - f_of_step(-h)) / (2 * h);
}

}  // namespace curvopt::testing
