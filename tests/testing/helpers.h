#pragma once
/// Shared test helpers: random data, relative error, central finite differences.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "curvopt/core/random.h"
#include "curvopt/core/types.h"
#include "curvopt/data/data_directory.h"

namespace curvopt::testing {

/// A real dataset's file under the data directory the command line uses ($CURVOPT_DATA, else the
/// cache folder scripts/fetch_data fills), or an empty path when it is not there.
inline std::filesystem::path real_data_file(const std::string& relative) {
  const std::filesystem::path path = std::filesystem::path(resolve_data_directory()) / relative;
  return std::filesystem::exists(path) ? path : std::filesystem::path();
}

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
