// Behaviour every optimizer shares, run over the registry: training a small network, rejecting
// non-finite steps, resuming from saved state, and the registry's key=value configuration.

#include "curvopt/optim/optimizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>

#include "curvopt/core/errors.h"
#include "curvopt/optim/registry.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

// Each spec is a method in a configuration worth covering.
const char* const kSpecs[] = {
    "gd lr=0.1",
    "sgd lr=0.05 momentum=0.9",
    "sgd lr=0.05 momentum=0.9 nesterov=true weight_decay=1e-4",
    "sgd lr=0.1 schedule=cosine schedule_period=200 clip_norm=1 averaging=polyak",
    "adagrad lr=0.1",
    "rmsprop lr=0.003 momentum=0.5 centered=true",
    "adam lr=0.01",
    "adam lr=0.01 amsgrad=true variant=keras averaging=exponential averaging_decay=0.9",
    "adamw lr=0.01",
    "lbfgs",
    "lbfgs line_search=armijo memory=5",
    "lbfgs line_search=none lr=0.1 memory=3",
    "nlls1 delta=0.8",
    "nlls1 delta=0 alpha=0.1 jacobian_decay=0.9",
    "bfgs",
    "sr1",
    "lsr1 memory=4",
    "lsr1 solver=exact",
    "slbfgs",
    "slbfgs sampling=gradient memory=4 radius=0.1",
    "slsr1",
    "slsr1 solver=exact memory=5",
    // The suite's problems have Hessian products only; the Gauss-Newton default is covered in
    // hessian_free_test.cpp.
    "hessian-free curvature=hessian",
    "hf curvature=hessian max_cg=5 cg_backtracking=false warm_start_decay=0 residual_refresh=2",
    "hf curvature=hessian uphill=true keep_best=true",
};

class EveryOptimizer : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryOptimizer, ReducesTheLossOfASmallNetwork) {
  testing::SineRegression<float> task;
  auto optimizer = make_optimizer<float>(GetParam());
  Vector<float> theta = task.model.parameters();
  const float initial = task.objective->value(theta);
  for (int k = 0; k < 300; ++k) {
    const StepReport r = optimizer->step(*task.objective, theta);
    ASSERT_NE(r.status, StepStatus::kNumericalIssue) << "step " << k << ": " << r.message;
    if (r.converged) break;
  }
  const float final_loss = task.objective->value(theta);
  EXPECT_LT(final_loss, 0.5f * initial) << "initial " << initial;
  if (const Vector<float>* average = optimizer->evaluation_parameters()) {
    EXPECT_LT(task.objective->value(*average), initial);
  }
}

TEST_P(EveryOptimizer, NanGradientLeavesParametersAndStateUntouched) {
  // The second step sees a NaN loss and gradient. The optimizer must reject it without moving θ,
  // then continue exactly as an optimizer that never saw it.
  testing::PoisonableProblem<double> pa, pb;
  auto a = make_optimizer<double>(GetParam());
  auto b = make_optimizer<double>(GetParam());
  Vector<double> x(2), y(2);
  x << 1, 1;
  y << 1, 1;
  a->step(pa, x);
  b->step(pb, y);
  const Vector<double> before = x;
  pa.set_poisoned(true);
  const StepReport rejected = a->step(pa, x);
  EXPECT_EQ(rejected.status, StepStatus::kNumericalIssue);
  EXPECT_FALSE(rejected.message.empty());
  EXPECT_EQ(std::memcmp(before.data(), x.data(), sizeof(double) * 2), 0);
  pa.set_poisoned(false);
  for (int k = 0; k < 3; ++k) {
    a->step(pa, x);
    b->step(pb, y);
    EXPECT_EQ(std::memcmp(x.data(), y.data(), sizeof(double) * 2), 0) << "step " << k;
  }
}

TEST_P(EveryOptimizer, RejectedFirstStepLeavesTheStateFresh) {
  testing::PoisonableProblem<double> problem;
  auto a = make_optimizer<double>(GetParam());
  auto fresh = make_optimizer<double>(GetParam());
  Vector<double> x = Vector<double>::Ones(2), y = x;
  problem.set_poisoned(true);
  EXPECT_EQ(a->step(problem, x).status, StepStatus::kNumericalIssue);
  EXPECT_EQ(a->evaluation_parameters(), nullptr);
  problem.set_poisoned(false);
  for (int k = 0; k < 3; ++k) {
    a->step(problem, x);
    fresh->step(problem, y);
    EXPECT_EQ(x, y) << "step " << k;
  }
  ASSERT_EQ(a->evaluation_parameters() == nullptr, fresh->evaluation_parameters() == nullptr);
  if (a->evaluation_parameters()) {
    EXPECT_EQ(*a->evaluation_parameters(), *fresh->evaluation_parameters());
  }
}

