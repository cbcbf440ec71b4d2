#include "curvopt/problem/l2_regularized.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"
#include "curvopt/loss/softmax_cross_entropy.h"
#include "curvopt/optim/registry.h"
#include "curvopt/problem/objective.h"
#include "testing/helpers.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

struct Blobs {
  Blobs() : blobs(30, 1.5, 5), objective(blobs.model, loss) {
    objective.set_batch(blobs.inputs, blobs.labels);
  }
  testing::ThreeClassBlobs blobs;
  SoftmaxCrossEntropy<double> loss;
  Objective<double> objective;
};

TEST(L2Regularized, AddsThePenaltyToTheValueAndEveryDerivative) {
  Blobs b;
  const double eta = 0.3;
  L2Regularized<double> problem(b.objective, eta);
  Rng rng(4);
  const Vector<double> theta = b.blobs.model.parameters();
  const Index n = theta.size();
  const Vector<double> v = testing::random_vector(n, rng);
  EXPECT_NEAR(problem.value(theta), b.objective.value(theta) + 0.5 * eta * theta.squaredNorm(),
              1e-14);
  Vector<double> g(n), g0(n);
  problem.gradient(theta, g);
  b.objective.gradient(theta, g0);
  EXPECT_LE((g - g0 - eta * theta).norm(), 1e-14 * g.norm());
  // The gradient against central differences of the value, along v.
  const double h = 1e-5;
  const double fd = (problem.value(theta + h * v) - problem.value(theta - h * v)) / (2 * h);
  EXPECT_NEAR(fd, g.dot(v), 1e-7 * std::abs(fd));
  Vector<double> Gv(n), G0v(n), Hv(n), H0v(n);
  problem.ggn_vector_product(theta, v, Gv);
  b.objective.ggn_vector_product(theta, v, G0v);
  EXPECT_LE((Gv - G0v - eta * v).norm(), 1e-13 * Gv.norm());
  problem.hessian_vector_product(theta, v, Hv);
  b.objective.hessian_vector_product(theta, v, H0v);
  EXPECT_LE((Hv - H0v - eta * v).norm(), 1e-13 * Hv.norm());
  Matrix<double> V = testing::random_matrix(n, 2, rng), GV(n, 2), G0V(n, 2);
  problem.ggn_matrix_product(theta, V, GV);
  b.objective.ggn_matrix_product(theta, V, G0V);
  EXPECT_LE((GV - G0V - eta * V).norm(), 1e-13 * GV.norm());
  EXPECT_TRUE(problem.oracles().contains(Oracle::kKfacStatistics | Oracle::kGgnProduct));
  EXPECT_FALSE(problem.oracles().contains(Oracle::kJacobian));  // not regularized here
  EXPECT_THROW(L2Regularized<double>(b.objective, -1), ConfigError);
}

TEST(KfacWeightDecay, MinimizesThePenalizedObjective) {
  // With η the fixed point is ∇f(θ) = −ηθ: after training, the penalized objective is lower and
  // the weights are smaller than without decay, and the gradient of f + ½η‖θ‖² is what vanishes.
  Blobs plain, decayed;
  auto kfac = make_optimizer<double>("kfac damping_period=2");
  auto kfac_wd = make_optimizer<double>("kfac damping_period=2 weight_decay=0.05");
  Vector<double> theta = plain.blobs.model.parameters(), theta_wd = theta;
  for (int k = 0; k < 60; ++k) {
    kfac->step(plain.objective, theta);
    kfac_wd->step(decayed.objective, theta_wd);
  }
  std::printf("|theta| %.3f without decay, %.3f with; penalized gradient %.2e\n", theta.norm(),
              theta_wd.norm(), [&] {
                Vector<double> g(theta.size());
                L2Regularized<double>(decayed.objective, 0.05).gradient(theta_wd, g);
                return g.norm();
              }());
  EXPECT_LT(theta_wd.norm(), 0.8 * theta.norm());
  L2Regularized<double> penalized(decayed.objective, 0.05);
  EXPECT_LT(penalized.value(theta_wd), penalized.value(theta));
  Vector<double> g(theta.size());
  penalized.gradient(theta_wd, g);
  EXPECT_LT(g.norm(), 1e-2);
}

}  // namespace
}  // namespace curvopt
