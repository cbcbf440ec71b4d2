#pragma once
/// Seeded synthetic datasets of the small published problems (Pooladzandi & Zhou 2022; Berahas et
/// al. 2022).

#include <cstdint>

#include "curvopt/core/types.h"
#include "curvopt/data/dataset.h"

namespace curvopt {

/// Noisy sine regression of Pooladzandi & Zhou (2022), as their code builds it:
/// x = linspace(−10, 10, n) (x_i = −10 + i·20/(n − 1), the last point exactly 10) and
/// y_i = sin(x_i) + noise · u_i with u_i = Rng(seed).uniform() in [0, 1), drawn in order of i.
/// Computed in double, then rounded to Scalar. `inputs` and `targets` are 1 × n, `num_classes` 0,
/// `name` "noisy_sine".
///
/// Throws ConfigError when n < 2 or noise is negative or not finite.
/// @tparam Scalar float or double
template <class Scalar>
Dataset<Scalar> noisy_sine(Index n = 1000, double noise = 0.2, std::uint64_t seed = 0);

/// The "sine classification" toy problem of Berahas et al. (2022) (their data_generation.py):
/// with m = points_per_class and x_j = j/m (j = 0 … m − 1), the first m columns are class 1 at
/// (x_j, sin(8 x_j) + 0.8) and the next m are class 0 at (x_j, sin(8 x_j) − 0.8). `inputs` is
/// 2 × 2m, `targets` 1 × 2m class indices, `num_classes` 2, `name` "sine_classification";
/// deterministic (no noise).
///
/// Throws ConfigError when points_per_class < 1.
/// @tparam Scalar float or double
template <class Scalar>
Dataset<Scalar> sine_classification(Index points_per_class = 50);

extern template Dataset<float> noisy_sine<float>(Index, double, std::uint64_t);
extern template Dataset<double> noisy_sine<double>(Index, double, std::uint64_t);
extern template Dataset<float> sine_classification<float>(Index);
extern template Dataset<double> sine_classification<double>(Index);

}  // namespace curvopt
