#pragma once
/// Which examples make up each batch of each epoch: seeded, reproducible, resumable.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/core/types.h"
#include "curvopt/data/dataset.h"

namespace curvopt {

struct BatchSamplerOptions {
  /// Examples per batch, ≥ 1. Default 32.
  Index batch_size = 32;
  /// Visit the examples in a fresh random order every epoch; false keeps the stored order.
  bool shuffle = true;
  /// Shuffle once and use the same batches every epoch (Brust's 2021 MovieLens code caches its
  /// batches).
  bool fixed_batches = false;
  /// Drop the last batch when it is smaller than batch_size.
  bool drop_last = false;
  /// Seed of the orders; the order of epoch e depends only on (seed, e).
  std::uint64_t seed = 0;

  std::optional<std::string> validate() const;
};

/// Splits 0..N−1 into batches, epoch by epoch. Every example appears exactly once per epoch (all
/// but the dropped tail with drop_last). Because epoch e's order is a function of (seed, e)
/// alone, training resumed at any epoch sees exactly the batches it would have seen.
class BatchSampler {
 public:
  /// Throws ConfigError when the options are invalid or num_examples < 1.
  BatchSampler(Index num_examples, const BatchSamplerOptions& options);

  Index num_examples() const { return static_cast<Index>(order_.size()); }
  Index num_batches() const;
  const BatchSamplerOptions& options() const { return options_; }

  /// Prepares the order of epoch `epoch` (0-based).
  void start_epoch(std::int64_t epoch);
  /// Example indices of batch b (0 ≤ b < num_batches()) of the current epoch.
  std::span<const Index> batch(Index b) const;

 private:
  BatchSamplerOptions options_;
  std::vector<Index> order_;
};

/// Copies the examples `indices` of `data` into `inputs` and `targets` (resized if needed; no
/// allocation when they already have the right size).
template <class Scalar>
void gather_batch(const Dataset<Scalar>& data, std::span<const Index> indices,
                  Matrix<Scalar>& inputs, Matrix<Scalar>& targets);

/// Seeded split into (train, validation) with round(fraction·N) examples in validation; throws
/// ConfigError unless 0 < fraction < 1 and both parts are non-empty.
template <class Scalar>
std::pair<Dataset<Scalar>, Dataset<Scalar>> split_dataset(const Dataset<Scalar>& data,
                                                          double validation_fraction,
                                                          std::uint64_t seed);

/// In-place Fisher-Yates shuffle driven by curvopt's Rng (independent of the standard library).
void shuffle_indices(std::vector<Index>& indices, std::uint64_t seed);

}  // namespace curvopt
