// The classical quasi-Newton baselines (BFGS, SR1, L-SR1 with pairs from past iterates) on the
// problems whose answers are known, and the dense forms' size guard.

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "curvopt/core/errors.h"
#include "curvopt/optim/registry.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

// From Nocedal & Wright's start (−1.2, 1) to the minimizer (1, 1). Measured steps (a rejected
// trust-region step counts as one): bfgs 37, sr1 95, lsr1 238, lsr1 exact 182 on Zen 4
// (AVX-512); lsr1 286 (OpenBLAS's Zen kernels) and 389 (its Haswell kernels) on Zen 3: L-SR1's
// trust-region path through the curved valley is decided by last-bit differences of its compact
// solves, so its bound is the count a method that works needs anywhere (3-4× the measured), not
// a property of one machine's rounding.
TEST(ClassicalQuasiNewton, SolveRosenbrockFromTheStandardStart) {
  const std::pair<const char*, int> cases[] = {
      {"bfgs", 60}, {"sr1", 150}, {"lsr1", 1000}, {"lsr1 solver=exact", 1000}};
  for (const auto& [spec, max_steps] : cases) {
    auto problem = testing::rosenbrock<double>(2);
    auto optimizer = make_optimizer<double>(std::string(spec) + " gradient_tolerance=1e-7");
    Vector<double> x(2);
    x << -1.2, 1;
    bool converged = false;
    for (int k = 0; k < max_steps && !converged; ++k) {
      const StepReport r = optimizer->step(problem, x);
      ASSERT_NE(r.status, StepStatus::kNumericalIssue) << spec;
      if (r.accepted() && !r.converged) {
        EXPECT_LE(*r.loss_after, r.loss_before) << spec << ", step " << k;
      }
      converged = r.converged;
      if (converged) std::printf("%s: converged in %d steps\n", spec, k + 1);
    }
    EXPECT_TRUE(converged) << spec;
    EXPECT_LT((x - Vector<double>::Ones(2)).norm(), 1e-6) << spec;
  }
}

// On ½(x² + 10y²) every method reaches the origin.
TEST(ClassicalQuasiNewton, SolveAQuadratic) {
  for (const char* spec : {"bfgs", "sr1", "lsr1 memory=2"}) {
    auto problem = testing::quadratic_2d<double>();
    auto optimizer = make_optimizer<double>(std::string(spec) + " gradient_tolerance=1e-10");
    Vector<double> x(2);
    x << 3, -2;
    bool converged = false;
    for (int k = 0; k < 60 && !converged; ++k) converged = optimizer->step(problem, x).converged;
    EXPECT_TRUE(converged) << spec;
    EXPECT_LT(x.norm(), 1e-9) << spec;
  }
}

TEST(ClassicalQuasiNewton, DenseFormsRefuseLargeProblems) {
  auto problem = testing::rosenbrock<double>(50);
  Vector<double> x = Vector<double>::Zero(50);
  for (const char* spec : {"bfgs max_dense_parameters=10", "sr1 max_dense_parameters=10"}) {
    auto optimizer = make_optimizer<double>(spec);
    try {
      optimizer->step(problem, x);
      FAIL() << spec;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("above max_dense_parameters = 10"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(make_optimizer<double>("sr1 solver=exact"), ConfigError);
}

}  // namespace
}  // namespace curvopt
