#pragma once
/// Layers rebuilt from their type and constructor arguments: what model files and model
/// descriptions are read back through.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/nn/layer.h"

namespace curvopt {

/// The layer types make_layer() knows, in the order help texts list them.
std::vector<std::string> layer_types();

/// A new layer of `type` (as Layer::type() spells it: "Dense", "Conv2d", "ReLU", ...) built from
/// `config`, the "key=value" words that Layer::config() writes. Keys a type does not take, values
/// that do not parse or are out of range, and unknown types throw ValueError naming the type and
/// the word. Missing keys take the constructor's default.
template <class Scalar>
std::unique_ptr<Layer<Scalar>> make_layer(std::string_view type, std::string_view config);

extern template std::unique_ptr<Layer<float>> make_layer<float>(std::string_view, std::string_view);
extern template std::unique_ptr<Layer<double>> make_layer<double>(std::string_view,
                                                                  std::string_view);

}  // namespace curvopt
