#pragma once
/// Progress output: a live bar on a terminal, plain periodic lines otherwise.

#include <chrono>
#include <cstdio>
#include <string>

#include "curvopt/train/callback.h"

namespace curvopt {

struct ProgressBarOptions {
  /// Live bar (redrawn in place) when true; plain lines when false. Default: whether the
  /// stream is a terminal.
  std::optional<bool> interactive;
  /// Plain mode: a line at most this often, in seconds (and at every epoch end). Default 10.
  double line_interval_seconds = 10;
};

/// Shows epoch, step, running loss, the last accuracy measured, steps/s and the ETA of the
/// current epoch; a summary line per epoch with the evaluated metrics.
template <class Scalar>
class ProgressBar final : public Callback<Scalar> {
 public:
  explicit ProgressBar(std::FILE* out = stderr, const ProgressBarOptions& options = {});
  void on_train_begin(const TrainingContext<Scalar>& context) override;
  void on_epoch_begin(const TrainingContext<Scalar>& context) override;
  CallbackAction on_step_end(const TrainingContext<Scalar>& context, const StepInfo& info) override;
  CallbackAction on_epoch_end(const TrainingContext<Scalar>& context,
                              const EpochInfo& info) override;
  void on_train_end(const TrainingContext<Scalar>& context,
                    const TrainingSummary& summary) override;

 private:
  using Clock = std::chrono::steady_clock;
  void draw(const TrainingContext<Scalar>& context, bool final_line);

  std::FILE* out_;
  bool interactive_;
  double line_interval_;
  Clock::time_point epoch_start_, last_draw_;
  Index steps_at_epoch_start_ = 0;
  double running_loss_ = 0;
  std::optional<double> last_accuracy_;
};

extern template class ProgressBar<float>;
extern template class ProgressBar<double>;

}  // namespace curvopt
