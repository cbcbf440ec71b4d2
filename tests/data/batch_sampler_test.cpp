#include "curvopt/data/batch_sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

std::vector<Index> epoch_order(BatchSampler& sampler, std::int64_t epoch) {
  sampler.start_epoch(epoch);
  std::vector<Index> order;
  for (Index b = 0; b < sampler.num_batches(); ++b)
    for (Index i : sampler.batch(b)) order.push_back(i);
  return order;
}

TEST(BatchSampler, VisitsEveryExampleOncePerEpoch) {
  BatchSampler sampler(103, {.batch_size = 10, .seed = 4});
  EXPECT_EQ(sampler.num_batches(), 11);
  for (std::int64_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<Index> order = epoch_order(sampler, epoch);
    ASSERT_EQ(order.size(), 103u);
    std::sort(order.begin(), order.end());
    for (Index i = 0; i < 103; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
  }
  sampler.start_epoch(0);
  EXPECT_EQ(sampler.batch(10).size(), 3u);  // the short last batch
}

TEST(BatchSampler, OrdersDependOnlyOnSeedAndEpoch) {
  BatchSampler a(50, {.batch_size = 7, .seed = 1}), b(50, {.batch_size = 7, .seed = 1}),
      c(50, {.batch_size = 7, .seed = 2});
  const auto a2 = epoch_order(a, 2);
  epoch_order(b, 0);
  epoch_order(b, 1);
  EXPECT_EQ(epoch_order(b, 2), a2);  // the same whatever came before (resumable)
  EXPECT_NE(epoch_order(a, 3), a2);  // a new order every epoch
  EXPECT_NE(epoch_order(c, 2), a2);  // and per seed
}

TEST(BatchSampler, FixedBatchesRepeatEveryEpoch) {
  BatchSampler sampler(40, {.batch_size = 8, .fixed_batches = true, .seed = 3});
  const auto first = epoch_order(sampler, 0);
  EXPECT_EQ(epoch_order(sampler, 5), first);
  std::vector<Index> identity(40);
  for (Index i = 0; i < 40; ++i) identity[static_cast<std::size_t>(i)] = i;
  EXPECT_NE(first, identity);  // shuffled once
}

TEST(BatchSampler, NoShuffleKeepsStoredOrderAndDropLastDropsTheTail) {
  BatchSampler sampler(10, {.batch_size = 4, .shuffle = false, .drop_last = true});
  EXPECT_EQ(sampler.num_batches(), 2);
  EXPECT_EQ(epoch_order(sampler, 7), (std::vector<Index>{0, 1, 2, 3, 4, 5, 6, 7}));
}

// A batch larger than the data set is one batch of everything, however large (the count once
// overflowed to 0 batches for the largest batch size: "completed" without a step).
TEST(BatchSampler, AHugeBatchSizeIsOneBatch) {
  for (const Index b :
       {Index(11), std::numeric_limits<Index>::max() / 2 + 3, std::numeric_limits<Index>::max()}) {
    BatchSampler sampler(10, {.batch_size = b, .seed = 2});
    EXPECT_EQ(sampler.num_batches(), 1) << b;
    sampler.start_epoch(0);
    EXPECT_EQ(sampler.batch(0).size(), 10u) << b;
  }
}

TEST(BatchSampler, RejectsBadOptions) {
  EXPECT_THROW(BatchSampler(10, {.batch_size = 0}), ConfigError);
  EXPECT_THROW(BatchSampler(0, {}), ConfigError);
  BatchSampler sampler(10, {.batch_size = 4});
  EXPECT_THROW(sampler.batch(3), ValueError);
}

TEST(SplitDataset, IsSeededAndPartitionsTheExamples) {
  Dataset<double> data{"d", Matrix<double>(1, 20), Matrix<double>(1, 20), 0};
  for (Index i = 0; i < 20; ++i) data.inputs(0, i) = data.targets(0, i) = static_cast<double>(i);
  const auto [train, validation] = split_dataset(data, 0.25, 9);
  EXPECT_EQ(train.size(), 15);
  EXPECT_EQ(validation.size(), 5);
  std::vector<double> all;
  for (Index i = 0; i < 15; ++i) all.push_back(train.inputs(0, i));
  for (Index i = 0; i < 5; ++i) all.push_back(validation.inputs(0, i));
  std::sort(all.begin(), all.end());
  for (Index i = 0; i < 20; ++i) EXPECT_EQ(all[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(split_dataset(data, 0.25, 9).second.inputs, validation.inputs);
  EXPECT_NE(split_dataset(data, 0.25, 10).second.inputs, validation.inputs);
  EXPECT_THROW(split_dataset(data, 1.0, 1), ConfigError);
  EXPECT_THROW(split_dataset(data, 0.01, 1), ConfigError);  // rounds to an empty part
}

}  // namespace
}  // namespace curvopt
