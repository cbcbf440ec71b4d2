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
      lanes_{make_lane(), nullptr},
      current_(lanes_[0].get()),
      evaluation_model_(model) {
  check_fits(train);
}

template <class Scalar>
void NetworkProblem<Scalar>::check_fits(const Dataset<Scalar>& data) const {
  if (data.inputs.rows() != model_.input_size())
    throw ShapeError(data.name + ": examples have " + std::to_string(data.inputs.rows()) +
                     " features but the model takes " + std::to_string(model_.input_size()));
  // The same pixel count in another shape (14×56 for 28×28) would train on scrambled images.
  if (data.example_shape && !model_.input_shape().is_flat() &&
      *data.example_shape != model_.input_shape())
    throw ShapeError(data.name + ": examples are " + to_string(*data.example_shape) +
                     " but the model takes " + to_string(model_.input_shape()));
  // Targets the loss cannot take (a label 4 for 3 outputs) are refused now, naming the data set
  // and the example, not at the first batch that holds one.
  try {
    loss_.check_targets(model_.output_size(), data.targets);
  } catch (const ShapeError& e) {
    throw ShapeError(data.name + ": " + e.what());
  } catch (const ValueError& e) {
    throw ValueError(data.name + ": " + e.what());
  }
}

template <class Scalar>
void NetworkProblem<Scalar>::set_curvature_batch(Index examples) {
  if (examples < 0)
    throw ConfigError("curvature batch = " + std::to_string(examples) + ": must be >= 0");
  curvature_batch_ = examples;
  for (auto& lane : lanes_)
    if (lane) attach_subset(*lane);
}

template <class Scalar>
void NetworkProblem<Scalar>::attach_subset(Lane& lane) const {
  lane.subset = curvature_batch_ > 0
                    ? std::make_unique<CurvatureSubset<Scalar>>(lane.objective, curvature_batch_)
                    : nullptr;
}

template <class Scalar>
auto NetworkProblem<Scalar>::make_lane() const -> std::unique_ptr<Lane> {
  auto lane = std::make_unique<Lane>(model_, loss_);
  attach_subset(*lane);
  return lane;
}

template <class Scalar>
void NetworkProblem<Scalar>::set_validation(const Dataset<Scalar>* validation) {
  if (validation) check_fits(*validation);
  validation_ = validation;
}

template <class Scalar>
void NetworkProblem<Scalar>::set_test(const Dataset<Scalar>* test) {
  if (test) check_fits(*test);
  test_ = test;
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
    if (!lanes_[1]) lanes_[1] = make_lane();
    std::swap(lanes_[0], lanes_[1]);
    current_ = lanes_[0].get();
  }
  gather_batch(train_, indices, current_->inputs, current_->targets);
  current_->model.set_noise_seed(noise_seed);
  if (current_->subset) current_->subset->set_noise_seed(noise_seed);
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
