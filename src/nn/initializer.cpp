#include "curvopt/nn/initializer.h"

#include <array>
#include <cmath>
#include <utility>

namespace curvopt {
namespace {

constexpr std::array<std::pair<Initializer, std::string_view>, 6> kNames = {{
    {Initializer::kPyTorchDefault, "pytorch_default"},
    {Initializer::kGlorotUniform, "glorot_uniform"},
    {Initializer::kHeNormal, "he_normal"},
    {Initializer::kHeUniform, "he_uniform"},
    {Initializer::kLecunNormal, "lecun_normal"},
    {Initializer::kLecunUniform, "lecun_uniform"},
}};

template <class Scalar>
void fill_uniform(Eigen::Ref<Vector<Scalar>> v, double bound, Rng& rng) {
  for (Index i = 0; i < v.size(); ++i) v[i] = static_cast<Scalar>(rng.uniform(-bound, bound));
}

template <class Scalar>
void fill_normal(Eigen::Ref<Vector<Scalar>> v, double stddev, Rng& rng) {
  for (Index i = 0; i < v.size(); ++i) v[i] = static_cast<Scalar>(stddev * rng.normal());
}

}  // namespace

std::string to_string(Initializer init) {
  for (const auto& [value, name] : kNames)
    if (value == init) return std::string(name);
  return "unknown";
}

std::optional<Initializer> parse_initializer(std::string_view name) {
  for (const auto& [value, known] : kNames)
    if (known == name) return value;
  return std::nullopt;
}

template <class Scalar>
void initialize_weights(Initializer init, Index fan_in, Index fan_out,
                        Eigen::Ref<Vector<Scalar>> weights, Eigen::Ref<Vector<Scalar>> bias,
                        Rng& rng) {
  const double in = static_cast<double>(fan_in);
  const double out = static_cast<double>(fan_out);
  bias.setZero();
  switch (init) {
    case Initializer::kPyTorchDefault:
      fill_uniform<Scalar>(weights, 1.0 / std::sqrt(in), rng);
      fill_uniform<Scalar>(bias, 1.0 / std::sqrt(in), rng);
      break;
    case Initializer::kGlorotUniform:
      fill_uniform<Scalar>(weights, std::sqrt(6.0 / (in + out)), rng);
      break;
    case Initializer::kHeNormal:
      fill_normal<Scalar>(weights, std::sqrt(2.0 / in), rng);
      break;
    case Initializer::kHeUniform:
      fill_uniform<Scalar>(weights, std::sqrt(6.0 / in), rng);
      break;
    case Initializer::kLecunNormal:
      fill_normal<Scalar>(weights, std::sqrt(1.0 / in), rng);
      break;
    case Initializer::kLecunUniform:
      fill_uniform<Scalar>(weights, std::sqrt(3.0 / in), rng);
      break;
  }
}

template void initialize_weights<float>(Initializer, Index, Index, Eigen::Ref<Vector<float>>,
                                        Eigen::Ref<Vector<float>>, Rng&);
template void initialize_weights<double>(Initializer, Index, Index, Eigen::Ref<Vector<double>>,
                                         Eigen::Ref<Vector<double>>, Rng&);

}  // namespace curvopt
