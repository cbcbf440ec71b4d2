// `curvopt bench SUITE`: runs every (experiment × optimizer × seed) of a suite as a normal run
// directory, then writes report.md (one table per experiment beside the published numbers) and
// one figure per experiment and axis with every optimizer.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_calibration.h"
#include "bench_suites.h"
#include "commands.h"
#include "curvopt/core/directory_lock.h"
#include "curvopt/core/errors.h"
#include "curvopt/optim/registry.h"
#include "torch_peer.h"

namespace curvopt::cli {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A run's epochs.csv as columns of numbers (NaN where a cell is empty).
struct EpochTable {
  std::map<std::string, std::vector<double>> columns;
  std::size_t rows = 0;

  const std::vector<double>* column(const std::string& name) const {
    const auto it = columns.find(name);
    return it == columns.end() ? nullptr : &it->second;
  }
};

EpochTable read_epochs(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  if (!in) throw ValueError("bench: cannot read " + csv.string());
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  {
    std::stringstream ss(line);
    for (std::string name; std::getline(ss, name, ',');) names.push_back(name);
  }
  EpochTable table;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string cell;
    for (const std::string& name : names) {
      if (!std::getline(ss, cell, ',')) cell.clear();
      table.columns[name].push_back(cell.empty() ? kNaN : std::strtod(cell.c_str(), nullptr));
    }
    ++table.rows;
  }
  return table;
}

// One finished run of an experiment.
struct RunResult {
  std::filesystem::path dir;
  EpochTable epochs;
  EpochTable steps;        // steps.csv, read only when the experiment reports evaluations
  EpochTable evaluations;  // evaluations.csv, when the experiment evaluates inside epochs
  double seconds = kNaN;
  std::string stop_reason;
  int interrupted_status = 0;  // 128 + the signal when the run was interrupted
};

struct Stats {
  double mean = kNaN, sd = kNaN, min = kNaN, max = kNaN, median = kNaN;
  int count = 0;
};

Stats stats_of(const std::vector<double>& values) {
  Stats s;
  std::vector<double> v;
  for (double x : values)
    if (std::isfinite(x)) v.push_back(x);
  s.count = static_cast<int>(v.size());
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  s.median = v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
  return s;
}