TEST_P(EveryOptimizer, ResetForgetsEverything) {
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  auto a = make_optimizer<double>(GetParam());
  auto fresh = make_optimizer<double>(GetParam());
  Vector<double> x = Vector<double>::Ones(2), y = x;
  for (int k = 0; k < 4; ++k) a->step(problem, x);
  a->reset();
  EXPECT_EQ(a->save_state(), fresh->save_state());
  EXPECT_EQ(a->evaluation_parameters(), nullptr);
  // After a reset the optimizer behaves as a new one.
  x = y;
  for (int k = 0; k < 3; ++k) {
    a->step(problem, x);
    fresh->step(problem, y);
  }
  EXPECT_EQ(x, y);
}

TEST_P(EveryOptimizer, ResumesBitIdenticallyFromSavedState) {
  testing::SineRegression<float> task;
  auto straight = make_optimizer<float>(GetParam());
  Vector<float> x = task.model.parameters(), y = x;
  for (int k = 0; k < 5; ++k) straight->step(*task.objective, x);
  // Save after 5 steps, write and read it back, load into a fresh optimizer.
  auto first = make_optimizer<float>(GetParam());
  for (int k = 0; k < 5; ++k) first->step(*task.objective, y);
  std::stringstream file;
  first->save_state().write(file);
  auto resumed = make_optimizer<float>(GetParam());
  resumed->load_state(OptimizerState::read(file, "test state"));
  ASSERT_EQ(resumed->save_state(), first->save_state());
  for (int k = 0; k < 5; ++k) {
    const StepReport ra = straight->step(*task.objective, x);
    const StepReport rb = resumed->step(*task.objective, y);
    EXPECT_EQ(ra.step, rb.step);
    ASSERT_EQ(std::memcmp(x.data(), y.data(), sizeof(float) * static_cast<std::size_t>(x.size())),
              0)
        << "step " << k;
  }
}

TEST_P(EveryOptimizer, ReportsWhatItDid) {
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  auto optimizer = make_optimizer<double>(GetParam());
  Vector<double> x(2);
  x << 1, 1;
  const Vector<double> before = x;
  const StepReport r = optimizer->step(problem, x);
  ASSERT_TRUE(r.accepted());
  EXPECT_EQ(r.step, 0);
  EXPECT_DOUBLE_EQ(r.loss_before, 5.5);
  EXPECT_NEAR(r.gradient_norm.value(), std::sqrt(101.0), 1e-12);
  EXPECT_NEAR(r.step_norm, (x - before).norm(), 1e-15);
  EXPECT_GT(r.num_gradient_evaluations, 0);
  EXPECT_TRUE(r.learning_rate.has_value());
  EXPECT_GE(r.times.total_seconds, r.times.gradient_seconds);
  EXPECT_EQ(optimizer->step(problem, x).step, 1);
}

TEST_P(EveryOptimizer, RefusesStateFromAnotherProblemSize) {
  FunctionProblem<double> two = testing::quadratic_2d<double>();
  FunctionProblem<double> three = testing::rosenbrock<double>(3);
  auto optimizer = make_optimizer<double>(GetParam());
  Vector<double> x = Vector<double>::Ones(2), z = Vector<double>::Zero(3);
  optimizer->step(two, x);
  EXPECT_THROW(optimizer->step(three, z), ShapeError);
  EXPECT_THROW(optimizer->step(two, z), ShapeError);
  optimizer->reset();
  EXPECT_NO_THROW(optimizer->step(three, z));
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryOptimizer, ::testing::ValuesIn(kSpecs));

std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no ConfigError";
}

TEST(Registry, BuildsEveryNameWithItsDefaults) {
  for (const OptimizerDescription& d : optimizer_catalog()) {
    auto optimizer = make_optimizer<float>(d.name);
    ASSERT_NE(optimizer, nullptr);
    EXPECT_FALSE(d.options.empty());
    // options() reports every field, as the catalog lists them.
    EXPECT_EQ(optimizer->options().size(), d.options.size()) << d.name;
  }
  EXPECT_EQ(make_optimizer<double>("adamw")->name(), "adamw");
  EXPECT_EQ(describe_optimizer("adamw").options[4].default_value, "0.01");
}

