#include "curvopt/problem/robust_loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

std::vector<std::shared_ptr<const RobustLoss>> all_losses(double a) {
  return {make_robust_loss("huber", a), make_robust_loss("soft-l1", a),
          make_robust_loss("cauchy", a), make_robust_loss("arctan", a),
          make_robust_loss("tukey", a)};
}

TEST(RobustLoss, AgreeWithSquaresNearZero) {
  for (const auto& loss : all_losses(1.5)) {
    double rho[3];
    loss->evaluate(0, rho);
    EXPECT_EQ(rho[0], 0) << loss->description();
    EXPECT_DOUBLE_EQ(rho[1], 1) << loss->description();
  }
}

TEST(RobustLoss, DerivativesMatchFiniteDifferences) {
  for (const auto& loss : all_losses(0.7)) {
    for (double s : {0.01, 0.3, 0.45, 2.0, 9.0}) {
      double rho[3], up[3], down[3];
      const double h = 1e-6 * std::max(1.0, s);
      loss->evaluate(s, rho);
      loss->evaluate(s + h, up);
      loss->evaluate(s - h, down);
      EXPECT_NEAR(rho[1], (up[0] - down[0]) / (2 * h), 1e-7) << loss->description() << " s=" << s;
      EXPECT_NEAR(rho[2], (up[1] - down[1]) / (2 * h), 1e-6) << loss->description() << " s=" << s;
    }
  }
}

TEST(RobustLoss, ClosedForms) {
  double rho[3];
  const double a = 2, s = 9;  // |r| = 3 > a
  HuberLoss(a).evaluate(s, rho);
  EXPECT_DOUBLE_EQ(rho[0], 2 * a * 3 - a * a);
  HuberLoss(a).evaluate(1, rho);
  EXPECT_DOUBLE_EQ(rho[0], 1);
  SoftL1Loss(a).evaluate(s, rho);
  EXPECT_DOUBLE_EQ(rho[0], 2 * a * a * (std::sqrt(1 + s / (a * a)) - 1));
  CauchyLoss(a).evaluate(s, rho);
  EXPECT_DOUBLE_EQ(rho[0], a * a * std::log(1 + s / (a * a)));
  ArctanLoss(a).evaluate(s, rho);
  EXPECT_DOUBLE_EQ(rho[0], a * std::atan(s / a));
  TukeyLoss(a).evaluate(s, rho);  // beyond the scale: constant, no pull
  EXPECT_DOUBLE_EQ(rho[0], a * a / 3);
  EXPECT_EQ(rho[1], 0);
  TukeyLoss(a).evaluate(1, rho);
  EXPECT_DOUBLE_EQ(rho[0], a * a / 3 * (1 - std::pow(1 - 1 / (a * a), 3)));
}

TEST(RobustLoss, BadNamesAndScalesAreRefused) {
  EXPECT_EQ(make_robust_loss("none", 1), nullptr);
  EXPECT_THROW(make_robust_loss("hubr", 1), ConfigError);
  EXPECT_THROW(make_robust_loss("huber", 0), ConfigError);
  EXPECT_THROW(make_robust_loss("cauchy", std::nan("")), ConfigError);
  try {
    make_robust_loss("welsch", 1);
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("huber, soft-l1"), std::string::npos);
  }
}

}  // namespace
}  // namespace curvopt
