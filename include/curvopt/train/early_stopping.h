#pragma once
/// Early stopping on a validation (or test, or training) metric with patience.

#include <optional>
#include <string>
#include <string_view>

#include "curvopt/train/callback.h"

namespace curvopt {

struct EarlyStoppingOptions {
  /// Which set to watch: "validation", "test" or "train".
  std::string dataset = "validation";
  /// Which metric: "loss", "accuracy", "mse" or "rmse". Accuracy is maximized, the rest minimized.
  std::string metric = "loss";
  /// Epochs without improvement before stopping, ≥ 1. Default 5.
  int patience = 5;
  /// An improvement must beat the best value by more than this (absolute), ≥ 0. Default 0.
  double min_delta = 0;

  std::optional<std::string> validate() const;
};

/// Stops when the watched metric has not improved for `patience` epochs, and keeps a copy of the
/// best parameters seen (best_parameters()) so the caller can restore them.
template <class Scalar>
class EarlyStopping final : public Callback<Scalar> {
 public:
  /// Throws ConfigError on invalid options.
  explicit EarlyStopping(const EarlyStoppingOptions& options = {});
  CallbackAction on_epoch_end(const TrainingContext<Scalar>& context,
                              const EpochInfo& info) override;
  std::string stop_message() const override;
  /// The best epoch, its value and parameters and the epochs since: a resumed run stops where an
  /// uninterrupted one would, and restores the same best parameters.
  void save_state(OptimizerState& position) const override;
  void load_state(const OptimizerState& position) override;

  /// The parameters at the best epoch, or nullptr before the first evaluation.
  const Vector<Scalar>* best_parameters() const { return best_epoch_ < 0 ? nullptr : &best_; }
  std::int64_t best_epoch() const { return best_epoch_; }
  double best_value() const { return best_value_; }

 private:
  EarlyStoppingOptions options_;
  Vector<Scalar> best_;
  std::int64_t best_epoch_ = -1;
  double best_value_ = 0;
  int epochs_without_improvement_ = 0;
};

extern template class EarlyStopping<float>;
extern template class EarlyStopping<double>;

}  // namespace curvopt
