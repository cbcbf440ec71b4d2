// `curvopt fit --data FILE --model EXPR` (or --ode SYSTEM): builds the LeastSquaresProblem, runs
// solve(), and reports the parameters with standard errors and confidence intervals.

#include "fit_command.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>

#include "curvopt/core/errors.h"
#include "curvopt/core/number_text.h"
#include "curvopt/fit/expression_model.h"
#include "curvopt/solve/covariance.h"
#include "curvopt/solve/solver.h"
#include "fit_output.h"
#include "fit_table.h"

namespace curvopt::cli {

namespace {
std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}
}  // namespace

SolverOptions solver_options(const FitConfig& config, const std::vector<std::string>& parameters) {
  SolverOptions options;
  if (!parse_enum(config.method, options.method))
    throw ConfigError("--method '" + config.method + "': must be one of " +
                      enum_choices(SolverMethod{}));
  options.max_iterations = config.max_iterations;
  options.progress_to_stdout = config.verbose;
  const std::vector<FitBound> bounds = parse_bounds(config.bounds);
  if (!bounds.empty()) {
    const Index n = static_cast<Index>(parameters.size());
    options.lower_bounds = Vector<double>::Constant(n, -std::numeric_limits<double>::infinity());
    options.upper_bounds = Vector<double>::Constant(n, std::numeric_limits<double>::infinity());
    for (const FitBound& b : bounds) {
      const auto it = std::find(parameters.begin(), parameters.end(), b.name);
      if (it == parameters.end())
        throw ValueError("--bounds: unknown parameter '" + b.name +
                         "' (parameters: " + join(parameters) + ")");
      const Index j = it - parameters.begin();
      options.lower_bounds[j] = b.lower;
      options.upper_bounds[j] = b.upper;
    }
  }
  return options;
}

Vector<double> starting_point(const FitConfig& config, const std::vector<std::string>& parameters,
                              const std::map<std::string, double>& defaults) {
  Vector<double> x = Vector<double>::Ones(static_cast<Index>(parameters.size()));
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    const auto d = defaults.find(parameters[j]);
    if (d != defaults.end()) x[static_cast<Index>(j)] = d->second;
  }
  for (const auto& [name, value] : parse_assignments(config.start, "--start")) {
    const auto it = std::find(parameters.begin(), parameters.end(), name);
    if (it == parameters.end())
      throw ValueError("--start: unknown parameter '" + name +
                       "' (parameters: " + join(parameters) + ")");
    x[it - parameters.begin()] = value;
  }
  return x;
}

namespace {

std::shared_ptr<const RobustLoss> robust_loss(const std::string& text) {
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  double scale = 1;
  if (colon != std::string::npos) {
    const std::string scale_text = text.substr(colon + 1);
    if (const auto error = parse_number_text(scale_text, scale))
      throw ValueError("--loss " + name + ": scale '" + scale_text + "': " + *error);
  }
  return make_robust_loss(name, scale);
}

/// Expression mode: symbols naming a column are data, the others parameters.
FitReport fit_expression(const FitConfig& config) {
  std::vector<std::string> symbols;
  const auto expression =
      std::make_shared<Expression>(Expression::parse_collecting(config.model, symbols));
  // One pass over the file: every symbol that names a column is parsed as data; the others are
  // the parameters.
  for (const std::string& s : symbols)
    if (s == config.target)
      throw ValueError("--model uses the target column '" + config.target +
                       "' as an input; choose the target with --target");
  std::vector<std::string> wanted = symbols;
  wanted.push_back(config.target);
  if (!config.sigma.empty()) wanted.push_back(config.sigma);
  const FitTable table = read_fit_table(config.data, wanted);
  std::vector<std::string> parameters;
  for (const std::string& s : symbols)
    if (!table.has(s)) parameters.push_back(s);
  if (parameters.empty())
    throw ValueError("--model '" + config.model +
                     "' has no parameters: every symbol names a column of " + config.data);
  const std::size_t target = table.index(config.target, "--target");
  const std::size_t sigma = config.sigma.empty() ? 0 : table.index(config.sigma, "--sigma");

  auto bindings = std::make_shared<std::vector<ExpressionBinding>>();
  std::vector<std::size_t> inputs;
  for (const std::string& s : symbols) {
    const auto p = std::find(parameters.begin(), parameters.end(), s);
    if (p != parameters.end()) {
      bindings->push_back({ExpressionBinding::Kind::kParameter, int(p - parameters.begin())});
    } else {
      const std::size_t c = table.index(s, "--model");
      bindings->push_back({ExpressionBinding::Kind::kData, int(c)});
      inputs.push_back(c);
    }
  }
  FitReport report;
  report.parameters = parameters;
  report.absolute_sigma = !config.sigma.empty();
  for (std::size_t c : inputs) report.input_names.push_back(table.names[c]);
  report.observed_name = config.target;
  auto problem = std::make_unique<LeastSquaresProblem>(static_cast<Index>(parameters.size()));
  const auto loss = robust_loss(config.loss);
  std::vector<ExpressionRowResidual> rows;
  for (std::size_t i = 0; i < table.rows(); ++i) {
    std::vector<double> row(table.names.size(), 0.0);
    for (std::size_t c = 0; c < row.size(); ++c)
      if (!table.columns[c].empty()) row[c] = table.columns[c][i];
    double weight = 1;
    if (!config.sigma.empty()) {
      const double s = table.columns[sigma][i];
      if (!(s > 0))
        throw ValueError(table.source + ": line " + std::to_string(table.lines[i]) + ": column '" +
                         config.sigma + "' = " + std::to_string(s) +
                         ": a standard deviation must be > 0");
      weight = 1 / s;
    }
    rows.emplace_back(expression, bindings, row, table.columns[target][i], weight);
    problem->add_residual_block(rows.back(), 1, loss);
    std::vector<double> in;
    for (std::size_t c : inputs) in.push_back(table.columns[c][i]);
    report.inputs.push_back(in);
    report.observed.push_back(table.columns[target][i]);
  }
  report.x = starting_point(config, parameters, {});
  const SolverOptions options = solver_options(config, parameters);
  report.summary = solve(*problem, report.x, options);
  for (const ExpressionRowResidual& row : rows) report.fitted.push_back(row.model(report.x.data()));
  report.problem = std::move(problem);
  return report;
}

}  // namespace

int run_fit(const FitConfig& config) {
  if (config.model.empty() == config.ode.empty())
    throw ConfigError("fit: give exactly one of --model EXPRESSION and --ode SYSTEM");
  if (!(config.confidence > 0 && config.confidence < 1))
    throw ConfigError("--confidence " + std::to_string(config.confidence) + ": must lie in (0, 1)");
  FitReport report = config.ode.empty() ? fit_expression(config) : fit_ode(config);
  CovarianceOptions covariance_options;
  covariance_options.scale_by_residual_variance = !report.absolute_sigma;
  covariance_options.fixed = report.summary.active_lower_bounds;
  covariance_options.fixed.insert(covariance_options.fixed.end(),
                                  report.summary.active_upper_bounds.begin(),
                                  report.summary.active_upper_bounds.end());
  if (report.summary.is_usable())
    report.covariance = covariance(*report.problem, report.x, covariance_options);
  report.confidence = config.confidence;
  print_fit_report(report);
  if (!config.out.empty()) write_fit_directory(report, config);
  return report.summary.is_usable() ? 0 : 1;
}

}  // namespace curvopt::cli
