#include "curvopt/problem/robust_loss.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "curvopt/core/errors.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {
namespace {

double checked_scale(double a, const char* who) {
  if (!(a > 0) || !std::isfinite(a))
    throw ConfigError(std::string(who) + ": scale = " + format_option_value(a) +
                      ": must be a finite number > 0");
  return a;
}

std::string describe(const char* name, double a) {
  return std::string(name) + "(" + format_option_value(a) + ")";
}

}  // namespace

HuberLoss::HuberLoss(double scale) : a_(checked_scale(scale, "huber")), b_(a_ * a_) {}
void HuberLoss::evaluate(double s, double rho[3]) const {
  if (s > b_) {
    // Outlier region: ρ = 2a√s − a², ρ′ = a/√s, ρ″ = −ρ′/(2s).
    const double r = std::sqrt(s);
    rho[0] = 2 * a_ * r - b_;
    rho[1] = std::max(std::numeric_limits<double>::min(), a_ / r);
    rho[2] = -rho[1] / (2 * s);
  } else {
    rho[0] = s;
    rho[1] = 1;
    rho[2] = 0;
  }
}
std::string HuberLoss::description() const { return describe("huber", a_); }

SoftL1Loss::SoftL1Loss(double scale) : a_(checked_scale(scale, "soft-l1")), b_(a_ * a_) {}
void SoftL1Loss::evaluate(double s, double rho[3]) const {
  const double sum = 1 + s / b_;
  const double root = std::sqrt(sum);
  rho[0] = 2 * b_ * (root - 1);
  rho[1] = std::max(std::numeric_limits<double>::min(), 1 / root);
  rho[2] = -rho[1] / (2 * b_ * sum);
}
std::string SoftL1Loss::description() const { return describe("soft-l1", a_); }

CauchyLoss::CauchyLoss(double scale) : a_(checked_scale(scale, "cauchy")), b_(a_ * a_) {}
void CauchyLoss::evaluate(double s, double rho[3]) const {
  const double sum = 1 + s / b_;
  const double inv = 1 / sum;
  rho[0] = b_ * std::log1p(s / b_);
  rho[1] = std::max(std::numeric_limits<double>::min(), inv);
  rho[2] = -inv * inv / b_;
}
std::string CauchyLoss::description() const { return describe("cauchy", a_); }

ArctanLoss::ArctanLoss(double scale) : a_(checked_scale(scale, "arctan")) {}
void ArctanLoss::evaluate(double s, double rho[3]) const {
  const double t = s / a_;
  const double inv = 1 / (1 + t * t);
  rho[0] = a_ * std::atan(t);
  rho[1] = std::max(std::numeric_limits<double>::min(), inv);
  rho[2] = -2 * t * inv * inv / a_;
}
std::string ArctanLoss::description() const { return describe("arctan", a_); }

TukeyLoss::TukeyLoss(double scale) : a_(checked_scale(scale, "tukey")), b_(a_ * a_) {}
void TukeyLoss::evaluate(double s, double rho[3]) const {
  if (s <= b_) {
    const double u = 1 - s / b_;
    rho[0] = b_ / 3 * (1 - u * u * u);
    rho[1] = u * u;
    rho[2] = -2 * u / b_;
  } else {
    rho[0] = b_ / 3;
    rho[1] = 0;
    rho[2] = 0;
  }
}
std::string TukeyLoss::description() const { return describe("tukey", a_); }

std::shared_ptr<const RobustLoss> make_robust_loss(std::string_view name, double scale) {
  if (name == "none" || name.empty()) return nullptr;
  if (name == "huber") return std::make_shared<HuberLoss>(scale);
  if (name == "soft-l1" || name == "soft_l1") return std::make_shared<SoftL1Loss>(scale);
  if (name == "cauchy") return std::make_shared<CauchyLoss>(scale);
  if (name == "arctan") return std::make_shared<ArctanLoss>(scale);
  if (name == "tukey") return std::make_shared<TukeyLoss>(scale);
  throw ConfigError("robust loss '" + std::string(name) + "': must be one of " +
                    robust_loss_choices());
}

std::string robust_loss_choices() { return "none, huber, soft-l1, cauchy, arctan, tukey"; }

}  // namespace curvopt