std::string number(double x) {
  if (!std::isfinite(x)) return std::isnan(x) ? "–" : "diverged";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

std::string mean_sd(const Stats& s, int of) {
  if (s.count == 0) return "–";
  std::string text = number(s.mean);
  if (s.count > 1) text += " ± " + number(s.sd);
  if (s.count < of) text += " (" + std::to_string(s.count) + " of " + std::to_string(of) + ")";
  return text;
}

// The last finite value of a column (a diverged run's last value is NaN: report that).
double final_value(const EpochTable& t, const std::string& column) {
  const auto* c = t.column(column);
  if (!c || c->empty()) return kNaN;
  return c->back();
}

double value_at_epoch(const EpochTable& t, const std::string& column, std::int64_t epoch) {
  const auto* c = t.column(column);
  const auto* e = t.column("epoch");
  if (!c || !e) return kNaN;
  for (std::size_t i = 0; i < e->size(); ++i)
    if (static_cast<std::int64_t>((*e)[i]) == epoch) return (*c)[i];
  return kNaN;
}

// The first epoch row reaching the target: (epoch, elapsed seconds), NaN when never.
std::pair<double, double> first_reaching(const EpochTable& t, const std::string& column,
                                         double target, bool higher_is_better) {
  const auto* c = t.column(column);
  const auto* e = t.column("epoch");
  const auto* s = t.column("elapsed_seconds");
  if (!c || !e || !s) return {kNaN, kNaN};
  for (std::size_t i = 0; i < c->size(); ++i) {
    const double v = (*c)[i];
    if (std::isfinite(v) && (higher_is_better ? v >= target : v <= target))
      return {(*e)[i], (*s)[i]};
  }
  return {kNaN, kNaN};
}

// f, ∇f and curvature-product evaluations summed over the steps of the epochs up to the first
// that reached the target (NaN each when none did, or steps.csv lacks the column).
struct Evaluations {
  double values = kNaN, gradients = kNaN, products = kNaN;
};

Evaluations evaluations_to(const RunResult& r, const std::string& column, double target,
                           bool higher_is_better) {
  Evaluations out;
  const auto* c = r.epochs.column(column);
  const auto* steps = r.epochs.column("steps");
  if (!c || !steps) return out;
  for (std::size_t i = 0; i < c->size(); ++i) {
    const double v = (*c)[i];
    if (!std::isfinite(v) || !(higher_is_better ? v >= target : v <= target)) continue;
    const auto upto = static_cast<std::size_t>(std::max(0.0, (*steps)[i]));
    auto sum = [&](const char* name) {
      const auto* counts = r.steps.column(name);
      if (!counts || counts->size() < upto) return kNaN;
      double total = 0;
      for (std::size_t k = 0; k < upto; ++k)
        if (std::isfinite((*counts)[k])) total += (*counts)[k];
      return total;
    };
    out.values = sum("value_evaluations");
    out.gradients = sum("gradient_evaluations");
    out.products = sum("curvature_products");
    return out;
  }
  return out;
}

std::string slug(const std::string& text) {
  std::string out;
  for (char ch : text) {
    const bool keep = std::isalnum(static_cast<unsigned char>(ch)) != 0;
    if (keep) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

std::string command_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, pipe)) out += buf;
    pclose(pipe);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string machine_description(int threads) {
  std::string cpu = command_output("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-");
  if (cpu.empty()) cpu = "unknown CPU";
  while (!cpu.empty() && cpu.front() == ' ') cpu.erase(cpu.begin());
  const std::string flags = command_output("grep -m1 -o -w avx512f /proc/cpuinfo");
  std::string text = cpu + (flags.empty() ? "" : " (AVX-512)") + ", " +
                     std::to_string(std::thread::hardware_concurrency()) + " logical cores";
  text += threads > 0 ? ", " + std::to_string(threads) + " threads used"
                      : ", default thread count (all cores)";
  return text;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

// Whether `dir` holds a run that ended (summary.json is written last) other than by a signal.
bool finished_run(const std::filesystem::path& dir) {
  std::ifstream in(dir / "summary.json");
  if (!in) return false;
  const nlohmann::json summary = nlohmann::json::parse(in, nullptr, false);
  return summary.is_object() && summary.value("stop_reason", "") != "interrupted";
}

// Runs (or reuses) one run directory and returns its results.
RunResult run_one(const BenchExperiment& e, const BenchMethod& m, int seed,
                  const std::filesystem::path& dir, const std::string& data_dir, int threads,
                  bool rerun) {
  int status = 0;
  if (rerun || !finished_run(dir)) {
    std::filesystem::remove_all(dir);
    RunConfig config;
    config.task = e.task;
    config.own = e.own;
    if (m.spec.rfind("libtorch:", 0) != 0) {
      const auto [name, options] = parse_optimizer_spec(m.spec);
      config.optimizer = name;
      config.options = options;
    }
    config.epochs = e.epochs;
    config.batch_size = m.batch_size > 0 ? m.batch_size : e.batch_size;
    config.curvature_batch = m.curvature_batch;
    config.seed = static_cast<std::uint64_t>(seed);
    config.threads = threads;
    config.data_dir = data_dir;
    config.out_dir = dir.string();
    config.time_budget_seconds = e.time_budget_seconds;
    config.validation_fraction = e.validation_fraction;
    config.evaluate_train = e.evaluate_train;
    config.evaluations_per_epoch = e.evaluations_per_epoch;
    config.progress = false;
    if (m.spec.rfind("libtorch:", 0) == 0) {
      run_torch_peer(config, m.spec.substr(9));
    } else {
      status = run_train(config, false);
    }
  } else {
    std::fprintf(stderr, "curvopt bench: reusing %s\n", dir.string().c_str());
  }
  RunResult r;
  r.dir = dir;
  if (status >= 128) {
    r.interrupted_status = status;
    return r;
  }
  r.epochs = read_epochs(dir / "epochs.csv");
  if (e.report_evaluations) r.steps = read_epochs(dir / "steps.csv");
  if (e.evaluations_per_epoch > 1) r.evaluations = read_epochs(dir / "evaluations.csv");
  std::ifstream in(dir / "summary.json");
  const nlohmann::json summary = nlohmann::json::parse(in, nullptr, false);
  if (!summary.is_discarded()) {
    r.seconds = summary.value("seconds", kNaN);
    r.stop_reason = summary.value("stop_reason", "");
  }
  return r;
}

// Figures of one experiment: the metric against epoch and against seconds, first seed of
// every method. Returns the figure files (relative to the report).
std::vector<std::string> plot_experiment(const BenchExperiment& e,
                                         const std::vector<std::vector<RunResult>>& runs,
                                         const std::filesystem::path& out) {
  const std::filesystem::path plots = out / "plots";
  std::filesystem::create_directories(plots);
  struct Axis {
    std::string suffix, column, label;
  };
  const std::vector<Axis> axes = {{"vs_epoch", "epoch", "epoch"},
                                  {"vs_seconds", "elapsed_seconds", "wall-clock seconds"}};
  // Loss axes span from the lowest value to 1.5× the highest starting value, so that a diverging
  // run leaves the frame instead of flattening every other curve.
  double lowest = kNaN, highest_start = kNaN;
  for (const auto& method_runs : runs) {
    if (method_runs.empty()) continue;
    const auto* c = method_runs.front().epochs.column(e.metric);
    if (!c) continue;
    bool first_value = true;
    for (double v : *c) {
      if (!std::isfinite(v) || v <= 0) continue;
      if (first_value) highest_start = std::isnan(highest_start) ? v : std::max(highest_start, v);
      first_value = false;
      lowest = std::isnan(lowest) ? v : std::min(lowest, v);
    }
  }
  std::ostringstream script;
  script << "set datafile separator ','\nset key outside right top box opaque\nset grid\n";
  if (!e.higher_is_better && std::isfinite(lowest) && std::isfinite(highest_start))
    script << "set yrange [" << lowest * 0.8 << ":" << std::max(highest_start, lowest) * 1.5
           << "]\n";
  std::vector<std::string> files;
  for (const Axis& axis : axes) {
    const std::string base = e.id + "_" + axis.suffix;
    for (const char* format : {"png", "svg"}) {
      script << (std::string(format) == "png" ? "set terminal pngcairo size 1100,600 font ',11'\n"
                                              : "set terminal svg size 1100,600 dynamic\n");
      script << "set output " << quote((plots / (base + "." + format)).string()) << "\n";
      script << "set title " << quote(e.title + " — seed 1") << " noenhanced\n";
      script << "set xlabel " << quote(axis.label) << "\nset ylabel " << quote(e.metric_label)
             << "\n";
      script << (e.higher_is_better ? "unset logscale y\n" : "set logscale y\n");
      script << "plot ";
      bool first = true;
      for (std::size_t i = 0; i < runs.size(); ++i) {
        if (runs[i].empty()) continue;
        const EpochTable& t = runs[i].front().epochs;
        const auto* c = t.column(e.metric);
        if (!c || std::none_of(c->begin(), c->end(), [](double v) { return std::isfinite(v); }))
          continue;
        script << (first ? "" : ", ") << quote((runs[i].front().dir / "epochs.csv").string())
               << " using " << quote(axis.column) << ":" << quote(e.metric)
               << (t.rows > 60 ? " with lines" : " with linespoints") << " lw 2 title "
               << quote(e.methods[i].label) << " noenhanced";
        first = false;
      }
      script << "\n";
    }
    files.push_back("plots/" + base + ".png");
  }
  const auto script_file = plots / (e.id + ".gp");
  {
    std::ofstream s(script_file);
    s << script.str();
  }
  const std::string command = "gnuplot " + quote(script_file.string()) + " 2>&1";
  if (std::system(command.c_str()) != 0)
    throw Error("bench: gnuplot failed (scripts/setup installs gnuplot-nox); script in " +
                script_file.string());
  return files;
}

void write_experiment(std::ostream& md, const BenchExperiment& e,
                      const std::vector<std::vector<RunResult>>& runs,
                      const std::vector<std::string>& figures) {
  md << "## " << e.title << "\n\n";
  if (e.own.active())
    md << "Model `" << e.own.model << "` on `" << e.own.data << "`";
  else
    md << "Task `" << e.task << "`";
  if (e.budget_gradients > 0)
    md << ", a wall-clock budget per run of " << number(e.budget_gradients)
       << " gradient evaluations of the task (" << number(1e3 * e.gradient_seconds)
       << " ms each on this machine: " << number(e.time_budget_seconds) << " s)";
  else if (e.time_budget_seconds > 0)
    md << ", " << number(e.time_budget_seconds) << " s of wall clock per run";
  else
    md << ", " << e.epochs << " epochs";
  if (e.batch_size > 0) md << ", batch " << e.batch_size;
  md << ", " << e.seeds << (e.seeds == 1 ? " seed" : " seeds (mean ± standard deviation)")
     << (e.published_source.empty() ? "" : ". Published: " + e.published_source) << ".\n\n"
     << e.notes << "\n\n";
  // Header.
  md << "| optimizer | final " << e.metric_label << " |";
  for (std::int64_t ep : e.report_epochs) md << " epoch " << ep << " |";
  const bool percent = e.target_metric.find("accuracy") != std::string::npos;
  for (double target : e.targets)
    md << " epochs to " << (percent ? number(target * 100) + " %" : number(target))
       << " | seconds to it |" << (e.report_evaluations ? " f / ∇f / Hv to it |" : "");
  // Own-data comparisons have nothing published to stand beside.
  const bool published = !e.published_source.empty();
  md << " epochs run | seconds |" << (published ? " published |" : "") << "\n|---|---|";
  for (std::size_t i = 0; i < e.report_epochs.size(); ++i) md << "---|";
  for (std::size_t i = 0; i < e.targets.size(); ++i)
    md << (e.report_evaluations ? "---|---|---|" : "---|---|");
  md << (published ? "---|---|---|\n" : "---|---|\n");
  for (std::size_t i = 0; i < e.methods.size(); ++i) {
    const auto& rs = runs[i];
    const int n = static_cast<int>(rs.size());
    std::vector<double> finals, seconds, epochs_run;
    for (const RunResult& r : rs) {
      finals.push_back(final_value(r.epochs, e.metric));
      seconds.push_back(r.seconds);
      epochs_run.push_back(static_cast<double>(r.epochs.rows));
    }
    const Stats final_stats = stats_of(finals);
    md << "| " << e.methods[i].label << " (`" << e.methods[i].spec << "`) | "
       << mean_sd(final_stats, n);
    // Runs can land in different basins: the median says what a typical seed gives.
    if (final_stats.count > 2) md << "; median " << number(final_stats.median);
    // A run whose final value is not finite diverged.
    const auto diverged =
        std::count_if(finals.begin(), finals.end(), [](double v) { return !std::isfinite(v); });
    if (diverged > 0) md << "; " << diverged << " diverged";
    md << " |";
    for (std::int64_t ep : e.report_epochs) {
      std::vector<double> v;
      for (const RunResult& r : rs) v.push_back(value_at_epoch(r.epochs, e.metric, ep));
      md << " " << mean_sd(stats_of(v), n) << " |";
    }
    for (double target : e.targets) {
      std::vector<double> ep, sec;
      for (const RunResult& r : rs) {
        // Inside epochs when the run evaluated there (a peer's run has only its epochs).
        const EpochTable& t = r.evaluations.rows > 0 ? r.evaluations : r.epochs;
        const auto [a, b] = first_reaching(t, e.target_metric, target, e.target_higher_is_better);
        ep.push_back(a);
        sec.push_back(b);
      }
      const Stats se = stats_of(ep), ss = stats_of(sec);
      md << " " << (se.count == 0 ? "not reached" : mean_sd(se, n)) << " | "
         << (ss.count == 0 ? "–" : mean_sd(ss, n)) << " |";
      if (e.report_evaluations) {
        // Means over the runs that reached the target.
        std::vector<double> f, g, h;
        for (const RunResult& r : rs) {
          const Evaluations ev =
              evaluations_to(r, e.target_metric, target, e.target_higher_is_better);
          f.push_back(ev.values);
          g.push_back(ev.gradients);
          h.push_back(ev.products);
        }
        const Stats sf = stats_of(f), sg = stats_of(g), sh = stats_of(h);
        md << " "
           << (sf.count == 0 ? "–"
                             : number(sf.mean) + " / " + number(sg.mean) + " / " + number(sh.mean))
           << " |";
      }
    }
    md << " " << number(stats_of(epochs_run).mean) << " | " << number(stats_of(seconds).mean)
       << " |";
    if (published)
      md << " " << (e.methods[i].published.empty() ? "–" : e.methods[i].published) << " |";
    md << "\n";
  }
  md << "\n";
  for (const auto& [ours, peer] : e.peer_pairs) {
    auto seconds_per_epoch = [&](int method) {
      std::vector<double> v;
      for (const RunResult& r : runs[static_cast<std::size_t>(method)])
        if (const auto* c = r.epochs.column("epoch_seconds"))
          for (double s : *c) v.push_back(s);
      return stats_of(v).mean;
    };
    const double a = seconds_per_epoch(ours), b = seconds_per_epoch(peer);
    md << "- Seconds per epoch, " << e.methods[static_cast<std::size_t>(ours)].label << " / "
       << e.methods[static_cast<std::size_t>(peer)].label << " = " << number(a) << " / "
       << number(b) << " = **" << number(a / b) << "**\n";
  }
  if (!e.peer_pairs.empty()) md << "\n";
  if (e.report_step_cost) {
    // Training seconds (no evaluations) over the steps taken, every seed of a method together.
    auto ms_per_step = [&](std::size_t method) {
      double seconds = 0, steps = 0;
      for (const RunResult& r : runs[method])
        if (const auto* c = r.epochs.column("steps");
            c && !c->empty() && std::isfinite(r.seconds)) {
          seconds += r.seconds;
          steps += c->back();
        }
      return steps > 0 ? 1000 * seconds / steps : kNaN;
    };
    const double first = ms_per_step(0);
    md << "Milliseconds per step (training seconds over steps; ÷ the first row):\n\n";
    for (std::size_t i = 0; i < e.methods.size(); ++i) {
      const double ms = ms_per_step(i);
      md << "- " << e.methods[i].label << ": " << number(ms) << " ms (**" << number(ms / first)
         << "×**)\n";
    }
    md << "\n";
  }
  for (const std::string& f : figures) md << "![" << e.id << "](" << f << ")\n";
  md << "\n";
}

}  // namespace

int run_bench(const std::string& suite, const std::filesystem::path& out, int seeds,
              std::int64_t epochs, const std::string& data_dir, int threads, bool rerun,
              const std::string& only) {
  std::vector<BenchExperiment> experiments =
      bench_suite(suite, seeds, epochs, torch_peers_available());
  if (!only.empty()) {
    std::erase_if(experiments,
                  [&](const BenchExperiment& e) { return e.id.find(only) == std::string::npos; });
    if (experiments.empty())
      throw ConfigError("bench: no experiment of suite '" + suite + "' matches --only " + only);
  }
  const std::string command = "curvopt bench " + suite +
                              (seeds > 0 ? " --seeds " + std::to_string(seeds) : "") +
                              (epochs > 0 ? " --epochs " + std::to_string(epochs) : "") +
                              (threads > 0 ? " --threads " + std::to_string(threads) : "") +
                              (only.empty() ? "" : " --only " + only);
  return run_bench_experiments(experiments, out, "suite `" + suite + "`", command,
                               resolve_data_dir(data_dir), threads, rerun);
}

int run_bench_experiments(const std::vector<BenchExperiment>& experiments,
                          const std::filesystem::path& out, const std::string& title,
                          const std::string& command, const std::string& data, int threads,
                          bool rerun) {
  std::filesystem::create_directories(out);
  // Held for the whole suite: a second bench on this --out would remove the run directories
  // this one is writing (each run's own lock is taken only after its directory is cleared).
  const DirectoryLock lock(out);
  const auto start = std::chrono::steady_clock::now();
  std::ostringstream body;
  for (BenchExperiment e : experiments) {
    if (e.budget_gradients > 0) {
      e.gradient_seconds = gradient_seconds(e.task, e.batch_size, data, threads);
      e.time_budget_seconds = e.budget_gradients * e.gradient_seconds;
      std::fprintf(stderr,
                   "curvopt bench: %s: one gradient evaluation takes %.3g ms; budget %g s\n",
                   e.id.c_str(), 1e3 * e.gradient_seconds, e.time_budget_seconds);
    }
    std::vector<std::vector<RunResult>> runs(e.methods.size());
    for (std::size_t i = 0; i < e.methods.size(); ++i)
      for (int seed = 1; seed <= e.seeds; ++seed) {
        runs[i].push_back(
            run_one(e, e.methods[i], seed,
                    out / e.id / slug(e.methods[i].label) / ("seed" + std::to_string(seed)), data,
                    threads, rerun));
        // A signal stops the whole suite; the next invocation reruns the interrupted run.
        if (runs[i].back().interrupted_status != 0) return runs[i].back().interrupted_status;
      }
    write_experiment(body, e, runs, plot_experiment(e, runs, out));
  }
  const double minutes =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
  std::ofstream md(out / "report.md");
  if (!md) throw Error("bench: cannot write " + (out / "report.md").string());
  const std::string commit =
      command_output("git -C " + quote(CURVOPT_SOURCE_DIR) + " rev-parse --short HEAD 2>/dev/null");
  md << "# curvopt benchmark report: " << title << "\n\n"
     << "- Machine: " << machine_description(threads) << "\n"
     << "- Date: " << utc_now() << "; curvopt " << (commit.empty() ? "(unknown commit)" : commit)
     << "\n"
     << "- Command: `" << command << "`\n"
     << "- Wall clock of this invocation: " << number(minutes)
     << " minutes (runs reused from an earlier invocation are not counted)\n"
     << "- LibTorch peers: "
     << (torch_peers_available() ? "built in (CURVOPT_PEERS=ON)"
                                 : "not built in (configure with -DCURVOPT_PEERS=ON to add them)")
     << "\n"
     << "- Every run is a run directory under this folder (`<experiment>/<optimizer>/seed<k>/`, "
        "with config.json to repeat it). Plots show seed 1 of every optimizer.\n\n"
     << body.str();
  md.close();
  std::printf("%s\n%s\n", (out / "report.md").string().c_str(), (out / "plots").string().c_str());
  return 0;
}

}  // namespace curvopt::cli
