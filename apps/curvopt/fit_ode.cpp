// ODE mode of `curvopt fit`: `--ode "dx = a*x - b*x*y; dy = -c*y + d*x*y"` fitted to the columns
// of a CSV file named like the states, at the times of its time column. The Jacobian comes from
// the integrator's forward sensitivities; the initial states are estimated too unless
// --fix-initial.

#include <algorithm>
#include <limits>
#include <map>

#include "curvopt/core/errors.h"
#include "curvopt/fit/ode_expression.h"
#include "curvopt/ode/ode_fit.h"
#include "fit_output.h"
#include "fit_table.h"

namespace curvopt::cli {

FitReport fit_ode(const FitConfig& config) {
  if (!config.sigma.empty())
    throw ConfigError("--sigma weights --model fits; an --ode fit uses unit weights");
  const OdeExpressionSystem system = OdeExpressionSystem::parse(config.ode);
  const Index n = static_cast<Index>(system.states.size());
  const Index p = static_cast<Index>(system.parameters.size());
  std::vector<std::string> wanted{config.time};
  wanted.insert(wanted.end(), system.states.begin(), system.states.end());
  const FitTable table = read_fit_table(config.data, wanted);
  const std::vector<double>& time = table.columns[table.index(config.time, "--time")];
  for (std::size_t k = 1; k < time.size(); ++k)
    if (time[k] < time[k - 1])
      throw ValueError(table.source + ": line " + std::to_string(table.lines[k]) + ": time " +
                       std::to_string(time[k]) + " is before the previous row's; sort the rows");

  OdeObservations data;
  data.t0 = time.front();
  data.times = Eigen::Map<const Vector<double>>(time.data(), static_cast<Index>(time.size()));
  for (Index s = 0; s < n; ++s)
    if (table.has(system.states[static_cast<std::size_t>(s)])) data.observed_states.push_back(s);
  if (data.observed_states.empty())
    throw ValueError("--ode: no state (" + system.to_string() + ") names a column of " +
                     table.source + ": nothing to fit to");
  const Index q = static_cast<Index>(data.observed_states.size());
  data.values.resize(q, data.times.size());
  for (Index o = 0; o < q; ++o) {
    const std::string& name = system.states[static_cast<std::size_t>(data.observed_states[o])];
    const std::vector<double>& column = table.columns[table.index(name, "--ode")];
    for (Index k = 0; k < data.times.size(); ++k) data.values(o, k) = column[k];
  }

  // Initial states: --initial, else the first observation; unobserved ones must be given.
  std::map<std::string, double> initial;
  for (const auto& [name, value] : parse_assignments(config.initial, "--initial")) {
    if (std::find(system.states.begin(), system.states.end(), name) == system.states.end())
      throw ValueError("--initial: '" + name +
                       "' is not a state of the system (states: " + system.to_string() + ")");
    initial[name] = value;
  }
  Vector<double> y0(n);
  for (Index s = 0; s < n; ++s) {
    const std::string& name = system.states[static_cast<std::size_t>(s)];
    if (initial.count(name)) {
      y0[s] = initial[name];
    } else if (table.has(name)) {
      y0[s] = table.columns[table.index(name, "--ode")].front();
    } else {
      throw ValueError("--ode: state '" + name + "' is not a column of " + table.source +
                       ": give its initial value with --initial " + name + "=...");
    }
  }

  FitReport report;
  report.parameters = system.parameters;
  if (!config.fix_initial)
    for (const std::string& s : system.states) report.parameters.push_back(s + "(t0)");
  std::map<std::string, double> defaults;
  for (Index s = 0; s < n && !config.fix_initial; ++s)
    defaults[system.states[static_cast<std::size_t>(s)] + "(t0)"] = y0[s];
  report.x = starting_point(config, report.parameters, defaults);
  OdeFitOptions options;
  options.estimate_initial_state = !config.fix_initial;
  auto problem = std::make_unique<LeastSquaresProblem>(report.x.size());
  problem->add_block(
      std::make_unique<OdeTrajectoryBlock<OdeExpressionSystem>>(system, n, p, y0, data, options),
      nullptr);

  const SolverOptions solver = solver_options(config, report.parameters);
  report.summary = solve(*problem, report.x, solver);

  // The fitted trajectories at the observation times.
  const Vector<double> theta = report.x.head(p);
  const Vector<double> start_state = config.fix_initial ? y0 : Vector<double>(report.x.tail(n));
  Matrix<double> states;
  const OdeResult result =
      integrate(system, n, p, start_state, theta, data.times, data.t0, options.ode, states);
  report.input_names = {config.time};
  report.observed_name = "value";
  for (Index o = 0; o < q; ++o)
    for (Index k = 0; k < data.times.size(); ++k) {
      report.series.push_back(system.states[static_cast<std::size_t>(data.observed_states[o])]);
      report.inputs.push_back({data.times[k]});
      report.observed.push_back(data.values(o, k));
      report.fitted.push_back(result.ok() ? states(data.observed_states[o], k)
                                          : std::numeric_limits<double>::quiet_NaN());
    }
  report.problem = std::move(problem);
  return report;
}

}  // namespace curvopt::cli
