#include "curvopt/problem/interleaved_rows.h"

#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

InterleavedRows::InterleavedRows(Index examples, Index blocks, int ranks) {
  reset(examples, blocks, ranks);
}

void InterleavedRows::reset(Index examples, Index blocks, int ranks) {
  if (examples < 0 || blocks < 1 || ranks < 1)
    throw ShapeError("InterleavedRows: " + std::to_string(examples) + " examples, " +
                     std::to_string(blocks) + " blocks, " + std::to_string(ranks) +
                     " ranks: need examples >= 0, blocks >= 1, ranks >= 1");
  if (examples == examples_ && blocks == blocks_ && ranks == ranks_ &&
      static_cast<Index>(destination_.size()) == total() &&
      first_.size() == static_cast<std::size_t>(ranks))
    return;  // the same layout as the last batch: nothing to redo
  examples_ = examples;
  blocks_ = blocks;
  ranks_ = ranks;
  // The rows in gathered (rank-major) order, looked up instead of recomputed per element.
  destination_.clear();
  destination_.reserve(static_cast<std::size_t>(total()));
  first_.resize(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    first_[static_cast<std::size_t>(r)] = static_cast<Index>(destination_.size());
    for (Index i = 0, m = rows(r); i < m; ++i) destination_.push_back(global_row(r, i));
  }
}

Index InterleavedRows::global_row(int rank, Index i) const {
  const Index local = local_examples(rank);
  const Index k = i / local, j = i % local;
  return k * examples_ + rank + j * ranks_;
}

std::span<const std::int64_t> InterleavedRows::counts(Index values_per_row) const {
  counts_.resize(static_cast<std::size_t>(ranks_));
  for (int r = 0; r < ranks_; ++r)
    counts_[static_cast<std::size_t>(r)] = static_cast<std::int64_t>(rows(r) * values_per_row);
  return counts_;
}

template <class Scalar>
void InterleavedRows::gather_values(Communicator& communicator, ConstVectorRef<Scalar> mine,
                                    VectorRef<Scalar> all, std::vector<Scalar>& buffer) const {
  const int me = communicator.rank();
  if (communicator.size() != ranks_ || mine.size() != rows(me) || all.size() != total())
    throw ShapeError("InterleavedRows::gather: rank " + std::to_string(me) + " of " +
                     std::to_string(communicator.size()) + " gives " + std::to_string(mine.size()) +
                     " rows into " + std::to_string(all.size()) + "; the layout has " +
                     std::to_string(rows(me)) + " of " + std::to_string(total()) + " over " +
                     std::to_string(ranks_) + " ranks");
  buffer.resize(static_cast<std::size_t>(total()));
  communicator.gather(std::span<const Scalar>(mine.data(), static_cast<std::size_t>(mine.size())),
                      counts(1), std::span<Scalar>(buffer));
  for (std::size_t p = 0; p < buffer.size(); ++p) all(destination_[p]) = buffer[p];
}

template <class Scalar>
void InterleavedRows::gather_matrix(Communicator& communicator, const Matrix<Scalar>& mine,
                                    MatrixRef<Scalar> all, std::vector<Scalar>& buffer) const {
  const int me = communicator.rank();
  const Index n = mine.cols();
  if (communicator.size() != ranks_ || mine.rows() != rows(me) || all.rows() != total() ||
      all.cols() != n)
    throw ShapeError("InterleavedRows::gather_rows: rank " + std::to_string(me) + " gives " +
                     std::to_string(mine.rows()) + " x " + std::to_string(n) + " into " +
                     std::to_string(all.rows()) + " x " + std::to_string(all.cols()) +
                     "; the layout has " + std::to_string(rows(me)) + " of " +
                     std::to_string(total()) + " rows");
  buffer.resize(static_cast<std::size_t>(total() * n));
  communicator.gather(std::span<const Scalar>(mine.data(), static_cast<std::size_t>(mine.size())),
                      counts(n), std::span<Scalar>(buffer));
  // Rank r's block is its rows(r) × n matrix, column-major; every column scatters alike.
  const Scalar* block = buffer.data();
  const Index* destination = destination_.data();
  for (int r = 0; r < ranks_; ++r) {
    const Index m = rows(r);
    for (Index c = 0; c < n; ++c) {
      Scalar* column = all.col(c).data();
      const Scalar* from = block + c * m;
      for (Index i = 0; i < m; ++i) column[destination[i]] = from[i];
    }
    block += m * n;
    destination += m;
  }
}

