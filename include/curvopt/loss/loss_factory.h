#pragma once
/// Losses by name, as model descriptions, config files and the command line spell them.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/loss/loss.h"

namespace curvopt {

/// "squared-error", "softmax-cross-entropy", "softmax-squared-error", "sigmoid-cross-entropy".
std::vector<std::string> loss_names();

/// The loss called `name`, with the mean reduction; throws ConfigError for an unknown name,
/// listing the known ones.
template <class Scalar>
std::unique_ptr<Loss<Scalar>> make_loss(std::string_view name);

extern template std::unique_ptr<Loss<float>> make_loss<float>(std::string_view);
extern template std::unique_ptr<Loss<double>> make_loss<double>(std::string_view);

}  // namespace curvopt
