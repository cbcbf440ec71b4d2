#pragma once
/// Evaluation metrics of a model on a dataset: loss, accuracy, MSE, RMSE.

#include <optional>
#include <type_traits>

#include "curvopt/data/dataset.h"
#include "curvopt/loss/loss.h"
#include "curvopt/nn/sequential.h"

namespace curvopt {

/// Metrics over a whole dataset. Accuracy is reported for classification data (num_classes > 0),
/// MSE and RMSE (mean over every output element of (output − target)²) for regression data.
struct Metrics {
  double loss = 0;
  std::optional<double> accuracy;  ///< fraction in [0, 1]
  std::optional<double> mse;
  std::optional<double> rmse;
};

/// Evaluates `params` on `data` in evaluation mode (RReLU at its mean slope), in batches of
/// `batch_size` examples. The loss is the mean over batches weighted by batch size, which equals
/// the full-dataset loss for mean reductions. The model's training flag is restored afterwards.
/// Classification outputs are scored by argmax (or by output > 0 for a single sigmoid output);
/// targets may be class indices (1 × N) or one-hot/probability columns.
template <class Scalar>
Metrics evaluate(Sequential<Scalar>& model, const Loss<Scalar>& loss,
                 ConstVectorRef<std::type_identity_t<Scalar>> params, const Dataset<Scalar>& data,
                 Index batch_size = 1000);

}  // namespace curvopt
