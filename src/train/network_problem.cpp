#include "curvopt/train/network_problem.h"

#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/data/batch_sampler.h"

namespace curvopt {

template <class Scalar>
NetworkProblem<Scalar>::NetworkProblem(Sequential<Scalar>& model, const Loss<Scalar>& loss,
                                       const Dataset<Scalar>& train, Index evaluation_batch_size)
    : model_(model),
      loss_(loss),
      train_(train),
      evaluation_batch_size_(evaluation_batch_size),
      training_model_(model),
      objective_(training_model_, loss),
      evaluation_model_(model) {
  if (train.inputs.rows() != model.input_size())
    throw ShapeError(train.name + ": examples have " + std::to_string(train.inputs.rows()) +
                     " features but the model takes " + std::to_string(model.input_size()));
  objective_.set_training(true);
}

template <class Scalar>
void NetworkProblem<Scalar>::bind(std::span<const Index> indices, std::uint64_t noise_seed) {
  gather_batch(train_, indices, batch_inputs_, batch_targets_);
  training_model_.set_noise_seed(noise_seed);
  objective_.set_batch(batch_inputs_, batch_targets_);
}

template <class Scalar>
std::optional<Metrics> NetworkProblem<Scalar>::evaluate(ConstVectorRef<Scalar> params,
                                                        EvaluationSet set) {
  const Dataset<Scalar>* data = set == EvaluationSet::kTrain        ? &train_
                                : set == EvaluationSet::kValidation ? validation_
                                                                    : test_;
  if (!data) return std::nullopt;
  return curvopt::evaluate(evaluation_model_, loss_, params, *data, evaluation_batch_size_);
}

template <class Scalar>
void NetworkProblem<Scalar>::publish(ConstVectorRef<Scalar> params) {
  model_.parameters() = params;  // same size: no allocation
}

template class NetworkProblem<float>;
template class NetworkProblem<double>;

}  // namespace curvopt
