#pragma once
/// The outcome of a Cholesky factorization, shared by the linalg solvers that factor.

#include <string_view>

namespace curvopt {

enum class FactorStatus {
  kPositiveDefinite,     ///< LLT succeeded
  kIndefiniteFallback,   ///< LLT failed, a pivoted LDLT succeeded: PD in exact arithmetic only
  kNotPositiveDefinite,  ///< no factorization: a non-positive pivot (or NaN)
};

inline std::string_view to_string(FactorStatus status) {
  switch (status) {
    case FactorStatus::kPositiveDefinite:
      return "positive-definite";
    case FactorStatus::kIndefiniteFallback:
      return "indefinite-fallback";
    case FactorStatus::kNotPositiveDefinite:
      return "not-positive-definite";
  }
  return "unknown";
}

}  // namespace curvopt
