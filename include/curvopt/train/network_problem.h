#pragma once
/// A network, its loss and a dataset as a TrainingProblem: what Trainer's network constructor
/// builds.

#include <array>
#include <memory>
#include <vector>

#include "curvopt/data/dataset.h"
#include "curvopt/loss/loss.h"
#include "curvopt/nn/sequential.h"
#include "curvopt/problem/curvature_subset.h"
#include "curvopt/problem/objective.h"
#include "curvopt/train/training_problem.h"

namespace curvopt {

/// Binds batches of `train` to an Objective over a private copy of `model`, and evaluates on
/// another private copy, so that neither disturbs the other's caches nor the caller's model. The
/// caller's model receives the published parameters: after training it holds the trained weights.
/// An Objective's buffers (activations, loss scratch, the gathered batch) are sized for one batch
/// size, so each of the first two batch sizes bound gets its own copy of the model, loss and
/// objective (a lane): an epoch's short last batch then uses its own lane and nothing is resized
/// after the first epoch. A third size reuses the least recently bound lane. References are kept
/// and must outlive this.
/// @tparam Scalar float or double
template <class Scalar>
class NetworkProblem final : public TrainingProblem<Scalar> {
 public:
  NetworkProblem(Sequential<Scalar>& model, const Loss<Scalar>& loss, const Dataset<Scalar>& train,
                 Index evaluation_batch_size = 1000);

  /// The data sets evaluated at the end of each epoch (null: none). Each data set given here or
  /// to the constructor is checked against the model and the loss first: feature count, image
  /// shape (when the data set records one), targets; ShapeError/ValueError names the data set.
  void set_validation(const Dataset<Scalar>* validation);
  void set_test(const Dataset<Scalar>* test);

  Problem<Scalar>& problem() override {
    return current_->subset ? static_cast<Problem<Scalar>&>(*current_->subset)
                            : current_->objective;
  }
  /// Curvature oracles on the first `examples` of each batch (CurvatureSubset); 0: all.
  void set_curvature_batch(Index examples);
  Index num_examples() const override { return train_.size(); }
  void bind(std::span<const Index> indices, std::uint64_t noise_seed) override;
  bool stochastic() const override { return lanes_[0]->model.stochastic(); }
  std::optional<Metrics> evaluate(ConstVectorRef<Scalar> params, EvaluationSet set) override;
  void publish(ConstVectorRef<Scalar> params) override;

  /// Examples in the last bound batch (for the step log).
  Index batch_size() const { return current_->inputs.cols(); }

 private:
  Sequential<Scalar>& model_;
  const Loss<Scalar>& loss_;
  const Dataset<Scalar>& train_;
  const Dataset<Scalar>* validation_ = nullptr;
  const Dataset<Scalar>* test_ = nullptr;
  Index evaluation_batch_size_;
  void check_fits(const Dataset<Scalar>& data) const;

  /// One batch size's model copy, loss copy, objective and gathered batch. Held by pointer: the
  /// objective keeps references to the lane's model and loss.
  struct Lane {
    Lane(const Sequential<Scalar>& source, const Loss<Scalar>& source_loss);
    Sequential<Scalar> model;
    std::unique_ptr<Loss<Scalar>> loss;
    Objective<Scalar> objective;
    std::unique_ptr<CurvatureSubset<Scalar>> subset;  // when a curvature batch is set
    Matrix<Scalar> inputs, targets;
  };
  Index curvature_batch_ = 0;  // before lanes_: make_lane() reads it while they are initialized
  /// A lane for the source model and loss, with the curvature subset when one is set.
  std::unique_ptr<Lane> make_lane() const;
  /// Gives the lane the curvature subset curvature_batch_ asks for (none for 0).
  void attach_subset(Lane& lane) const;
  std::array<std::unique_ptr<Lane>, 2> lanes_;
  Lane* current_;
  Sequential<Scalar> evaluation_model_;
};

extern template class NetworkProblem<float>;
extern template class NetworkProblem<double>;

}  // namespace curvopt
