#include "curvopt/train/network_problem.h"

#include <string>
#include <utility>

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
      lanes_{std::make_unique<Lane>(model, loss), nullptr},
      current_(lanes_[0].get()),
      evaluation_model_(model) {
  if (train.inputs.rows() != model.input_size())
    throw ShapeError(train.name + ": examples have " + std::to_string(train.inputs.rows()) +
                     " features but the model takes " + std::to_string(model.input_size()));
}

template <class Scalar>
NetworkProblem<Scalar>::Lane::Lane(const Sequential<Scalar>& source,
                                   const Loss<Scalar>& source_loss)
    : model(source), loss(source_loss.clone()), objective(model, *loss) {
  objective.set_training(true);
}

template <class Scalar>
void NetworkProblem<Scalar>::bind(std::span<const Index> indices, std::uint64_t noise_seed) {
  const auto batch = static_cast<Index>(indices.size());
  // The lane already sized for this batch size, else the other one (created on first use). The
  // current lane is kept at the front, so a third size evicts the least recently used.
  const bool unused = current_->inputs.cols() == 0;
  if (!unused && current_->inputs.cols() != batch) {
    if (!lanes_[1]) lanes_[1] = std::make_unique<Lane>(model_, loss_);
    std::swap(lanes_[0], lanes_[1]);
    current_ = lanes_[0].get();
  }
  gather_batch(train_, indices, current_->inputs, current_->targets);
  current_->model.set_noise_seed(noise_seed);
  current_->objective.set_batch(current_->inputs, current_->targets);
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
