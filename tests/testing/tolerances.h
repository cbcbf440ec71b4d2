#pragma once
/// Per-precision tolerances for the test suites.

namespace curvopt::testing {

template <class Scalar>
struct Tolerance;

template <>
struct Tolerance<double> {
  /// Central finite differences with step 1e-6 on O(1) values: truncation ~1e-12, rounding ~1e-10.
  static constexpr double kFiniteDifference = 1e-6;
  /// Two exact computations of the same quantity in different orders.
  static constexpr double kExact = 1e-10;
};

template <>
struct Tolerance<float> {
  static constexpr double kFiniteDifference = 1e-2;
  static constexpr double kExact = 1e-4;
};

/// float and double evaluations of the same model agree to about float precision.
constexpr double kFloatVsDouble = 2e-4;

}  // namespace curvopt::testing
