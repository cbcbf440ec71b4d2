#pragma once
/// Model descriptions: a Sequential network written as a short line of words, such as
/// "dense 64 elu dense 64 elu dense 1" or
/// "conv 32 5 relu pool 2 conv 64 5 relu pool 2 flatten dense 10"
/// (grammar and every word in docs/own_data.md).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/core/shape.h"
#include "curvopt/nn/sequential.h"

namespace curvopt {

/// One layer of a parsed description: what make_layer() builds, and where it was written.
struct LayerSpec {
  std::string type;        ///< as Layer::type() spells it: "Dense", "Conv2d", "ReLU", ...
  std::string config;      ///< make_layer()'s "key=value" words
  std::size_t word = 0;    ///< 1-based number of the word that names the layer
  std::size_t column = 0;  ///< 1-based column of that word in the text
  std::string text;        ///< the words as written, for messages ("conv 32 5 stride=2")
};

/// Parses a description into layers without building them. Words are separated by white space
/// (line breaks included); '#' starts a comment up to the end of the line; layer names and keys
/// are case-insensitive. Throws ValueError "model description: word N 'w' (column C): why" for
/// an unknown layer name (listing the known ones), a missing or malformed count or size, an
/// option the layer does not take, and an empty description.
std::vector<LayerSpec> parse_model_spec(std::string_view text);

/// Networks larger than this are refused before any weight is allocated (2^28 parameters: a
/// gigabyte of float32 weights, beyond what the optimizers here train on a CPU).
inline constexpr Index kMaxModelParameters = Index{1} << 28;

/// Builds and configures the network a description names for examples of `input` shape, and
/// initializes it with `init` and `seed`. Besides parse_model_spec()'s errors, a layer that does
/// not fit the shape before it throws ValueError naming its word and the shape ("model
/// description: word 1 'conv 32 5' (column 1): Conv2d needs an image input ..."), as does a
/// layer that would take the network past `max_parameters` or give more than 2^30 values per
/// example.
template <class Scalar>
Sequential<Scalar> build_model(std::string_view text, const Shape& input,
                               Initializer init = Initializer::kPyTorchDefault,
                               std::uint64_t seed = 1, Index max_parameters = kMaxModelParameters);

/// The canonical description of `model`: parse_model_spec() of it builds the same layers with
/// the same options. Throws ValueError for a layer type descriptions cannot name.
template <class Scalar>
std::string format_model_spec(const Sequential<Scalar>& model);

/// A table of `model`'s layers with their output shapes and parameter counts, the total, and
/// the canonical description (what `curvopt model describe` prints).
template <class Scalar>
std::string describe_model(const Sequential<Scalar>& model);

/// Parses "784", "28x28" (one channel) or "3x32x32" as the shape of one example; throws
/// ValueError quoting the text otherwise.
Shape parse_shape(std::string_view text);

extern template Sequential<float> build_model<float>(std::string_view, const Shape&, Initializer,
                                                     std::uint64_t, Index);
extern template Sequential<double> build_model<double>(std::string_view, const Shape&, Initializer,
                                                       std::uint64_t, Index);
extern template std::string format_model_spec<float>(const Sequential<float>&);
extern template std::string format_model_spec<double>(const Sequential<double>&);
extern template std::string describe_model<float>(const Sequential<float>&);
extern template std::string describe_model<double>(const Sequential<double>&);

}  // namespace curvopt
