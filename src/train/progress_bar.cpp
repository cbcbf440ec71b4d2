#include "curvopt/train/progress_bar.h"

#include <unistd.h>

#include <cmath>

namespace curvopt {
namespace {

std::string clock_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

std::string metrics_text(const char* name, const std::optional<Metrics>& m) {
  if (!m) return {};
  char buf[128];
  int n = std::snprintf(buf, sizeof buf, "  %s loss %.5g", name, m->loss);
  if (m->accuracy)
    n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), " acc %.2f%%",
                       100 * *m->accuracy);
  if (m->rmse)
    std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), " rmse %.5g", *m->rmse);
  return buf;
}

}  // namespace

template <class Scalar>
ProgressBar<Scalar>::ProgressBar(std::FILE* out, const ProgressBarOptions& options)
    : out_(out),
      interactive_(options.interactive.value_or(::isatty(::fileno(out)) != 0)),
      line_interval_(options.line_interval_seconds) {}

template <class Scalar>
void ProgressBar<Scalar>::on_train_begin(const TrainingContext<Scalar>& context) {
  // A run resumed in the middle of an epoch gets no on_epoch_begin: start the clocks here.
  on_epoch_begin(context);
}

template <class Scalar>
void ProgressBar<Scalar>::on_epoch_begin(const TrainingContext<Scalar>& context) {
  epoch_start_ = last_draw_ = Clock::now();
  steps_at_epoch_start_ = context.step_in_epoch;
}

template <class Scalar>
CallbackAction ProgressBar<Scalar>::on_step_end(const TrainingContext<Scalar>& context,
                                                const StepInfo& info) {
  if (context.step_in_epoch == 1 || steps_at_epoch_start_ > context.step_in_epoch)
    on_epoch_begin(context);  // also covers a run resumed mid-epoch
  if (std::isfinite(info.report.loss_before))
    running_loss_ = context.epoch_loss_count > 0
                        ? context.epoch_loss_sum / static_cast<double>(context.epoch_loss_count)
                        : info.report.loss_before;
  const double since_draw = std::chrono::duration<double>(Clock::now() - last_draw_).count();
  if ((interactive_ && since_draw >= 0.1) || (!interactive_ && since_draw >= line_interval_)) {
    draw(context, false);
    last_draw_ = Clock::now();
  }
  return CallbackAction::kContinue;
}

template <class Scalar>
void ProgressBar<Scalar>::draw(const TrainingContext<Scalar>& context, bool final_line) {
  const double seconds = std::chrono::duration<double>(Clock::now() - epoch_start_).count();
  const Index done = context.step_in_epoch - steps_at_epoch_start_;
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const double eta =
      rate > 0 ? static_cast<double>(context.steps_per_epoch - context.step_in_epoch) / rate : -1;
  char line[256];
  int n = std::snprintf(line, sizeof line, "epoch %lld/%lld ",
                        static_cast<long long>(context.epoch + 1),
                        static_cast<long long>(context.num_epochs));
  if (interactive_) {
    constexpr int kWidth = 24;
    const int filled =
        context.steps_per_epoch > 0
            ? static_cast<int>(kWidth * context.step_in_epoch / context.steps_per_epoch)
            : 0;
    line[n++] = '[';
    for (int i = 0; i < kWidth; ++i) line[n++] = i < filled ? '#' : '.';
    line[n++] = ']';
    line[n++] = ' ';
  }
  n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n),
                     "step %lld/%lld loss %.5g", static_cast<long long>(context.step_in_epoch),
                     static_cast<long long>(context.steps_per_epoch), running_loss_);
  if (last_accuracy_)
    n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), " acc %.2f%%",
                       100 * *last_accuracy_);
  std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), " %.1f steps/s ETA %s", rate,
                clock_text(eta).c_str());
  if (interactive_) {
    std::fprintf(out_, "\r%s\033[K%s", line, final_line ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line);
  }
  std::fflush(out_);
}

template <class Scalar>
CallbackAction ProgressBar<Scalar>::on_epoch_end(const TrainingContext<Scalar>& context,
                                                 const EpochInfo& info) {
  if (info.test && info.test->accuracy) last_accuracy_ = info.test->accuracy;
  if (info.validation && info.validation->accuracy) last_accuracy_ = info.validation->accuracy;
  if (interactive_) std::fprintf(out_, "\r\033[K");
  char loss[64];
  if (info.finite_steps > 0)
    std::snprintf(loss, sizeof loss, "%.5g", info.mean_step_loss);
  else
    std::snprintf(loss, sizeof loss, "n/a (no step had a finite loss)");
  std::fprintf(out_, "epoch %lld/%lld  %lld steps  %.1f s  mean step loss %s%s%s%s\n",
               static_cast<long long>(info.epoch + 1), static_cast<long long>(context.num_epochs),
               static_cast<long long>(context.steps_per_epoch), info.seconds, loss,
               metrics_text("train", info.train).c_str(),
               metrics_text("validation", info.validation).c_str(),
               metrics_text("test", info.test).c_str());
  std::fflush(out_);
  return CallbackAction::kContinue;
}

template <class Scalar>
void ProgressBar<Scalar>::on_train_end(const TrainingContext<Scalar>& context,
                                       const TrainingSummary& summary) {
  if (interactive_) std::fprintf(out_, "\r\033[K");
  std::fprintf(out_, "training %s after %lld steps (%lld epochs) in %.1f s%s%s\n",
               std::string(to_string(summary.reason)).c_str(),
               static_cast<long long>(summary.steps),
               static_cast<long long>(summary.epochs_completed), context.elapsed_seconds,
               summary.message.empty() ? "" : ": ", summary.message.c_str());
  std::fflush(out_);
}

template class ProgressBar<float>;
template class ProgressBar<double>;

}  // namespace curvopt