template <class Scalar>
void InterleavedRows::gather_column_matrix(Communicator& communicator, const Matrix<Scalar>& mine,
                                           MatrixRef<Scalar> all,
                                           std::vector<Scalar>& buffer) const {
  const int me = communicator.rank();
  const Index d = mine.rows();
  if (communicator.size() != ranks_ || mine.cols() != rows(me) || all.cols() != total() ||
      all.rows() != d)
    throw ShapeError("InterleavedRows::gather_columns: rank " + std::to_string(me) + " gives " +
                     std::to_string(d) + " x " + std::to_string(mine.cols()) + " into " +
                     std::to_string(all.rows()) + " x " + std::to_string(all.cols()) +
                     "; the layout has " + std::to_string(rows(me)) + " of " +
                     std::to_string(total()) + " columns");
  buffer.resize(static_cast<std::size_t>(total() * d));
  communicator.gather(std::span<const Scalar>(mine.data(), static_cast<std::size_t>(mine.size())),
                      counts(d), std::span<Scalar>(buffer));
  for (std::size_t p = 0; p < destination_.size(); ++p)
    all.col(destination_[p]) =
        Eigen::Map<const Vector<Scalar>>(buffer.data() + p * static_cast<std::size_t>(d), d);
}

template <class Scalar>
void InterleavedRows::take_values(int rank, ConstVectorRef<Scalar> all,
                                  VectorRef<Scalar> mine) const {
  if (all.size() != total() || mine.size() != rows(rank))
    throw ShapeError("InterleavedRows::take: " + std::to_string(mine.size()) + " of " +
                     std::to_string(all.size()) + " rows; the layout has " +
                     std::to_string(rows(rank)) + " of " + std::to_string(total()));
  const Index* destination = destination_.data() + first_[static_cast<std::size_t>(rank)];
  for (Index i = 0, m = rows(rank); i < m; ++i) mine(i) = all(destination[i]);
}

void InterleavedRows::gather(Communicator& communicator, ConstVectorRef<float> mine,
                             VectorRef<float> all, std::vector<float>& buffer) const {
  gather_values(communicator, mine, all, buffer);
}
void InterleavedRows::gather(Communicator& communicator, ConstVectorRef<double> mine,
                             VectorRef<double> all, std::vector<double>& buffer) const {
  gather_values(communicator, mine, all, buffer);
}
void InterleavedRows::gather_rows(Communicator& communicator, const Matrix<float>& mine,
                                  MatrixRef<float> all, std::vector<float>& buffer) const {
  gather_matrix(communicator, mine, all, buffer);
}
void InterleavedRows::gather_rows(Communicator& communicator, const Matrix<double>& mine,
                                  MatrixRef<double> all, std::vector<double>& buffer) const {
  gather_matrix(communicator, mine, all, buffer);
}
void InterleavedRows::gather_columns(Communicator& communicator, const Matrix<float>& mine,
                                     MatrixRef<float> all, std::vector<float>& buffer) const {
  gather_column_matrix(communicator, mine, all, buffer);
}
void InterleavedRows::gather_columns(Communicator& communicator, const Matrix<double>& mine,
                                     MatrixRef<double> all, std::vector<double>& buffer) const {
  gather_column_matrix(communicator, mine, all, buffer);
}
void InterleavedRows::take(int rank, ConstVectorRef<float> all, VectorRef<float> mine) const {
  take_values(rank, all, mine);
}
void InterleavedRows::take(int rank, ConstVectorRef<double> all, VectorRef<double> mine) const {
  take_values(rank, all, mine);
}

}  // namespace curvopt
