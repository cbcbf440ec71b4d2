#pragma once
// `curvopt fit`: a model typed as an expression (or an ODE system) fitted to a CSV file.

#include <string>

namespace curvopt::cli {

struct FitConfig {
  std::string data;           ///< CSV file with a header row
  std::string model;          ///< "a*exp(-b*x)+c": symbols that name columns are data
  std::string ode;            ///< "dx = a*x - b*x*y; dy = -c*y + d*x*y"
  std::string target = "y";   ///< the column the model predicts (expression mode)
  std::string time = "t";     ///< the time column (ODE mode)
  std::string sigma;          ///< column of standard deviations: residuals (y − f)/σ
  std::string start;          ///< "a=1,b=0.1": starting values (1 where not given)
  std::string initial;        ///< ODE initial states "x=10,y=5" (else the first observation)
  bool fix_initial = false;   ///< ODE: hold the initial states instead of estimating them
  std::string bounds;         ///< "b=0:inf,c=-1:1"
  std::string loss = "none";  ///< robust loss "cauchy:0.5" (name:scale)
  std::string method = "lm";  ///< lm, dogleg, gauss-newton
  int max_iterations = 200;
  double confidence = 0.95;
  std::string out;       ///< run directory (summary.json, fit.csv, report.txt, fit.png)
  bool verbose = false;  ///< one line per iteration
};

/// Runs the fit; prints the summary and the parameter table. Returns the exit status (0 when the
/// solve produced a usable result). Bad input throws curvopt::ValueError / ConfigError with one
/// line naming the file, line, column or word.
int run_fit(const FitConfig& config);

}  // namespace curvopt::cli
