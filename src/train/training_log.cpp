#include "curvopt/train/training_log.h"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
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

// Cuts `file` after its last complete row whose first field (the step or epoch number, after
// `prefix`: "" in CSV, {"step": in JSON Lines) is at most `last`. A CSV header is kept. Rows are
// in increasing order, so everything from the first row past `last`, or the first line that is
// torn (no newline: the process died while writing it) or unreadable, is dropped.
void keep_rows_up_to(const std::filesystem::path& file, std::string_view prefix,
                     std::int64_t last) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return;  // nothing logged yet
  std::uintmax_t keep = 0;
  bool first = true;
  for (std::string line; std::getline(in, line);) {
    if (in.eof()) break;  // no newline: a torn last line
    const bool header =
        first && prefix.empty() && !line.empty() && !(line.front() >= '0' && line.front() <= '9');
    first = false;
    if (!header) {
      if (line.compare(0, prefix.size(), prefix) != 0) break;
      std::int64_t key = 0;
      const char* begin = line.data() + prefix.size();
      const auto [ptr, ec] = std::from_chars(begin, line.data() + line.size(), key);
      if (ec != std::errc() || ptr == begin || key > last) break;
    }
    keep += line.size() + 1;
  }
  in.close();
  std::error_code ec;
  if (std::filesystem::file_size(file, ec) != keep && !ec) {
    std::filesystem::resize_file(file, keep, ec);
    if (ec) throw Error("cannot cut log file " + file.string() + ": " + ec.message());
  }
}

}  // namespace

template <class Scalar>
TrainingLog<Scalar>::TrainingLog(const std::filesystem::path& directory, bool append)
    : directory_(directory), append_(append) {
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
  // The evaluation log is opened by the first evaluation; a fresh run drops an old one.
  if (!append)
    for (const char* name : {"evaluations.csv", "evaluations.jsonl"})
      std::filesystem::remove(directory / name);
}

template <class Scalar>
void TrainingLog<Scalar>::on_train_begin(const TrainingContext<Scalar>& context) {
  if (!append_) return;
  // Closed while cut, so that no buffered byte lands past the new end; reopened to append.
  for (std::ofstream* f : {&steps_csv_, &steps_jsonl_, &epochs_csv_, &epochs_jsonl_}) f->close();
  // Step rows are numbered 1, 2, ... by the step they end; epoch rows by the epoch, 1-based,
  // so the context's 0-based current epoch is the number of the last finished one.
  keep_rows_up_to(directory_ / "steps.csv", "", context.step);
  keep_rows_up_to(directory_ / "steps.jsonl", "{\"step\":", context.step);
  keep_rows_up_to(directory_ / "epochs.csv", "", context.epoch);
  keep_rows_up_to(directory_ / "epochs.jsonl", "{\"epoch\":", context.epoch);
  steps_header_ = empty_file(directory_ / "steps.csv");
  epochs_header_ = empty_file(directory_ / "epochs.csv");
  steps_csv_ = open(directory_ / "steps.csv", true);
  steps_jsonl_ = open(directory_ / "steps.jsonl", true);
  epochs_csv_ = open(directory_ / "epochs.csv", true);
  epochs_jsonl_ = open(directory_ / "epochs.jsonl", true);
  evaluations_csv_.close();
  evaluations_jsonl_.close();
  keep_rows_up_to(directory_ / "evaluations.csv", "", context.step);
  keep_rows_up_to(directory_ / "evaluations.jsonl", "{\"step\":", context.step);
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
  // Added after the others: last, so that a run resumed from an older log keeps its columns.
  f.push_back(integer("curvature_products", r.num_curvature_products));
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
void TrainingLog<Scalar>::on_evaluation(const TrainingContext<Scalar>& context,
                                        const EvaluationInfo& info) {
  if (!evaluations_csv_.is_open()) {
    evaluations_header_ = empty_file(directory_ / "evaluations.csv");
    evaluations_csv_ = open(directory_ / "evaluations.csv", true);
    evaluations_jsonl_ = open(directory_ / "evaluations.jsonl", true);
  }
  std::vector<Field> f;
  f.push_back(integer("step", info.step));
  f.push_back(num("epoch", info.epochs));
  f.push_back(num("mean_step_loss", info.mean_step_loss));
  add_metrics(f, "train", info.train);
  add_metrics(f, "validation", info.validation);
  add_metrics(f, "test", info.test);
  f.push_back(num("elapsed_seconds", context.elapsed_seconds));
  write_row(evaluations_csv_, evaluations_jsonl_, std::exchange(evaluations_header_, false), f);
}

template <class Scalar>
void TrainingLog<Scalar>::on_train_end(const TrainingContext<Scalar>&, const TrainingSummary&) {
  steps_csv_.flush();
  epochs_csv_.flush();
}

template class TrainingLog<float>;
template class TrainingLog<double>;

}  // namespace curvopt
