// The first three updates of every method on f(θ) = ½(θ₁² + 10θ₂²) from θ₀ = (1, 1), against
// values derived by hand from the published update rules. The expected values are written as
// the arithmetic of that derivation (g = (θ₁, 10θ₂) at each iterate), independent of the code.

#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "curvopt/optim/adagrad.h"
#include "curvopt/optim/adam.h"
#include "curvopt/optim/lbfgs.h"
#include "curvopt/optim/rmsprop.h"
#include "curvopt/optim/sgd.h"
#include "testing/problems.h"

namespace curvopt {
namespace {

using Point = std::array<double, 2>;

void expect_first_updates(Optimizer<double>& optimizer, const std::array<Point, 3>& expected) {
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  Vector<double> theta(2);
  theta << 1, 1;
  for (int k = 0; k < 3; ++k) {
    const StepReport report = optimizer.step(problem, theta);
    ASSERT_TRUE(report.accepted()) << "step " << k << ": " << report.message;
    for (int i = 0; i < 2; ++i)
      EXPECT_NEAR(theta(i), expected[k][i], 1e-13 * std::max(1.0, std::abs(expected[k][i])))
          << optimizer.name() << " update " << k + 1 << " coordinate " << i;
  }
}

TEST(FirstUpdates, GradientDescent) {
  // θ ← θ − 0.1 (θ₁, 10θ₂): θ₂ hits 0 at once, θ₁ shrinks by 0.9.
  Sgd<double> sgd({.learning_rate = 0.1});
  expect_first_updates(sgd, {{{0.9, 0}, {0.81, 0}, {0.729, 0}}});
}

TEST(FirstUpdates, HeavyBallMomentum) {
  // buf₁ = g₀ = (1, 10) → θ₁ = (0.9, 0); g₁ = (0.9, 0), buf₂ = 0.9·(1, 10) + (0.9, 0) = (1.8, 9)
  // → θ₂ = (0.72, −0.9); g₂ = (0.72, −9), buf₃ = (2.34, −0.9) → θ₃ = (0.486, −0.81).
  Sgd<double> sgd({.learning_rate = 0.1, .momentum = 0.9});
  expect_first_updates(sgd, {{{0.9, 0}, {0.72, -0.9}, {0.486, -0.81}}});
}

TEST(FirstUpdates, NesterovMomentum) {
  // d = g + 0.9·buf: d₀ = (1.9, 19) → θ₁ = (0.81, −0.9); g₁ = (0.81, −9), buf₂ = (1.71, 0),
  // d₁ = (2.349, −9) → θ₂ = (0.5751, 0); buf₃ = (2.1141, 0), d₂ = (2.47779, 0) → θ₃ = (0.327321,
  // 0).
  Sgd<double> sgd({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
  expect_first_updates(sgd, {{{0.81, -0.9}, {0.5751, 0}, {0.327321, 0}}});
}

TEST(FirstUpdates, SgdWithWeightDecay) {
  // g + 0.1θ = (1.1θ₁, 10.1θ₂): θ₁ ← 0.89θ₁, θ₂ ← −0.01θ₂.
  Sgd<double> sgd({.learning_rate = 0.1, .weight_decay = 0.1});
  expect_first_updates(sgd, {{{0.89, -0.01}, {0.7921, 0.0001}, {0.704969, -0.000001}}});
}

TEST(FirstUpdates, Adagrad) {
  // G₁ = (1, 100) → θ₁ = (1, 1) − 0.1·(1/1, 10/10) = (0.9, 0.9). Both coordinates then stay
  // equal (θ₂'s gradient and root are both 10× θ₁'s): G₂ = (1 + 0.81, …) → θ₂ = a, a below.
  Adagrad<double> adagrad({.learning_rate = 0.1, .epsilon = 0});
  const double a = 0.9 - 0.1 * 0.9 / std::sqrt(1.81);
  const double b = a - 0.1 * a / std::sqrt(1.81 + a * a);
  expect_first_updates(adagrad, {{{0.9, 0.9}, {a, a}, {b, b}}});
}

TEST(FirstUpdates, Rmsprop) {
  // v₁ = 0.01·g₀² → θ₁ = θ₀ − 0.01·g₀/(0.1|g₀|) = (0.9, 0.9); v₂ = 0.99·0.01 + 0.01·0.81 = 0.018
  // (×100 for θ₂), and so on; both coordinates stay equal.
  Rmsprop<double> rmsprop({.learning_rate = 0.01, .rho = 0.99, .epsilon = 0});
  const double a = 0.9 - 0.01 * 0.9 / std::sqrt(0.018);
  const double v3 = 0.99 * 0.018 + 0.01 * a * a;
  const double b = a - 0.01 * a / std::sqrt(v3);
  expect_first_updates(rmsprop, {{{0.9, 0.9}, {a, a}, {b, b}}});
}

TEST(FirstUpdates, Adam) {
  // Step 1: m̂ = g, v̂ = g² → θ₁ = θ₀ − 0.1·sign(g) = (0.9, 0.9). Then both coordinates agree.
  Adam<double> adam({.learning_rate = 0.1, .epsilon = 0});
  const double m2 = 0.9 * 0.1 + 0.1 * 0.9, v2 = 0.999 * 0.001 + 0.001 * 0.81;
  const double a = 0.9 - (0.1 / (1 - 0.81)) * m2 / (std::sqrt(v2) / std::sqrt(1 - 0.999 * 0.999));
  const double m3 = 0.9 * m2 + 0.1 * a, v3 = 0.999 * v2 + 0.001 * a * a;
  const double b =
      a - (0.1 / (1 - 0.729)) * m3 / (std::sqrt(v3) / std::sqrt(1 - 0.999 * 0.999 * 0.999));
  expect_first_updates(adam, {{{0.9, 0.9}, {a, a}, {b, b}}});
}

TEST(FirstUpdates, AdamW) {
  // θ ← θ(1 − 0.1·0.1) − 0.1·m̂/√v̂: θ₁ = 0.99 − 0.1 = 0.89.
  Adam<double> adamw(
      {.learning_rate = 0.1, .epsilon = 0, .weight_decay = 0.1, .decoupled_weight_decay = true});
  const double m2 = 0.9 * 0.1 + 0.1 * 0.89, v2 = 0.999 * 0.001 + 0.001 * 0.89 * 0.89;
  const double a =
      0.99 * 0.89 - (0.1 / (1 - 0.81)) * m2 / (std::sqrt(v2) / std::sqrt(1 - 0.999 * 0.999));
  const double m3 = 0.9 * m2 + 0.1 * a, v3 = 0.999 * v2 + 0.001 * a * a;
  const double b =
      0.99 * a - (0.1 / (1 - 0.729)) * m3 / (std::sqrt(v3) / std::sqrt(1 - 0.999 * 0.999 * 0.999));
  expect_first_updates(adamw, {{{0.89, 0.89}, {a, a}, {b, b}}});
}

TEST(FirstUpdates, AdamKerasVariantMovesEpsilonOutsideTheCorrection) {
  // α_t = α√(1 − β₂)/(1 − β₁) and ε added to √v (not √v̂): with m = 0.1g, v = 0.001g²,
  // θ₁ = θ₀ − 0.1·√0.001/0.1 · 0.1g/(√0.001|g| + ε).
  const double eps = 1e-3;
  Adam<double> adam({.learning_rate = 0.1, .epsilon = eps, .variant = AdamVariant::kKeras});
  FunctionProblem<double> problem = testing::quadratic_2d<double>();
  Vector<double> theta(2);
  theta << 1, 1;
  adam.step(problem, theta);
  const double root = std::sqrt(0.001);
  EXPECT_NEAR(theta(0), 1 - 0.1 * root / 0.1 * 0.1 * 1 / (root * 1 + eps), 1e-14);
  EXPECT_NEAR(theta(1), 1 - 0.1 * root / 0.1 * 0.1 * 10 / (root * 10 + eps), 1e-14);
}

TEST(FirstUpdates, LbfgsWithoutLineSearch) {
  // Step 1 (no pairs): α = min(1, 1/‖g₀‖₁) = 1/11 along −g₀ → (10/11, 1/11). Step 2: one pair
  // s = (−1, −10)/11, y = (−1, −100)/11, γ = sᵀy/yᵀy = 1001/10001; the two-loop recursion gives
  // θ₂ = (8091900, −80919)/10011001. Step 3 from the same recursion with two pairs, evaluated
  // in exact rational arithmetic and rounded.
  LbfgsOptions options;
  options.line_search.kind = LineSearchKind::kNone;
  options.gradient_tolerance = 0;
  Lbfgs<double> lbfgs(options);
  expect_first_updates(lbfgs, {{{10.0 / 11, 1.0 / 11},
                                {8091900.0 / 10011001, -80919.0 / 10011001},
                                {0.6080603992180723, -0.06191047753453821}}});
}

}  // namespace
}  // namespace curvopt
