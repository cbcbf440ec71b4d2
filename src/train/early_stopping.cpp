#include "curvopt/train/early_stopping.h"

#include "curvopt/core/errors.h"

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

template class EarlyStopping<float>;
template class EarlyStopping<double>;

}  // namespace curvopt
