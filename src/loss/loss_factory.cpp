#include "curvopt/loss/loss_factory.h"

#include "curvopt/core/errors.h"
#include "curvopt/loss/sigmoid_cross_entropy.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/loss/softmax_squared_error.h"
#include "curvopt/loss/squared_error.h"

namespace curvopt {

std::vector<std::string> loss_names() {
  return {"squared-error", "softmax-cross-entropy", "softmax-squared-error",
          "sigmoid-cross-entropy"};
}

template <class Scalar>
std::unique_ptr<Loss<Scalar>> make_loss(std::string_view name) {
  if (name == "squared-error") return std::make_unique<SquaredError<Scalar>>();
  if (name == "softmax-cross-entropy") return std::make_unique<SoftmaxCrossEntropy<Scalar>>();
  if (name == "softmax-squared-error") return std::make_unique<SoftmaxSquaredError<Scalar>>();
  if (name == "sigmoid-cross-entropy") return std::make_unique<SigmoidCrossEntropy<Scalar>>();
  std::string known;
  for (const std::string& n : loss_names()) known += (known.empty() ? "" : ", ") + n;
  throw ConfigError("unknown loss '" + std::string(name) + "' (known: " + known + ")");
}

template std::unique_ptr<Loss<float>> make_loss<float>(std::string_view);
template std::unique_ptr<Loss<double>> make_loss<double>(std::string_view);

}  // namespace curvopt
