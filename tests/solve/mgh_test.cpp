// Every least-squares problem of Moré, Garbow & Hillstrom (1981) from its standard start, with
// solve()'s default options: the final cost must reach one of the minima the paper lists.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "curvopt/solve/solver.h"
#include "testing/mgh_problems.h"

namespace curvopt {
namespace {

// The paper lists minima to six significant figures: a fit within 1e-5 relative of one (or
// below 1e-10 absolute, for a zero minimum) has found it.
bool reached(double f, double minimum) {
  return f <= minimum * (1 + 1e-5) + 1e-10 && f >= minimum * (1 - 1e-5) - 1e-10;
}

TEST(MoreGarbowHillstrom, DefaultOptionsReachAListedMinimumOnEveryProblem) {
  int solved = 0, total = 0;
  for (const testing::MghCase& c : testing::mgh_problems()) {
    LeastSquaresProblem problem(c.n);
    c.add(problem);
    ASSERT_EQ(problem.num_residuals(), c.m) << c.name;
    Vector<double> x = Eigen::Map<const Vector<double>>(c.start.data(), c.n);
    const Summary summary = solve(problem, x);
    const double f = 2 * summary.final_cost;  // the paper's f = Σ rᵢ²
    bool ok = false;
    for (double minimum : c.minima) ok = ok || reached(f, minimum);
    ++total;
    solved += ok ? 1 : 0;
    std::printf("%-32s f = %-14.8g iterations %3d  %s  %s\n", c.name.c_str(), f,
                summary.num_successful_steps + summary.num_unsuccessful_steps,
                std::string(to_string(summary.termination)).c_str(), ok ? "" : "NOT SOLVED");
    EXPECT_TRUE(summary.is_usable()) << c.name << ": " << summary.message;
    EXPECT_TRUE(ok) << c.name << ": f = " << f << "; " << summary.message;
  }
  std::printf("solved %d of %d\n", solved, total);
}

}  // namespace
}  // namespace curvopt
