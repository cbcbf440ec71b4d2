#include "curvopt/train/metrics.h"

#include <algorithm>
#include <cmath>

#include "curvopt/core/errors.h"
#include "curvopt/data/batch_sampler.h"

namespace curvopt {
namespace {

template <class Scalar>
Index predicted_class(const Eigen::Ref<const Vector<Scalar>>& z) {
  if (z.size() == 1) return z(0) > 0 ? 1 : 0;
  Index best = 0;
  z.maxCoeff(&best);
  return best;
}

template <class Scalar>
Index target_class(const Eigen::Ref<const Vector<Scalar>>& y) {
  if (y.size() == 1) return static_cast<Index>(std::lround(static_cast<double>(y(0))));
  Index best = 0;
  y.maxCoeff(&best);
  return best;
}

}  // namespace

template <class Scalar>
Metrics evaluate(Sequential<Scalar>& model, const Loss<Scalar>& loss,
                 ConstVectorRef<std::type_identity_t<Scalar>> params, const Dataset<Scalar>& data,
                 Index batch_size) {
  if (data.size() == 0) throw ValueError(data.name + ": cannot evaluate on an empty dataset");
  if (batch_size < 1) throw ConfigError("evaluate: batch_size must be >= 1");
  const bool was_training = model.training();
  model.set_training(false);
  model.bind_parameters(params.data(), params.size());
  const bool classification = data.num_classes > 0;
  double loss_sum = 0, squared_error = 0;
  Index correct = 0;
  Matrix<Scalar> X, Y, P;
  std::vector<Index> indices;
  for (Index start = 0; start < data.size(); start += batch_size) {
    const Index b = std::min(batch_size, data.size() - start);
    indices.resize(static_cast<std::size_t>(b));
    for (Index j = 0; j < b; ++j) indices[static_cast<std::size_t>(j)] = start + j;
    gather_batch(data, indices, X, Y);
    const Matrix<Scalar>& Z = model.forward(X);
    loss.check_targets(Z.rows(), Y);
    loss_sum += static_cast<double>(loss.value(Z, Y)) * static_cast<double>(b);
    if (classification) {
      for (Index s = 0; s < b; ++s)
        correct += predicted_class<Scalar>(Z.col(s)) == target_class<Scalar>(Y.col(s)) ? 1 : 0;
    } else if (Z.rows() == Y.rows()) {
      P.resize(Z.rows(), Z.cols());
      loss.predictions(Z, P);
      squared_error += (P - Y).template cast<double>().squaredNorm();
    }
  }
  model.bind_own_parameters();
  model.set_training(was_training);
  Metrics m;
  m.loss = loss_sum / static_cast<double>(data.size());
  if (classification) {
    m.accuracy = static_cast<double>(correct) / static_cast<double>(data.size());
  } else {
    m.mse = squared_error / static_cast<double>(data.size() * data.targets.rows());
    m.rmse = std::sqrt(*m.mse);
  }
  return m;
}

template Metrics evaluate<float>(Sequential<float>&, const Loss<float>&, ConstVectorRef<float>,
                                 const Dataset<float>&, Index);
template Metrics evaluate<double>(Sequential<double>&, const Loss<double>&, ConstVectorRef<double>,
                                  const Dataset<double>&, Index);

}  // namespace curvopt
