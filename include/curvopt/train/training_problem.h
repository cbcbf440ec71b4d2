#pragma once
/// What the Trainer trains: any Problem over a set of examples to which it binds one batch per
/// step — a network objective, a user's residual model, a problem wrapped for several processes.

#include <cstdint>
#include <optional>
#include <span>

#include "curvopt/core/types.h"
#include "curvopt/problem/problem.h"
#include "curvopt/train/metrics.h"

namespace curvopt {

/// The data sets a trainer reports on at the end of an epoch.
enum class EvaluationSet { kTrain, kValidation, kTest };

/// A problem the Trainer can drive. Each step the trainer binds the example indices of one batch
/// (bind()), then calls the optimizer on problem(); every oracle the optimizer calls in that step
/// sees that batch. Implementations must make bind() and the oracles deterministic for given
/// indices and noise seed, so that training is reproducible and resumable.
/// @tparam Scalar float or double
template <class Scalar>
class TrainingProblem {
 public:
  virtual ~TrainingProblem() = default;

  /// The function of θ on the batch bound last.
  virtual Problem<Scalar>& problem() = 0;
  /// Examples batches are drawn from (indices 0 … num_examples() − 1).
  virtual Index num_examples() const = 0;
  /// Binds the examples `indices`, in this order. `noise_seed` seeds what the problem draws at
  /// random for the batch (a network's RReLU slopes).
  virtual void bind(std::span<const Index> indices, std::uint64_t noise_seed) = 0;
  /// True when binding the same examples twice gives two different functions (fresh noise), so
  /// that a full batch must be bound again every step.
  virtual bool stochastic() const { return false; }
  /// Metrics at θ over a whole data set, or nullopt when the problem has no such set.
  virtual std::optional<Metrics> evaluate(ConstVectorRef<Scalar> params, EvaluationSet set) = 0;
  /// Receives the parameters the trainer reports (before every callback and at the end), e.g. to
  /// keep a user's model holding its trained weights. Default: nothing.
  virtual void publish(ConstVectorRef<Scalar> /*params*/) {}
};

}  // namespace curvopt
