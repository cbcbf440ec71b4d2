#pragma once
/// The processes of a data-parallel run, and the few collective operations the library needs of
/// them. Optimizers never see it: reduction decorators (ReducedProblem) and the Trainer do.

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

/// A fixed group of processes (ranks) running the same program on different shards of the data.
/// Every collective call must be made by every rank, in the same order and with the same lengths;
/// the library's decorators guarantee that because every rank runs the same deterministic
/// optimizer on the same reduced values.
class Communicator {
 public:
  virtual ~Communicator() = default;

  /// This process's rank, 0 … size() − 1.
  virtual int rank() const = 0;
  /// Number of ranks, ≥ 1.
  virtual int size() const = 0;

  /// Replaces `values` on every rank by their element-wise sum over the ranks, added in rank
  /// order, ((v₀ + v₁) + v₂) + …, whichever rank does the adding. The result is deterministic for
  /// a given rank count and bit-identical on every rank, so that ranks holding the same
  /// parameters keep holding the same parameters after every step.
  virtual void sum(std::span<double> values) = 0;
  virtual void sum(std::span<float> values) = 0;

  /// Concatenates every rank's `mine` in rank order into `all` on every rank (an allgather):
  /// `counts[r]` is rank r's length, the same list on every rank, and `all` holds their sum.
  /// A copy, so no rounding: what rows of a Jacobian or residuals, which live on one rank each,
  /// need to become the whole batch's. Sends (K − 1)·|mine| values.
  virtual void gather(std::span<const double> mine, std::span<const std::int64_t> counts,
                      std::span<double> all) = 0;
  virtual void gather(std::span<const float> mine, std::span<const std::int64_t> counts,
                      std::span<float> all) = 0;

  /// Rank 0's `value`, returned on every rank (for decisions only rank 0 may make: time budgets,
  /// signals).
  virtual std::int64_t broadcast(std::int64_t value) = 0;

  /// Bytes this rank has sent so far; the communication formulas of docs/distributed.md are
  /// checked against it.
  virtual std::uint64_t bytes_sent() const = 0;
};

/// One process alone: rank 0 of 1; sums and broadcasts leave values as they are.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void sum(std::span<double>) override {}
  void sum(std::span<float>) override {}
  void gather(std::span<const double> mine, std::span<const std::int64_t>,
              std::span<double> all) override {
    copy(mine, all);
  }
  void gather(std::span<const float> mine, std::span<const std::int64_t>,
              std::span<float> all) override {
    copy(mine, all);
  }
  std::int64_t broadcast(std::int64_t value) override { return value; }
  std::uint64_t bytes_sent() const override { return 0; }

 private:
  template <class T>
  static void copy(std::span<const T> from, std::span<T> to) {
    if (from.size() != to.size())
      throw ShapeError("SingleProcess::gather: " + std::to_string(from.size()) + " values into " +
                       std::to_string(to.size()));
    if (from.data() != to.data()) std::copy(from.begin(), from.end(), to.begin());
  }
};

}  // namespace curvopt
