#pragma once
/// A network, its loss and a dataset as a TrainingProblem: what Trainer's network constructor
/// builds.

#include <vector>

#include "curvopt/data/dataset.h"
#include "curvopt/loss/loss.h"
#include "curvopt/nn/sequential.h"
#include "curvopt/problem/objective.h"
#include "curvopt/train/training_problem.h"

namespace curvopt {

/// Binds batches of `train` to an Objective over a private copy of `model`, and evaluates on
/// another private copy, so that neither disturbs the other's caches nor the caller's model. The
/// caller's model receives the published parameters: after training it holds the trained weights.
/// References are kept and must outlive this.
/// @tparam Scalar float or double
template <class Scalar>
class NetworkProblem final : public TrainingProblem<Scalar> {
 public:
  NetworkProblem(Sequential<Scalar>& model, const Loss<Scalar>& loss, const Dataset<Scalar>& train,
                 Index evaluation_batch_size = 1000);

  void set_validation(const Dataset<Scalar>* validation) { validation_ = validation; }
  void set_test(const Dataset<Scalar>* test) { test_ = test; }

  Problem<Scalar>& problem() override { return objective_; }
  Index num_examples() const override { return train_.size(); }
  void bind(std::span<const Index> indices, std::uint64_t noise_seed) override;
  bool stochastic() const override { return training_model_.stochastic(); }
  std::optional<Metrics> evaluate(ConstVectorRef<Scalar> params, EvaluationSet set) override;
  void publish(ConstVectorRef<Scalar> params) override;

  /// Examples in the last bound batch (for the step log).
  Index batch_size() const { return batch_inputs_.cols(); }

 private:
  Sequential<Scalar>& model_;
  const Loss<Scalar>& loss_;
  const Dataset<Scalar>& train_;
  const Dataset<Scalar>* validation_ = nullptr;
  const Dataset<Scalar>* test_ = nullptr;
  Index evaluation_batch_size_;
  Sequential<Scalar> training_model_;
  Objective<Scalar> objective_;
  Sequential<Scalar> evaluation_model_;
  Matrix<Scalar> batch_inputs_, batch_targets_;
};

extern template class NetworkProblem<float>;
extern template class NetworkProblem<double>;

}  // namespace curvopt
