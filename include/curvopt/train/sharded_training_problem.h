#pragma once
/// Data-parallel training: each rank of a Communicator binds its share of every batch to its own
/// copy of the training problem, and the optimizer, identical on every rank, sees the reduced
/// (whole-batch) function.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "curvopt/core/communicator.h"
#include "curvopt/loss/loss.h"
#include "curvopt/problem/reduced_problem.h"
#include "curvopt/train/training_problem.h"

namespace curvopt {

/// A TrainingProblem over the ranks of a Communicator. Every rank draws the same global batches
/// (same sampler, same seed); rank r of K binds the batch positions r, r + K, r + 2K, … to its
/// shard problem, so the ranks' shards differ by at most one example and together hold exactly
/// the batch a single process would bind. problem() is a ReducedProblem: value, gradient and
/// curvature products are the whole batch's, up to the rounding of a different summation order,
/// and bit-identical on every rank; so is every step the optimizer takes, and every rank holds
/// the same parameters throughout.
///
/// With a curvature batch of c examples (the first c of each batch, as CurvatureSubset takes),
/// rank r's shard must use its own first local_curvature_examples(c, r, K) examples: by the
/// interleaving those are exactly its share of the global first c, and the curvature oracles are
/// weighted by that share.
///
/// Evaluation (evaluate()) runs the shard's own, whole-data-set evaluation on every rank, which
/// gives identical metrics everywhere; publish() goes to the shard. References are kept.
/// @tparam Scalar float or double
template <class Scalar>
class ShardedTrainingProblem final : public TrainingProblem<Scalar> {
 public:
  /// `shard`: this rank's problem over the whole data set (it binds only this rank's examples).
  /// `reduction`: how the shard's loss combines examples — a mean (the shares weigh the shards)
  /// or a sum (each shard adds its part). `curvature_batch`: 0 for none. Throws ConfigError for
  /// a curvature batch with a summed loss (a sum has no per-subset scale to share).
  ShardedTrainingProblem(TrainingProblem<Scalar>& shard, Communicator& communicator,
                         Reduction reduction, Index curvature_batch = 0);

  /// The curvature examples rank `rank` of `size` takes from each of its shards: its share of the
  /// first `curvature_batch` positions of a batch, ⌈(c − r)/K⌉ (0 when c ≤ r).
  static Index local_curvature_examples(Index curvature_batch, int rank, int size);

  Problem<Scalar>& problem() override { return reduced_; }
  Index num_examples() const override { return shard_.num_examples(); }
  void bind(std::span<const Index> indices, std::uint64_t noise_seed) override;
  bool stochastic() const override { return shard_.stochastic(); }
  std::optional<Metrics> evaluate(ConstVectorRef<Scalar> params, EvaluationSet set) override {
    return shard_.evaluate(params, set);
  }
  void publish(ConstVectorRef<Scalar> params) override { shard_.publish(params); }

  Communicator& communicator() { return communicator_; }
  /// Examples of the last batch bound on this rank.
  Index shard_examples() const { return static_cast<Index>(own_.size()); }

 private:
  TrainingProblem<Scalar>& shard_;
  Communicator& communicator_;
  Reduction reduction_;
  Index curvature_batch_;
  ReducedProblem<Scalar> reduced_;
  std::vector<Index> own_;  // this rank's positions of the bound batch, reserved once
};

extern template class ShardedTrainingProblem<float>;
extern template class ShardedTrainingProblem<double>;

}  // namespace curvopt
