#pragma once
/// Weight initialization schemes for Dense, Conv2d and Embedding.

#include <optional>
#include <string>
#include <string_view>

#include "curvopt/core/random.h"
#include "curvopt/core/types.h"

namespace curvopt {

/// How a layer's weights are drawn; biases start at zero except under kPyTorchDefault.
enum class Initializer {
  /// PyTorch's nn.Linear / nn.Conv2d default: weights and biases U(±1/√fan_in)
  /// (kaiming_uniform with a = √5); Embedding N(0, 1).
  kPyTorchDefault,
  /// Glorot/Xavier uniform, U(±√(6/(fan_in+fan_out))), the Keras default; Embedding U(±0.05).
  kGlorotUniform,
  /// He/Kaiming normal for ReLU networks, N(0, 2/fan_in).
  kHeNormal,
  /// He/Kaiming uniform, U(±√(6/fan_in)).
  kHeUniform,
  /// LeCun normal for SELU/tanh networks, N(0, 1/fan_in).
  kLecunNormal,
  /// LeCun uniform, U(±√(3/fan_in)).
  kLecunUniform,
};

std::string to_string(Initializer init);
/// Parses the names printed by to_string ("glorot_uniform", "pytorch_default", ...).
std::optional<Initializer> parse_initializer(std::string_view name);

/// Fills `weights` (fan_out × fan_in elements in any order) and `bias` (may be empty).
template <class Scalar>
void initialize_weights(Initializer init, Index fan_in, Index fan_out,
                        Eigen::Ref<Vector<Scalar>> weights, Eigen::Ref<Vector<Scalar>> bias,
                        Rng& rng);

extern template void initialize_weights<float>(Initializer, Index, Index, Eigen::Ref<Vector<float>>,
                                               Eigen::Ref<Vector<float>>, Rng&);
extern template void initialize_weights<double>(Initializer, Index, Index,
                                                Eigen::Ref<Vector<double>>,
                                                Eigen::Ref<Vector<double>>, Rng&);

}  // namespace curvopt
