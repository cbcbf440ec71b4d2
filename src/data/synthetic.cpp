#include "curvopt/data/synthetic.h"

#include <cmath>
#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"

namespace curvopt {

template <class Scalar>
Dataset<Scalar> noisy_sine(Index n, double noise, std::uint64_t seed) {
  if (n < 2) throw ConfigError("noisy_sine: n = " + std::to_string(n) + ": must be >= 2");
  if (!(noise >= 0.0 && std::isfinite(noise)))
    throw ConfigError("noisy_sine: noise = " + std::to_string(noise) + ": must be finite and >= 0");
  constexpr double kStart = -10.0;
  constexpr double kStop = 10.0;
  const double step = (kStop - kStart) / static_cast<double>(n - 1);
  Rng rng(seed);
  Dataset<Scalar> dataset;
  dataset.name = "noisy_sine";
  dataset.inputs.resize(1, n);
  dataset.targets.resize(1, n);
  for (Index i = 0; i < n; ++i) {
    // As numpy.linspace: start + i·step, with the endpoint set exactly.
    const double x = i == n - 1 ? kStop : kStart + static_cast<double>(i) * step;
    const double y = std::sin(x) + noise * rng.uniform();
    dataset.inputs(0, i) = static_cast<Scalar>(x);
    dataset.targets(0, i) = static_cast<Scalar>(y);
  }
  return dataset;
}

template <class Scalar>
Dataset<Scalar> sine_classification(Index points_per_class) {
  if (points_per_class < 1)
    throw ConfigError("sine_classification: points_per_class = " +
                      std::to_string(points_per_class) + ": must be >= 1");
  constexpr double kFrequency = 8.0;
  constexpr double kOffset = 0.8;
  const Index m = points_per_class;
  Dataset<Scalar> dataset;
  dataset.name = "sine_classification";
  dataset.num_classes = 2;
  dataset.inputs.resize(2, 2 * m);
  dataset.targets.resize(1, 2 * m);
  for (Index j = 0; j < m; ++j) {
    const double x = static_cast<double>(j) / static_cast<double>(m);
    const double wave = std::sin(kFrequency * x);
    // Class 1 above the curve first, then class 0 below it, as in the reference generator.
    dataset.inputs(0, j) = static_cast<Scalar>(x);
    dataset.inputs(1, j) = static_cast<Scalar>(wave + kOffset);
    dataset.targets(0, j) = Scalar(1);
    dataset.inputs(0, m + j) = static_cast<Scalar>(x);
    dataset.inputs(1, m + j) = static_cast<Scalar>(wave - kOffset);
    dataset.targets(0, m + j) = Scalar(0);
  }
  return dataset;
}

template Dataset<float> noisy_sine<float>(Index, double, std::uint64_t);
template Dataset<double> noisy_sine<double>(Index, double, std::uint64_t);
template Dataset<float> sine_classification<float>(Index);
template Dataset<double> sine_classification<double>(Index);

}  // namespace curvopt