TEST(Registry, AppliesKeysAndAliases) {
  auto adam = make_optimizer<float>("adam lr=0.5 beta1=0.8 eps=1e-6");
  const auto options = adam->options();
  auto value_of = [&](const std::string& key) {
    for (const auto& [k, v] : options)
      if (k == key) return v;
    return std::string("missing");
  };
  EXPECT_EQ(value_of("learning_rate"), "0.5");
  EXPECT_EQ(value_of("beta1"), "0.8");
  EXPECT_EQ(value_of("epsilon"), "1e-06");
  // Command-line spelling: '-' for '_'.
  const auto sgd = make_optimizer<float>("sgd clip-norm=2 schedule-period=50")->options();
  EXPECT_NE(
      std::find(sgd.begin(), sgd.end(), std::pair<std::string, std::string>("clip_norm", "2")),
      sgd.end());
  // A configuration rebuilt from its recorded options is the same configuration.
  OptionList recorded(options.begin(), options.end());
  EXPECT_EQ(make_optimizer<float>("adam", recorded)->options(), options);
}

TEST(Registry, ErrorsNameTheOptimizerAndTheKey) {
  EXPECT_NE(config_error([] {
              make_optimizer<float>("adam beta3=0.9");
            }).find("adam: unknown option 'beta3' (known: learning_rate (lr), beta1"),
            std::string::npos);
  EXPECT_NE(config_error([] {
              make_optimizer<float>("adam beta1=abc");
            }).find("adam: beta1 = 'abc': expected a number"),
            std::string::npos);
  EXPECT_NE(config_error([] {
              make_optimizer<float>("adam beta1=1.5");
            }).find("AdamOptions::beta1 = 1.5: must be in [0, 1)"),
            std::string::npos);
  EXPECT_NE(config_error([] { make_optimizer<float>("adma"); }).find("unknown optimizer 'adma'"),
            std::string::npos);
  EXPECT_NE(config_error([] {
              make_optimizer<float>("sgd lr=0.1 learning_rate=0.2");
            }).find("option 'learning_rate' given twice"),
            std::string::npos);
  EXPECT_NE(config_error([] { make_optimizer<float>("sgd momentum"); }).find("expected key=value"),
            std::string::npos);
  EXPECT_NE(config_error([] {
              make_optimizer<float>("sgd nesterov=maybe");
            }).find("expected true or false"),
            std::string::npos);
  EXPECT_NE(config_error([] {
              make_optimizer<float>("sgd schedule=linear");
            }).find("not one of constant, step, cosine"),
            std::string::npos);
  EXPECT_NE(config_error([] {
              make_optimizer<float>("lbfgs line_search=wolfe");
            }).find("not one of none, armijo, strong-wolfe"),
            std::string::npos);
  EXPECT_NE(config_error([] { make_optimizer<float>("   "); }).find("empty"), std::string::npos);
}

TEST(Registry, InvalidOptionsOfEveryMethodNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"sgd lr=0", "SgdOptions::learning_rate = 0: must be finite and > 0"},
      {"sgd momentum=1", "SgdOptions::momentum = 1: must be in [0, 1)"},
      {"sgd dampening=2", "SgdOptions::dampening = 2"},
      {"sgd nesterov=true", "SgdOptions::nesterov = true: needs momentum > 0"},
      {"sgd wd=-1", "SgdOptions::weight_decay = -1"},
      {"sgd schedule_gamma=0", "LearningRateScheduleOptions::gamma = 0"},
      {"sgd schedule_period=0", "LearningRateScheduleOptions::period = 0"},
      {"sgd clip_norm=-1", "GradientClippingOptions::max_norm = -1"},
      {"sgd averaging_decay=1", "IterateAveragingOptions::decay = 1"},
      {"adagrad lr=-1", "AdagradOptions::learning_rate = -1"},
      {"adagrad initial_accumulator=-1", "AdagradOptions::initial_accumulator = -1"},
      {"adagrad eps=-1", "AdagradOptions::epsilon = -1"},
      {"rmsprop alpha=1", "RmspropOptions::rho = 1"},
      {"rmsprop momentum=-0.5", "RmspropOptions::momentum = -0.5"},
      {"adam beta2=1", "AdamOptions::beta2 = 1"},
      {"adamw wd=-0.1", "AdamOptions::weight_decay = -0.1"},
      {"lbfgs memory=0", "LbfgsOptions::memory = 0"},
      {"lbfgs c2=0.00001", "LineSearchOptions::c2 = 1e-05"},
      {"lbfgs max_ls=0", "LineSearchOptions::max_evaluations = 0"},
      {"lbfgs gradient_tolerance=-1", "LbfgsOptions::gradient_tolerance = -1"},
  };
  for (const auto& [spec, message] : cases)
    EXPECT_NE(config_error([spec = spec] { make_optimizer<double>(spec); }).find(message),
              std::string::npos)
        << spec << " gave: " << config_error([spec = spec] { make_optimizer<double>(spec); });
}

}  // namespace
}  // namespace curvopt
