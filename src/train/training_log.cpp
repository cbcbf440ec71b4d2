#include "curvopt/train/training_log.h"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

// A value of a log row: a number, a string, or nothing (not measured).
struct Field {
  std::string name;
  std::optional<std::string> text;  // already formatted
  bool quoted = false;              // JSON string
};

std::string number(double v) {
  if (!std::isfinite(v)) return v != v ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");
  std::array<char, 32> buf{};
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), ptr);
}

Field num(std::string name, std::optional<double> v) {
  return {std::move(name), v ? std::optional<std::string>(number(*v)) : std::nullopt};
}
Field integer(std::string name, std::optional<std::int64_t> v) {
  return {std::move(name), v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt};
}

void write_row(std::ofstream& csv, std::ofstream& jsonl, bool header, const std::vector<Field>& f) {
  if (header) {
    for (std::size_t i = 0; i < f.size(); ++i) csv << (i ? "," : "") << f[i].name;
    csv << '\n';
  }
  for (std::size_t i = 0; i < f.size(); ++i) csv << (i ? "," : "") << f[i].text.value_or("");
  csv << '\n';
  jsonl << '{';
  for (std::size_t i = 0; i < f.size(); ++i) {
    jsonl << (i ? "," : "") << '"' << f[i].name << "\":";
    if (!f[i].text) {
      jsonl << "null";
    } else if (f[i].quoted) {
      jsonl << '"' << *f[i].text << '"';
    } else {
      // JSON has no NaN/Infinity literals.
      const std::string& t = *f[i].text;
      jsonl << ((t == "NaN" || t == "Infinity" || t == "-Infinity") ? "null" : t);
    }
  }
  jsonl << "}\n";
  csv.flush();
  jsonl.flush();
}

void add_metrics(std::vector<Field>& f, const std::string& prefix,
                 const std::optional<Metrics>& m) {
  f.push_back(num(prefix + "_loss", m ? std::optional<double>(m->loss) : std::nullopt));
  f.push_back(num(prefix + "_accuracy", m ? m->accuracy : std::nullopt));
  f.push_back(num(prefix + "_mse", m ? m->mse : std::nullopt));
  f.push_back(num(prefix + "_rmse", m ? m->rmse : std::nullopt));
}

std::ofstream open(const std::filesystem::path& file, bool append) {
  std::ofstream out(file, append ? std::ios::app : std::ios::trunc);
  if (!out) throw Error("cannot open log file " + file.string());
  return out;
}

bool empty_file(const std::filesystem::path& file) {
  std::error_code ec;
  return !std::filesystem::exists(file, ec) || std::filesystem::file_size(file, ec) == 0;
}

}  // namespace

template <class Scalar>
TrainingLog<Scalar>::TrainingLog(const std::filesystem::path& directory, bool append) {
  std::filesystem::create_directories(directory);
  const bool steps_empty = empty_file(directory / "steps.csv");
  const bool epochs_empty = empty_file(directory / "epochs.csv");
  steps_csv_ = open(directory / "steps.csv", append);
  steps_jsonl_ = open(directory / "steps.jsonl", append);
  epochs_csv_ = open(directory / "epochs.csv", append);
  epochs_jsonl_ = open(directory / "epochs.jsonl", append);
  // A header goes only into an empty CSV: a resumed run continues the old table.
  steps_header_ = !append || steps_empty;
  epochs_header_ = !append || epochs_empty;
}

template <class Scalar>
CallbackAction TrainingLog<Scalar>::on_step_end(const TrainingContext<Scalar>& context,
                                                const StepInfo& info) {
  const StepReport& r = info.report;
  std::vector<Field> f;
  f.push_back(integer("step", context.step));
  f.push_back(integer("epoch", context.epoch + 1));
  f.push_back({"status", std::string(to_string(r.status)), true});
  f.push_back(num("loss_before", r.loss_before));
  f.push_back(num("loss_after", r.loss_after));
  f.push_back(num("gradient_norm", r.gradient_norm));
  f.push_back(num("step_norm", r.step_norm));
  f.push_back(num("learning_rate", r.learning_rate));
  f.push_back(num("step_length", r.step_length));
  f.push_back(num("damping", r.damping));
  f.push_back(r.solver.empty() ? Field{"solver", std::nullopt, true}
                               : Field{"solver", std::string(r.solver), true});
  f.push_back(integer("inner_iterations", r.inner_iterations));
  f.push_back(integer("num_trials", r.num_trials));
  f.push_back(integer("value_evaluations", r.num_value_evaluations));
  f.push_back(integer("gradient_evaluations", r.num_gradient_evaluations));
  const StepTimes& t = r.times;
  f.push_back(num("gradient_seconds", t.gradient_seconds));
  f.push_back(num("curvature_seconds", t.curvature_seconds));
  f.push_back(num("jacobian_seconds", t.jacobian_seconds));
  f.push_back(num("matrix_seconds", t.matrix_seconds));
  f.push_back(num("direction_seconds", t.direction_seconds));
  f.push_back(num("factorization_seconds", t.factorization_seconds));
  f.push_back(num("search_seconds", t.search_seconds));
  f.push_back(num("step_seconds", t.total_seconds));
  f.push_back(num("elapsed_seconds", context.elapsed_seconds));
  write_row(steps_csv_, steps_jsonl_, std::exchange(steps_header_, false), f);
  return CallbackAction::kContinue;
}

template <class Scalar>
CallbackAction TrainingLog<Scalar>::on_epoch_end(const TrainingContext<Scalar>& context,
                                                 const EpochInfo& info) {
  std::vector<Field> f;
  f.push_back(integer("epoch", info.epoch + 1));
  f.push_back(integer("steps", context.step));
  f.push_back(num("mean_step_loss", info.mean_step_loss));
  add_metrics(f, "train", info.train);
  add_metrics(f, "validation", info.validation);
  add_metrics(f, "test", info.test);
  f.push_back(num("epoch_seconds", info.seconds));
  f.push_back(num("elapsed_seconds", context.elapsed_seconds));
  write_row(epochs_csv_, epochs_jsonl_, std::exchange(epochs_header_, false), f);
  return CallbackAction::kContinue;
}

template <class Scalar>
void TrainingLog<Scalar>::on_train_end(const TrainingContext<Scalar>&, const TrainingSummary&) {
  steps_csv_.flush();
  epochs_csv_.flush();
}

template class TrainingLog<float>;
template class TrainingLog<double>;

}  // namespace curvopt
