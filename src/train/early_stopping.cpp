#include "curvopt/train/early_stopping.h"

#include <algorithm>
#include <span>

#include "curvopt/core/errors.h"
#include "curvopt/optim/optimizer_state.h"

namespace curvopt {

std::optional<std::string> EarlyStoppingOptions::validate() const {
  const std::string p = "EarlyStoppingOptions::";
  if (dataset != "validation" && dataset != "test" && dataset != "train")
    return p + "dataset = '" + dataset + "': must be validation, test or train";
  if (metric != "loss" && metric != "accuracy" && metric != "mse" && metric != "rmse")
    return p + "metric = '" + metric + "': must be loss, accuracy, mse or rmse";
  if (patience < 1) return p + "patience = " + std::to_string(patience) + ": must be >= 1";
  if (!(min_delta >= 0)) return p + "min_delta = " + std::to_string(min_delta) + ": must be >= 0";
  return std::nullopt;
}

template <class Scalar>
EarlyStopping<Scalar>::EarlyStopping(const EarlyStoppingOptions& options) : options_(options) {
  if (auto error = options.validate()) throw ConfigError(*error);
}

template <class Scalar>
CallbackAction EarlyStopping<Scalar>::on_epoch_end(const TrainingContext<Scalar>& context,
                                                   const EpochInfo& info) {
  const std::optional<Metrics>& m = options_.dataset == "validation" ? info.validation
                                    : options_.dataset == "test"     ? info.test
                                                                     : info.train;
  if (!m)
    throw ConfigError("EarlyStopping watches the " + options_.dataset +
                      " set, which the trainer does not evaluate");
  std::optional<double> value;
  if (options_.metric == "loss") value = m->loss;
  if (options_.metric == "accuracy") value = m->accuracy;
  if (options_.metric == "mse") value = m->mse;
  if (options_.metric == "rmse") value = m->rmse;
  if (!value)
    throw ConfigError("EarlyStopping: the " + options_.dataset + " set has no " + options_.metric +
                      " (accuracy needs class labels, mse regression targets)");
  const bool maximize = options_.metric == "accuracy";
  const bool improved = best_epoch_ < 0 || (maximize ? *value > best_value_ + options_.min_delta
                                                     : *value < best_value_ - options_.min_delta);
  if (improved) {
    best_value_ = *value;
    best_epoch_ = info.epoch;
    best_ = context.params;
    epochs_without_improvement_ = 0;
    return CallbackAction::kContinue;
  }
  return ++epochs_without_improvement_ >= options_.patience ? CallbackAction::kStop
                                                            : CallbackAction::kContinue;
}

template <class Scalar>
std::string EarlyStopping<Scalar>::stop_message() const {
  return "early stopping: " + options_.dataset + " " + options_.metric + " did not improve for " +
         std::to_string(options_.patience) + " epochs (best " + std::to_string(best_value_) +
         " at epoch " + std::to_string(best_epoch_ + 1) + ")";
}

template <class Scalar>
void EarlyStopping<Scalar>::save_state(OptimizerState& position) const {
  position.put("early_stopping.best_epoch", static_cast<double>(best_epoch_ + 1));  // 0: none
  position.put("early_stopping.best_value", best_value_);
  position.put("early_stopping.epochs_without_improvement",
               static_cast<double>(epochs_without_improvement_));
  position.put("early_stopping.best_parameters", best_);
}

template <class Scalar>
void EarlyStopping<Scalar>::load_state(const OptimizerState& position) {
  if (!position.contains("early_stopping.best_epoch")) return;  // saved without early stopping
  const std::int64_t best_epoch = position.get_count("early_stopping.best_epoch") - 1;
  const std::int64_t waited = position.get_count("early_stopping.epochs_without_improvement");
  const std::span<const double> best = position.get("early_stopping.best_parameters");
  const std::span<const double> params = position.get("parameters");
  if (best_epoch >= 0 && best.size() != params.size())
    throw ValueError("early stopping state holds " + std::to_string(best.size()) +
                     " best parameters for a model of " + std::to_string(params.size()));
  best_epoch_ = best_epoch;
  best_value_ = position.get_scalar("early_stopping.best_value");
  epochs_without_improvement_ = static_cast<int>(std::min<std::int64_t>(waited, 1 << 30));
  best_.resize(static_cast<Index>(best.size()));
  position.get_into("early_stopping.best_parameters", best_);
}

template class EarlyStopping<float>;
template class EarlyStopping<double>;

}  // namespace curvopt
