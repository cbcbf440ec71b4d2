#pragma once
// What `curvopt fit` found, printed as a table and written as a run directory.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "curvopt/problem/least_squares_problem.h"
#include "curvopt/solve/covariance.h"
#include "curvopt/solve/solver.h"
#include "fit_command.h"

namespace curvopt::cli {

struct FitReport {
  std::vector<std::string> parameters;
  Vector<double> x;
  Summary summary;
  CovarianceResult covariance;
  double confidence = 0.95;
  bool absolute_sigma = false;  ///< residuals divided by known σ: the covariance is not rescaled
  std::unique_ptr<Problem<double>> problem;
  /// Per data point: the inputs (expression mode: the data symbols; ODE mode: t), the observed
  /// value, the fitted one, and which series it belongs to (ODE: the state's name).
  std::vector<std::string> input_names;
  std::string observed_name;
  std::vector<std::vector<double>> inputs;
  std::vector<double> observed, fitted;
  std::vector<std::string> series;
};

/// The Summary line, the termination and the parameter table on stdout.
void print_fit_report(const FitReport& report);
/// report.txt (the full Summary), summary.json, fit.csv and, when gnuplot is there, fit.png and
/// fit.svg (data, fit and residuals) in config.out, each file written atomically.
void write_fit_directory(const FitReport& report, const FitConfig& config);

/// ODE mode (fit_ode.cpp).
FitReport fit_ode(const FitConfig& config);

/// The solver options of the flags: --method, --max-iterations, --verbose and the --bounds of
/// the named parameters (fit_command.cpp).
SolverOptions solver_options(const FitConfig& config, const std::vector<std::string>& parameters);
/// Starting values: `defaults` where given, else 1 (SciPy's curve_fit p0), then --start.
Vector<double> starting_point(const FitConfig& config, const std::vector<std::string>& parameters,
                              const std::map<std::string, double>& defaults);

}  // namespace curvopt::cli
