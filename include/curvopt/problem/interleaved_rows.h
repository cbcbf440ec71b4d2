#pragma once
/// Where the rows of examples dealt to the ranks in turn belong in the whole batch's order, and
/// how to gather them: what turns per-residual and per-example oracles of the shards (residuals,
/// J, jvp, per-example gradients) into the whole batch's.

#include <cstdint>
#include <span>
#include <vector>

#include "curvopt/core/communicator.h"
#include "curvopt/core/types.h"

namespace curvopt {

/// The rows of E examples dealt to K ranks in turn — rank r holds the examples at positions
/// r, r + K, r + 2K, … of the batch, E_r = ⌈(E − r)/K⌉ of them — arranged in B blocks of one row
/// per example, as a network orders its residuals and Jacobian (block k: output k of every
/// example, in batch order). Row i = k·E_r + j of rank r (block k, its j-th example) is row
/// k·E + r + j·K of the whole batch, exactly where a single process holding the whole batch
/// puts it; so gathered residuals, Jacobians and per-example rows are the single process's,
/// row for row, and optimizers that pick rows by index (NLLSL) see the same rows.
class InterleavedRows {
 public:
  InterleavedRows() = default;
  /// `examples` E of the whole batch, `blocks` B ≥ 1 rows per example, `ranks` K ≥ 1.
  InterleavedRows(Index examples, Index blocks, int ranks);
  /// The same for another batch; keeps its storage (no allocation when the batch is no larger).
  void reset(Index examples, Index blocks, int ranks);

  Index examples() const { return examples_; }
  Index blocks() const { return blocks_; }
  /// Rows of the whole batch, B·E.
  Index total() const { return examples_ * blocks_; }
  /// E_r, the examples rank r holds.
  Index local_examples(int rank) const { return examples_dealt(examples_, rank, ranks_); }
  /// ⌈(E − r)/K⌉ (0 when E ≤ r): how many of E examples dealt in turn to K ranks rank r gets.
  static Index examples_dealt(Index examples, int rank, int ranks) {
    return examples <= rank ? 0 : (examples - rank + ranks - 1) / ranks;
  }
  /// B·E_r, the rows rank r holds.
  Index rows(int rank) const { return local_examples(rank) * blocks_; }
  /// The whole batch's row held as row i of rank r.
  Index global_row(int rank, Index i) const;

  /// all (length total()) ← every rank's `mine` (length rows(rank)), each row in its place. One
  /// Communicator::gather of total() values. `buffer` is scratch that grows once.
  void gather(Communicator& communicator, ConstVectorRef<float> mine, VectorRef<float> all,
              std::vector<float>& buffer) const;
  void gather(Communicator& communicator, ConstVectorRef<double> mine, VectorRef<double> all,
              std::vector<double>& buffer) const;
  /// all (total() × n) ← every rank's `mine` (rows(rank) × n, contiguous), row by row.
  void gather_rows(Communicator& communicator, const Matrix<float>& mine, MatrixRef<float> all,
                   std::vector<float>& buffer) const;
  void gather_rows(Communicator& communicator, const Matrix<double>& mine, MatrixRef<double> all,
                   std::vector<double>& buffer) const;
  /// all (d × total()) ← every rank's `mine` (d × rows(rank)): the same with rows as columns
  /// (a layer's cotangents or inputs, one column per row or example).
  void gather_columns(Communicator& communicator, const Matrix<float>& mine, MatrixRef<float> all,
                      std::vector<float>& buffer) const;
  void gather_columns(Communicator& communicator, const Matrix<double>& mine, MatrixRef<double> all,
                      std::vector<double>& buffer) const;
  /// mine (length rows(rank)) ← rank `rank`'s rows of `all` (the inverse of gather on that rank).
  void take(int rank, ConstVectorRef<float> all, VectorRef<float> mine) const;
  void take(int rank, ConstVectorRef<double> all, VectorRef<double> mine) const;

 private:
  /// Every rank's rows × values_per_row, for Communicator::gather.
  std::span<const std::int64_t> counts(Index values_per_row) const;
  template <class Scalar>
  void gather_values(Communicator& communicator, ConstVectorRef<Scalar> mine, VectorRef<Scalar> all,
                     std::vector<Scalar>& buffer) const;
  template <class Scalar>
  void gather_matrix(Communicator& communicator, const Matrix<Scalar>& mine, MatrixRef<Scalar> all,
                     std::vector<Scalar>& buffer) const;
  template <class Scalar>
  void gather_column_matrix(Communicator& communicator, const Matrix<Scalar>& mine,
                            MatrixRef<Scalar> all, std::vector<Scalar>& buffer) const;
  template <class Scalar>
  void take_values(int rank, ConstVectorRef<Scalar> all, VectorRef<Scalar> mine) const;

  Index examples_ = 0, blocks_ = 1;
  int ranks_ = 1;
  std::vector<Index> destination_;            // global_row of every row, rank by rank
  std::vector<Index> first_;                  // where each rank's rows start in destination_
  mutable std::vector<std::int64_t> counts_;  // reused: gathers allocate nothing
};

}  // namespace curvopt
