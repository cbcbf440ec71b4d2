#pragma once
/// Robust losses ρ for least squares: cost ½·ρ(‖r_b‖²) per residual block, so that outliers
/// pull the fit less than under plain squares (Huber 1964; Triggs et al. 2000).

#include <memory>
#include <string>
#include <string_view>

namespace curvopt {

/// ρ(s) of a block's squared residual norm s = ‖r_b‖², with ρ(0) = 0 and ρ′(0) = 1 so that a
/// robust fit agrees with least squares on small residuals. Each loss has a scale a: residuals
/// well below a are treated as inliers. Conventions as Ceres' LossFunction, so its users can
/// carry their scales over.
class RobustLoss {
 public:
  virtual ~RobustLoss() = default;
  /// ρ(s), ρ′(s) and ρ″(s) into rho[0..2], for s ≥ 0.
  virtual void evaluate(double s, double rho[3]) const = 0;
  /// "huber(1)": the registry name and the scale.
  virtual std::string description() const = 0;
};

/// Huber: ρ(s) = s for s ≤ a², 2a√s − a² beyond (linear growth of the residual's weight).
class HuberLoss final : public RobustLoss {
 public:
  explicit HuberLoss(double scale);
  void evaluate(double s, double rho[3]) const override;
  std::string description() const override;

 private:
  double a_, b_;  // a and a²
};

/// Soft L1 (pseudo-Huber): ρ(s) = 2a²(√(1 + s/a²) − 1), smooth everywhere.
class SoftL1Loss final : public RobustLoss {
 public:
  explicit SoftL1Loss(double scale);
  void evaluate(double s, double rho[3]) const override;
  std::string description() const override;

 private:
  double a_, b_;
};

/// Cauchy (Lorentzian): ρ(s) = a²·log(1 + s/a²).
class CauchyLoss final : public RobustLoss {
 public:
  explicit CauchyLoss(double scale);
  void evaluate(double s, double rho[3]) const override;
  std::string description() const override;

 private:
  double a_, b_;
};

/// Arctan: ρ(s) = a·atan(s/a), bounded by πa/2 (here a scales s itself, as in Ceres).
class ArctanLoss final : public RobustLoss {
 public:
  explicit ArctanLoss(double scale);
  void evaluate(double s, double rho[3]) const override;
  std::string description() const override;

 private:
  double a_;
};

/// Tukey's biweight: ρ(s) = (a²/3)(1 − (1 − s/a²)³) for s ≤ a², a²/3 beyond: residuals past a
/// have no pull at all (a redescending loss; start it near the answer).
class TukeyLoss final : public RobustLoss {
 public:
  explicit TukeyLoss(double scale);
  void evaluate(double s, double rho[3]) const override;
  std::string description() const override;

 private:
  double a_, b_;
};

/// The loss named `name` ("huber", "soft-l1", "cauchy", "arctan", "tukey"; "none" gives
/// nullptr) with scale a > 0. Throws ConfigError naming the bad name or scale.
std::shared_ptr<const RobustLoss> make_robust_loss(std::string_view name, double scale);

/// The names make_robust_loss accepts, for messages and --help.
std::string robust_loss_choices();

}  // namespace curvopt
