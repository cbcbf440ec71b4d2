// `curvopt plot RUN...`: loss against epoch and against seconds, and test accuracy, with every
// run overlaid, drawn by gnuplot into PNG and SVG files.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "commands.h"
#include "curvopt/core/errors.h"

namespace curvopt::cli {
namespace {

// The header names of a CSV file's first line.
std::vector<std::string> header_of(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  std::stringstream ss(line);
  for (std::string name; std::getline(ss, name, ',');) names.push_back(name);
  return names;
}

// True when the column has at least one value (log files leave unmeasured fields empty).
bool column_has_values(const std::filesystem::path& csv, const std::string& column) {
  const auto names = header_of(csv);
  std::size_t index = names.size();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == column) index = i;
  if (index == names.size()) return false;
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    for (std::size_t i = 0; i <= index && std::getline(ss, cell, ','); ++i) {
    }
    if (!cell.empty()) return true;
  }
  return false;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

struct Figure {
  std::string file, x, y, xlabel, ylabel;
  bool log_y;
  std::string table = "epochs.csv";  // which log the columns come from
};

// Data rows of a CSV log (its lines after the header).
std::size_t data_rows(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) lines += line.empty() ? 0 : 1;
  return lines > 0 ? lines - 1 : 0;
}

}  // namespace

int run_plot(const std::vector<std::filesystem::path>& runs, const std::filesystem::path& out) {
  if (runs.empty()) throw ConfigError("plot: give at least one run directory");
  for (const auto& run : runs)
    if (!std::filesystem::exists(run / "epochs.csv"))
      throw ValueError("plot: " + run.string() + " has no epochs.csv (not a run directory?)");
  std::filesystem::create_directories(out);
  // Per-step curves always; per-epoch curves once there are at least two epochs to join.
  std::vector<Figure> figures = {
      {"loss_vs_step", "step", "loss_before", "optimizer step", "training loss on the step's batch",
       true, "steps.csv"},
  };
  const auto first = runs.front() / "epochs.csv";
  if (data_rows(first) >= 2) {
    figures.push_back({"loss_vs_epoch", "epoch", "mean_step_loss", "epoch",
                       "training loss (mean over steps)", true});
    figures.push_back({"loss_vs_seconds", "elapsed_seconds", "mean_step_loss", "wall-clock seconds",
                       "training loss (mean over steps)", true});
    if (column_has_values(first, "test_loss"))
      figures.push_back({"test_loss_vs_epoch", "epoch", "test_loss", "epoch", "test loss", true});
    if (column_has_values(first, "test_accuracy"))
      figures.push_back(
          {"test_accuracy_vs_epoch", "epoch", "test_accuracy", "epoch", "test accuracy", false});
  } else {
    figures.push_back({"loss_vs_seconds", "elapsed_seconds", "loss_before", "wall-clock seconds",
                       "training loss on the step's batch", true, "steps.csv"});
  }
  std::ostringstream script;
  script << "set datafile separator ','\nset key top right box opaque\nset grid\n";
  for (const Figure& f : figures) {
    for (const char* format : {"png", "svg"}) {
      script << (std::string(format) == "png" ? "set terminal pngcairo size 960,600 font ',11'\n"
                                              : "set terminal svg size 960,600 dynamic\n");
      script << "set output " << quote((out / (f.file + "." + format)).string()) << "\n";
      script << "set xlabel " << quote(f.xlabel) << "\nset ylabel " << quote(f.ylabel) << "\n";
      script << (f.log_y ? "set logscale y\n" : "unset logscale y\n");
      script << "plot ";
      const char* style = f.table == "steps.csv" ? " with lines" : " with linespoints";
      for (std::size_t i = 0; i < runs.size(); ++i) {
        const std::string title = runs[i].filename().string().empty()
                                      ? runs[i].parent_path().filename().string()
                                      : runs[i].filename().string();
        script << (i ? ", " : "") << quote((runs[i] / f.table).string()) << " using " << quote(f.x)
               << ":" << quote(f.y) << style << " title " << quote(title);
      }
      script << "\n";
    }
  }
  const auto script_file = out / "plots.gp";
  {
    std::ofstream s(script_file);
    s << script.str();
  }
  const std::string command = "gnuplot " + quote(script_file.string()) + " 2>&1";
  if (std::system(command.c_str()) != 0)
    throw Error(
        "plot: gnuplot failed (is gnuplot-nox installed? scripts/setup installs it); "
        "script in " +
        script_file.string());
  for (const Figure& f : figures)
    std::printf("%s/%s.{png,svg}\n", out.string().c_str(), f.file.c_str());
  return 0;
}

}  // namespace curvopt::cli
