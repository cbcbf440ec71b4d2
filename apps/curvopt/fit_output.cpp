#include "fit_output.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "curvopt/core/atomic_file.h"
#include "curvopt/core/errors.h"

namespace curvopt::cli {
namespace {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string number(double v) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

void plot(const FitReport& report, const std::filesystem::path& out) {
  if (report.inputs.empty() || report.inputs.front().empty()) return;
  std::ostringstream script;
  script << "set datafile separator ','\nset key outside top center horizontal\n";
  const std::string csv = (out / "fit.csv").string();
  const std::string x = report.input_names.front();
  for (const char* format : {"png", "svg"}) {
    script << (std::string(format) == "png" ? "set terminal pngcairo size 960,720 font ',11'\n"
                                            : "set terminal svg size 960,720 dynamic\n");
    script << "set output " << quote((out / (std::string("fit.") + format)).string()) << "\n";
    script << "set multiplot layout 2,1\nset xlabel " << quote(x) << "\nset ylabel "
           << quote(report.observed_name) << "\n";
    if (report.series.empty()) {
      script << "plot " << quote(csv) << " using " << quote(x)
             << ":'observed' with points pt 7 ps 0.6 title 'data', " << quote(csv) << " using "
             << quote(x) << ":'fitted' with lines lw 2 title 'fit'\n";
    } else {
      // One curve per series (an ODE's observed states); rows of other series are undefined.
      std::vector<std::string> names;
      for (const std::string& name : report.series)
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      script << "plot ";
      for (std::size_t k = 0; k < names.size(); ++k) {
        const std::string pick = "(strcol('series') eq " + quote(names[k]) + " ? column(";
        script << (k ? ", " : "") << quote(csv) << " using " << quote(x) << ":" << pick
               << "'observed') : 1/0) with points pt 7 ps 0.6 lc " << k + 1 << " title "
               << quote(names[k] + " data") << ", " << quote(csv) << " using " << quote(x) << ":"
               << pick << "'fitted') : 1/0) with lines lw 2 lc " << k + 1 << " title "
               << quote(names[k] + " fit");
      }
      script << "\n";
    }
    script << "set ylabel 'residual'\nplot " << quote(csv) << " using " << quote(x)
           << ":'residual' with impulses title 'observed - fitted'\nunset multiplot\n";
  }
  const std::filesystem::path script_file = out / "fit.gnuplot";
  write_file_atomically(script_file, script.str(), "plot script");
  const std::string command = "gnuplot " + quote(script_file.string()) + " > /dev/null 2>&1";
  if (std::system(command.c_str()) != 0)
    std::fprintf(stderr, "fit: note: gnuplot failed, no plot (scripts/setup installs it)\n");
}

}  // namespace

void print_fit_report(const FitReport& report) {
  std::printf("%s\n", report.summary.brief_report().c_str());
  std::printf("termination: %s (%s)\n", std::string(to_string(report.summary.termination)).c_str(),
              report.summary.message.c_str());
  const CovarianceResult& c = report.covariance;
  const bool have_errors = c.ok && c.standard_errors.size() == report.x.size();
  Vector<double> half;
  if (have_errors) half = c.confidence_half_widths(report.confidence);
  std::printf("\n%-12s %16s %14s   %.0f%% confidence interval\n", "parameter", "value",
              "std. error", 100 * report.confidence);
  for (std::size_t j = 0; j < report.parameters.size(); ++j) {
    const Index k = static_cast<Index>(j);
    if (have_errors)
      std::printf("%-12s %16.9g %14.6g   [%.9g, %.9g]\n", report.parameters[j].c_str(), report.x[k],
                  c.standard_errors[k], report.x[k] - half[k], report.x[k] + half[k]);
    else
      std::printf("%-12s %16.9g %14s\n", report.parameters[j].c_str(), report.x[k], "-");
  }
  if (!c.message.empty()) std::printf("\ncovariance: %s\n", c.message.c_str());
}

void write_fit_directory(const FitReport& report, const FitConfig& config) {
  const std::filesystem::path out(config.out);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) throw Error("fit: cannot create " + out.string() + ": " + ec.message());
  write_file_atomically(out / "report.txt", report.summary.full_report(), "fit report");

  nlohmann::json j;
  j["data"] = config.data;
  if (!config.model.empty()) j["model"] = config.model;
  if (!config.ode.empty()) j["ode"] = config.ode;
  j["method"] = config.method;
  j["termination"] = std::string(to_string(report.summary.termination));
  j["message"] = report.summary.message;
  j["initial_cost"] = report.summary.initial_cost;
  j["final_cost"] = report.summary.final_cost;
  j["iterations"] = report.summary.num_successful_steps + report.summary.num_unsuccessful_steps;
  j["seconds"] = report.summary.total_seconds;
  const CovarianceResult& c = report.covariance;
  const bool have_errors = c.ok && c.standard_errors.size() == report.x.size();
  Vector<double> half;
  if (have_errors) half = c.confidence_half_widths(report.confidence);
  for (std::size_t k = 0; k < report.parameters.size(); ++k) {
    nlohmann::json p;
    p["value"] = report.x[static_cast<Index>(k)];
    if (have_errors) {
      p["standard_error"] = c.standard_errors[static_cast<Index>(k)];
      p["confidence_interval"] = {report.x[static_cast<Index>(k)] - half[static_cast<Index>(k)],
                                  report.x[static_cast<Index>(k)] + half[static_cast<Index>(k)]};
    }
    j["parameters"][report.parameters[k]] = p;
  }
  j["confidence_level"] = report.confidence;
  if (!c.message.empty()) j["covariance_message"] = c.message;
  write_file_atomically(out / "summary.json", j.dump(2) + "\n", "fit summary");

  std::string csv;
  if (!report.series.empty()) csv += "series,";
  for (const std::string& name : report.input_names) csv += name + ",";
  csv += "observed,fitted,residual\n";
  for (std::size_t i = 0; i < report.observed.size(); ++i) {
    if (!report.series.empty()) csv += report.series[i] + ",";
    for (double v : report.inputs[i]) csv += number(v) + ",";
    csv += number(report.observed[i]) + "," + number(report.fitted[i]) + "," +
           number(report.observed[i] - report.fitted[i]) + "\n";
  }
  write_file_atomically(out / "fit.csv", csv, "fitted values");
  plot(report, out);
  std::printf("\nwrote %s (report.txt, summary.json, fit.csv, fit.png)\n", out.string().c_str());
}

}  // namespace curvopt::cli
