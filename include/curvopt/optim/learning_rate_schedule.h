#pragma once
/// Learning-rate schedules: the learning rate as a function of the number of updates made.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace curvopt {

enum class ScheduleKind {
  kConstant,  ///< α_t = α
  kStep,      ///< α_t = α · γ^⌊t / step_size⌋ (PyTorch StepLR)
  kCosine,  ///< α_t = α_min + (α − α_min)(1 + cos(π·min(t, T)/T))/2 (CosineAnnealingLR, no
            ///< restarts: it stays at α_min after T updates)
  kInverseTime,  ///< α_t = α / (1 + decay·t) (1/t decay; PyTorch Adagrad's lr_decay)
  kExponential,  ///< α_t = α · γ^t (PyTorch ExponentialLR)
};

std::string_view to_string(ScheduleKind kind);
bool parse_enum(std::string_view text, ScheduleKind& out);
std::string enum_choices(ScheduleKind);

/// Parameters of a schedule. t counts accepted updates from 0, so the first update uses α.
struct LearningRateScheduleOptions {
  ScheduleKind kind = ScheduleKind::kConstant;
  /// kStep: updates between decays, ≥ 1. Default 1000.
  std::int64_t step_size = 1000;
  /// kStep, kExponential: decay factor in (0, 1]. Default 0.1 (PyTorch StepLR).
  double gamma = 0.1;
  /// kCosine: the period T in updates, ≥ 1. Default 1000.
  std::int64_t period = 1000;
  /// kCosine: the final learning rate α_min ≥ 0. Default 0.
  double min_learning_rate = 0;
  /// kInverseTime: decay ≥ 0. Default 1e-3.
  double decay = 1e-3;

  /// "LearningRateScheduleOptions::gamma = 0: must be in (0, 1]" or nothing.
  std::optional<std::string> validate() const;
};

/// α_t for base learning rate α after t updates.
double scheduled_learning_rate(const LearningRateScheduleOptions& schedule, double base,
                               std::int64_t t);

}  // namespace curvopt
