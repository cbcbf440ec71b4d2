#include "curvopt/train/sharded_training_problem.h"

#include <algorithm>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
ShardedTrainingProblem<Scalar>::ShardedTrainingProblem(TrainingProblem<Scalar>& shard,
                                                       Communicator& communicator,
                                                       Reduction reduction, Index curvature_batch)
    : shard_(shard),
      communicator_(communicator),
      reduction_(reduction),
      curvature_batch_(curvature_batch),
      reduced_(communicator, shard.problem().num_parameters(), shard.problem().oracles()) {
  if (curvature_batch < 0)
    throw ConfigError("ShardedTrainingProblem: curvature_batch = " +
                      std::to_string(curvature_batch) + ": must be >= 0");
  if (curvature_batch > 0 && reduction != Reduction::kMean)
    throw ConfigError(
        "ShardedTrainingProblem: a curvature batch over several processes needs a mean loss "
        "(reduction=mean), not a " +
        to_string(reduction));
}

template <class Scalar>
Index ShardedTrainingProblem<Scalar>::local_curvature_examples(Index curvature_batch, int rank,
                                                               int size) {
  return InterleavedRows::examples_dealt(curvature_batch, rank, size);
}

template <class Scalar>
void ShardedTrainingProblem<Scalar>::bind(std::span<const Index> indices,
                                          std::uint64_t noise_seed) {
  const int k = communicator_.size();
  const int r = communicator_.rank();
  const auto b = static_cast<Index>(indices.size());
  if (own_.capacity() < static_cast<std::size_t>(b / k + 1)) own_.reserve(b / k + 1);
  own_.clear();
  for (Index p = r; p < b; p += k) own_.push_back(indices[static_cast<std::size_t>(p)]);
  const auto mine = static_cast<Index>(own_.size());
  const Index c = curvature_batch_ > 0 ? std::min(curvature_batch_, b) : b;
  if (mine == 0) {
    reduced_.set_shard(nullptr, ShardWeights{}, b, c);
    return;
  }
  shard_.bind(std::span<const Index>(own_), noise_seed);
  // A mean over b examples is Σ_r (b_r/b)·(the mean over shard r); a sum is the shards' sum. The
  // Fisher diagonal b·Σₛ gₛ⊙gₛ has gₛ = ∇ℓₛ/b for a mean (so it is the mean of ∇ℓₛ⊙∇ℓₛ and
  // shares like one) and gₛ = ∇ℓₛ for a sum (each shard's carries b_r, the whole b).
  const double share = static_cast<double>(mine) / static_cast<double>(b);
  ShardWeights weights;
  if (reduction_ == Reduction::kMean) {
    weights.batch = weights.fisher_diagonal = share;
    const Index local_c = curvature_batch_ > 0 ? local_curvature_examples(c, r, k) : mine;
    weights.curvature = static_cast<double>(local_c) / static_cast<double>(c);
  } else {
    weights.fisher_diagonal = 1 / share;
  }
  reduced_.set_shard(&shard_.problem(), weights, b, c);
}

template class ShardedTrainingProblem<float>;
template class ShardedTrainingProblem<double>;

}  // namespace curvopt
