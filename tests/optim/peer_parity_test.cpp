// Peer parity (CURVOPT_PEERS=ON): curvopt's first-order methods follow the same parameter
// trajectory as LibTorch's torch::optim when both see the same gradient function. The gradient
// is g_k(θ) = h ⊙ (θ − c) + ξ_k (a diagonal quadratic plus seeded noise), computed identically
// on both sides from each side's own θ, so any difference in the update rules compounds.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "curvopt/core/random.h"
#include "curvopt/optim/registry.h"

namespace curvopt {
namespace {

constexpr Index kDimension = 50;
constexpr int kSteps = 100;

template <class Scalar>
struct NoisyQuadratic final : Problem<Scalar> {
  Vector<double> h, c, x0;
  Matrix<double> noise;  // column k is ξ_k
  int call = 0;

  NoisyQuadratic() : h(kDimension), c(kDimension), x0(kDimension), noise(kDimension, kSteps) {
    Rng rng(11);
    for (Index i = 0; i < kDimension; ++i) {
      h(i) = 0.1 + 2 * rng.uniform();
      c(i) = rng.normal();
      x0(i) = rng.normal();
    }
    for (Index i = 0; i < noise.size(); ++i) noise.data()[i] = 0.3 * rng.normal();
  }
  /// The gradient both sides use, in Scalar arithmetic.
  void gradient_at(int k, const Scalar* theta, Scalar* g) const {
    for (Index i = 0; i < kDimension; ++i)
      g[i] = static_cast<Scalar>(h(i)) * (theta[i] - static_cast<Scalar>(c(i))) +
             static_cast<Scalar>(noise(i, k));
  }
  Index num_parameters() const override { return kDimension; }
  Scalar value(ConstVectorRef<Scalar>) override { return 0; }
  Scalar gradient(ConstVectorRef<Scalar> theta, VectorRef<Scalar> g) override {
    gradient_at(call++, theta.data(), g.data());
    this->mark_data_changed();
    return 0;
  }
};

struct Case {
  std::string curvopt_spec;
  std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)> make_torch;
};

std::vector<Case> cases() {
  using namespace torch::optim;
  return {
      {"sgd lr=0.05", [](auto p) { return std::make_unique<SGD>(p, SGDOptions(0.05)); }},
      {"sgd lr=0.05 momentum=0.9",
       [](auto p) { return std::make_unique<SGD>(p, SGDOptions(0.05).momentum(0.9)); }},
      {"sgd lr=0.05 momentum=0.9 dampening=0.1",
       [](auto p) {
         return std::make_unique<SGD>(p, SGDOptions(0.05).momentum(0.9).dampening(0.1));
       }},
      {"sgd lr=0.05 momentum=0.9 nesterov=true",
       [](auto p) {
         return std::make_unique<SGD>(p, SGDOptions(0.05).momentum(0.9).nesterov(true));
       }},
      {"sgd lr=0.05 momentum=0.9 weight_decay=5e-4",
       [](auto p) {
         return std::make_unique<SGD>(p, SGDOptions(0.05).momentum(0.9).weight_decay(5e-4));
       }},
      {"adagrad lr=0.1", [](auto p) { return std::make_unique<Adagrad>(p, AdagradOptions(0.1)); }},
      {"adagrad lr=0.1 weight_decay=0.01 initial_accumulator=0.1 schedule=inverse-time "
       "schedule_decay=0.01",
       [](auto p) {
         return std::make_unique<Adagrad>(
             p,
             AdagradOptions(0.1).weight_decay(0.01).initial_accumulator_value(0.1).lr_decay(0.01));
       }},
      {"rmsprop lr=0.01",
       [](auto p) { return std::make_unique<RMSprop>(p, RMSpropOptions(0.01)); }},
      {"rmsprop lr=0.01 momentum=0.9 centered=true weight_decay=0.01",
       [](auto p) {
         return std::make_unique<RMSprop>(
             p, RMSpropOptions(0.01).momentum(0.9).centered(true).weight_decay(0.01));
       }},
      {"adam lr=0.01", [](auto p) { return std::make_unique<Adam>(p, AdamOptions(0.01)); }},
      {"adam lr=0.01 beta1=0.8 beta2=0.99 weight_decay=0.01 amsgrad=true",
       [](auto p) {
         return std::make_unique<Adam>(
             p,
             AdamOptions(0.01).betas(std::make_tuple(0.8, 0.99)).weight_decay(0.01).amsgrad(true));
       }},
      {"adamw lr=0.01", [](auto p) { return std::make_unique<AdamW>(p, AdamWOptions(0.01)); }},
      {"adamw lr=0.01 weight_decay=0.1 amsgrad=true",
       [](auto p) {
         return std::make_unique<AdamW>(p, AdamWOptions(0.01).weight_decay(0.1).amsgrad(true));
       }},
  };
}

/// Largest relative difference max|θ_ours − θ_torch| / max(1, max|θ_torch|) over the run.
template <class Scalar>
double max_trajectory_difference(const Case& c) {
  NoisyQuadratic<Scalar> problem;
  auto ours = make_optimizer<Scalar>(c.curvopt_spec);
  Vector<Scalar> theta = problem.x0.template cast<Scalar>();
  const auto dtype = std::is_same_v<Scalar, float> ? torch::kFloat32 : torch::kFloat64;
  torch::Tensor p = torch::from_blob(theta.data(), {kDimension}, dtype).clone();
  auto peer = c.make_torch({p});
  double worst = 0;
  for (int k = 0; k < kSteps; ++k) {
    const StepReport report = ours->step(problem, theta);
    EXPECT_TRUE(report.accepted()) << c.curvopt_spec << " step " << k;
    torch::Tensor g = torch::empty({kDimension}, dtype);
    problem.gradient_at(k, p.data_ptr<Scalar>(), g.data_ptr<Scalar>());
    p.mutable_grad() = g;
    peer->step();
    const Scalar* q = p.data_ptr<Scalar>();
    double diff = 0, scale = 1;
    for (Index i = 0; i < kDimension; ++i) {
      diff = std::max(diff, std::abs(static_cast<double>(theta(i)) - static_cast<double>(q[i])));
      scale = std::max(scale, std::abs(static_cast<double>(q[i])));
    }
    worst = std::max(worst, diff / scale);
  }
  return worst;
}

TEST(PeerParity, SameTrajectoryAsTorchOptimInDouble) {
  torch::set_num_threads(1);
  for (const Case& c : cases()) {
    const double diff = max_trajectory_difference<double>(c);
    std::printf("double  %-100s max rel diff %.2e\n", c.curvopt_spec.c_str(), diff);
    EXPECT_LE(diff, 1e-6) << c.curvopt_spec;
  }
}

TEST(PeerParity, SameTrajectoryAsTorchOptimInFloat) {
  // Same rules in float32: rounding differs only where the two evaluate an expression in a
  // different order, so the trajectories agree to a few float ulps.
  torch::set_num_threads(1);
  for (const Case& c : cases()) {
    const double diff = max_trajectory_difference<float>(c);
    std::printf("float   %-100s max rel diff %.2e\n", c.curvopt_spec.c_str(), diff);
    EXPECT_LE(diff, 1e-5) << c.curvopt_spec;
  }
}

}  // namespace
}  // namespace curvopt
