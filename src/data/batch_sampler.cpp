#include "curvopt/data/batch_sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"

namespace curvopt {

std::optional<std::string> BatchSamplerOptions::validate() const {
  if (batch_size < 1)
    return "BatchSamplerOptions::batch_size = " + std::to_string(batch_size) + ": must be >= 1";
  return std::nullopt;
}

void shuffle_indices(std::vector<Index>& indices, std::uint64_t seed) {
  Rng rng(seed);
  for (std::size_t i = indices.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(rng.uniform_int(i));
    std::swap(indices[i - 1], indices[j]);
  }
}

BatchSampler::BatchSampler(Index num_examples, const BatchSamplerOptions& options)
    : options_(options) {
  if (auto error = options.validate()) throw ConfigError(*error);
  if (num_examples < 1) throw ConfigError("BatchSampler: the dataset is empty (0 examples)");
  order_.resize(static_cast<std::size_t>(num_examples));
  start_epoch(0);
}

Index BatchSampler::num_batches() const {
  const Index n = num_examples(), b = options_.batch_size;
  if (options_.drop_last) return std::max<Index>(n / b, n < b ? 1 : 0);
  return n / b + (n % b != 0 ? 1 : 0);  // not (n + b − 1) / b: that overflows for a huge b
}

void BatchSampler::start_epoch(std::int64_t epoch) {
  std::iota(order_.begin(), order_.end(), Index(0));
  if (!options_.shuffle) return;
  const std::int64_t e = options_.fixed_batches ? 0 : epoch;
  // Mix seed and epoch through SplitMix64 (inside Rng) so neighbouring epochs are unrelated.
  shuffle_indices(order_, options_.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(e));
}

std::span<const Index> BatchSampler::batch(Index b) const {
  if (b < 0 || b >= num_batches())
    throw ValueError("BatchSampler: batch " + std::to_string(b) + " out of range [0, " +
                     std::to_string(num_batches()) + ")");
  const Index start = b * options_.batch_size;
  // A dataset smaller than one batch still yields one (short) batch, even with drop_last.
  const Index size = std::min(options_.batch_size, num_examples() - start);
  return {order_.data() + start, static_cast<std::size_t>(size)};
}

template <class Scalar>
void gather_batch(const Dataset<Scalar>& data, std::span<const Index> indices,
                  Matrix<Scalar>& inputs, Matrix<Scalar>& targets) {
  const auto b = static_cast<Index>(indices.size());
  if (inputs.rows() != data.inputs.rows() || inputs.cols() != b)
    inputs.resize(data.inputs.rows(), b);
  if (targets.rows() != data.targets.rows() || targets.cols() != b)
    targets.resize(data.targets.rows(), b);
  for (Index j = 0; j < b; ++j) {
    inputs.col(j) = data.inputs.col(indices[static_cast<std::size_t>(j)]);
    targets.col(j) = data.targets.col(indices[static_cast<std::size_t>(j)]);
  }
}

template <class Scalar>
std::pair<Dataset<Scalar>, Dataset<Scalar>> split_dataset(const Dataset<Scalar>& data,
                                                          double validation_fraction,
                                                          std::uint64_t seed) {
  if (!(validation_fraction > 0 && validation_fraction < 1))
    throw ConfigError("validation fraction " + std::to_string(validation_fraction) +
                      ": must be in (0, 1)");
  const Index n = data.size();
  const auto n_validation = static_cast<Index>(std::llround(validation_fraction * n));
  if (n_validation < 1 || n_validation >= n)
    throw ConfigError(data.name + ": a validation fraction of " +
                      std::to_string(validation_fraction) + " of " + std::to_string(n) +
                      " examples leaves one part empty");
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index(0));
  shuffle_indices(order, seed);
  const std::vector<Index> validation(order.begin(), order.begin() + n_validation);
  std::vector<Index> train(order.begin() + n_validation, order.end());
  std::sort(train.begin(), train.end());  // keep the stored order within the training part
  return {data.subset(train, data.name + "/train"),
          data.subset(validation, data.name + "/validation")};
}

template void gather_batch<float>(const Dataset<float>&, std::span<const Index>, Matrix<float>&,
                                  Matrix<float>&);
template void gather_batch<double>(const Dataset<double>&, std::span<const Index>, Matrix<double>&,
                                   Matrix<double>&);
template std::pair<Dataset<float>, Dataset<float>> split_dataset(const Dataset<float>&, double,
                                                                 std::uint64_t);
template std::pair<Dataset<double>, Dataset<double>> split_dataset(const Dataset<double>&, double,
                                                                   std::uint64_t);

}  // namespace curvopt
