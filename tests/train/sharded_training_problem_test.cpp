// The sharding arithmetic of data-parallel training, in one process (tests/mpi runs it over
// several): the curvature shares, the one-rank case, refusals.

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/optim/registry.h"
#include "curvopt/train/sharded_training_problem.h"
#include "curvopt/train/trainer.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

TEST(ShardedTrainingProblem, TheRanksCurvatureSharesAddUpToTheCurvatureBatch) {
  for (int k = 1; k <= 5; ++k) {
    for (Index c = 0; c <= 23; ++c) {
      Index total = 0;
      for (int r = 0; r < k; ++r) {
        const Index share = ShardedTrainingProblem<double>::local_curvature_examples(c, r, k);
        // Rank r holds positions r, r + k, …; its share is those below c.
        Index expected = 0;
        for (Index p = r; p < c; p += k) ++expected;
        EXPECT_EQ(share, expected) << "c " << c << ", rank " << r << " of " << k;
        total += share;
      }
      EXPECT_EQ(total, c);
    }
  }
}

struct Blobs {
  testing::ThreeClassBlobs blobs{60, 2.0, 4};
  Dataset<double> data{"blobs", blobs.inputs, blobs.labels, 3};
  SoftmaxCrossEntropy<double> loss;
};

TEST(ShardedTrainingProblem, OneRankTrainsBitForBitAsTheNetworkTrainer) {
  Blobs b;
  TrainerOptions options;
  options.epochs = 2;
  options.batching.batch_size = 16;
  Sequential<double> alone_model = b.blobs.model, shard_model = b.blobs.model;
  auto alone_optimizer = make_optimizer<double>("adam lr=0.01");
  Trainer<double> alone(alone_model, b.loss, *alone_optimizer, b.data, options);
  Vector<double> theta1 = alone_model.parameters();
  alone.train(theta1);

  SingleProcess one;
  NetworkProblem<double> shard(shard_model, b.loss, b.data);
  ShardedTrainingProblem<double> sharded(shard, one, Reduction::kMean);
  auto optimizer = make_optimizer<double>("adam lr=0.01");
  Trainer<double> trainer(sharded, *optimizer, options);
  trainer.set_communicator(&one);
  Vector<double> theta = shard_model.parameters();
  trainer.train(theta);
  EXPECT_EQ(theta, theta1);  // weights 1, sums the identity: nothing to round
  EXPECT_GT((theta - b.blobs.model.parameters()).norm(), 1e-2);
}

TEST(ShardedTrainingProblem, OffersTheShardsOraclesSummedOrGathered) {
  Blobs b;
  Sequential<double> model = b.blobs.model, alone_model = b.blobs.model;
  NetworkProblem<double> shard(model, b.loss, b.data), alone(alone_model, b.loss, b.data);
  SingleProcess one;
  ShardedTrainingProblem<double> sharded(shard, one, Reduction::kMean);
  std::vector<Index> batch(10);
  std::iota(batch.begin(), batch.end(), Index(0));
  sharded.bind(batch, 1);
  alone.bind(batch, 1);
  Problem<double>& reduced = sharded.problem();
  for (Oracle o :
       {Oracle::kGradient, Oracle::kGgnProduct, Oracle::kHessianProduct, Oracle::kGaussNewtonMatrix,
        Oracle::kKfacStatistics, Oracle::kEmpiricalFisherDiagonal, Oracle::kResiduals,
        Oracle::kJacobian, Oracle::kJvp, Oracle::kVjp, Oracle::kGram, Oracle::kPerExampleGradients,
        Oracle::kSampledGaussNewton})
    EXPECT_TRUE(reduced.oracles().contains(o)) << to_string(o);
  // One process: the gathered rows are the shard's own, bit for bit.
  const Index m = alone.problem().num_residuals();
  EXPECT_EQ(reduced.num_residuals(), m);
  Vector<double> r(m), r1(m);
  reduced.residuals(model.parameters(), r);
  alone.problem().residuals(model.parameters(), r1);
  EXPECT_EQ(r, r1);
}

TEST(ShardedTrainingProblem, RefusesAnOracleTheShardsLack) {
  SingleProcess one;
  ReducedProblem<double> reduced(one, 3, Oracle::kValue | Oracle::kGradient);
  EXPECT_FALSE(reduced.oracles().contains(Oracle::kResiduals));
  EXPECT_FALSE(reduced.oracles().contains(Oracle::kGram));
  EXPECT_EQ(reduced.num_residuals(), 0);
  Vector<double> theta = Vector<double>::Zero(3), r(3);
  try {
    reduced.residuals(theta, r);
    ADD_FAILURE() << "residuals were served";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("residuals"), std::string::npos) << e.what();
  }
}

TEST(ShardedTrainingProblem, RefusesACurvatureBatchWithASummedLoss) {
  Blobs b;
  Sequential<double> model = b.blobs.model;
  NetworkProblem<double> shard(model, b.loss, b.data);
  SingleProcess one;
  EXPECT_THROW(ShardedTrainingProblem<double>(shard, one, Reduction::kSum, 8), ConfigError);
  EXPECT_THROW(ShardedTrainingProblem<double>(shard, one, Reduction::kMean, -1), ConfigError);
  EXPECT_NO_THROW(ShardedTrainingProblem<double>(shard, one, Reduction::kSum, 0));
}

}  // namespace
}  // namespace curvopt
