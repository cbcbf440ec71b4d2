#include "curvopt/problem/interleaved_rows.h"

#include <gtest/gtest.h>

#include <vector>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

// 7 examples dealt to 3 ranks in turn (rank 0: positions 0, 3, 6; rank 1: 1, 4; rank 2: 2, 5),
// two rows per example (a network with two outputs: block k is output k of every example).
TEST(InterleavedRows, EveryRanksRowsGoWhereOneProcessHasThem) {
  const InterleavedRows rows(7, 2, 3);
  EXPECT_EQ(rows.total(), 14);
  EXPECT_EQ(rows.local_examples(0), 3);
  EXPECT_EQ(rows.local_examples(1), 2);
  EXPECT_EQ(rows.local_examples(2), 2);
  EXPECT_EQ(rows.rows(0), 6);
  // Rank 1's rows: output 0 of positions 1 and 4, then output 1 of them (7 + 1, 7 + 4).
  EXPECT_EQ(rows.global_row(1, 0), 1);
  EXPECT_EQ(rows.global_row(1, 1), 4);
  EXPECT_EQ(rows.global_row(1, 2), 8);
  EXPECT_EQ(rows.global_row(1, 3), 11);
  EXPECT_EQ(rows.global_row(0, 5), 13);
  // Together the ranks' rows are every row once.
  std::vector<int> hits(14, 0);
  for (int r = 0; r < 3; ++r)
    for (Index i = 0; i < rows.rows(r); ++i)
      ++hits[static_cast<std::size_t>(rows.global_row(r, i))];
  for (int h : hits) EXPECT_EQ(h, 1);
}

TEST(InterleavedRows, RanksBeyondTheExamplesHoldNone) {
  const InterleavedRows rows(2, 3, 4);
  EXPECT_EQ(rows.rows(2), 0);
  EXPECT_EQ(rows.rows(3), 0);
  EXPECT_EQ(rows.rows(0) + rows.rows(1), rows.total());
}

TEST(InterleavedRows, OneProcessGathersItsOwnRowsAndTakesThemBack) {
  SingleProcess alone;
  const InterleavedRows rows(4, 2, 1);
  Vector<double> mine = Vector<double>::LinSpaced(8, 1, 8), all(8), back(8);
  std::vector<double> buffer;
  rows.gather(alone, mine, all, buffer);
  EXPECT_EQ(all, mine);
  rows.take(0, all, back);
  EXPECT_EQ(back, mine);
  Matrix<float> J = Matrix<float>::Random(8, 3), whole(8, 3);
  std::vector<float> fbuffer;
  rows.gather_rows(alone, J, whole, fbuffer);
  EXPECT_EQ(whole, J);
}

TEST(InterleavedRows, WrongShapesAreRefused) {
  SingleProcess alone;
  const InterleavedRows rows(4, 2, 1);
  Vector<double> mine(7), all(8);
  std::vector<double> buffer;
  EXPECT_THROW(rows.gather(alone, mine, all, buffer), ShapeError);
  EXPECT_THROW(InterleavedRows(3, 0, 2), ShapeError);
  EXPECT_THROW(InterleavedRows(3, 1, 0), ShapeError);
  const InterleavedRows two_ranks(4, 1, 2);
  Vector<double> four(2), whole(4);
  EXPECT_THROW(two_ranks.gather(alone, four, whole, buffer), ShapeError);  // 1 rank, layout of 2
}

}  // namespace
}  // namespace curvopt
