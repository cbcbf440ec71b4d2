// Solver options' validation, the enums' names and the Summary's reports.
#include <cmath>
#include <cstdio>
#include <string>

#include "curvopt/core/enum_names.h"
#include "curvopt/optim/option_fields.h"
#include "curvopt/solve/solver.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(SolverMethod, {SolverMethod::kLevenbergMarquardt, "lm"},
                   {SolverMethod::kGaussNewton, "gauss-newton"}, {SolverMethod::kDogleg, "dogleg"})

namespace {
constexpr EnumName<TerminationType> kTerminationNames[] = {
    {TerminationType::kConvergence, "CONVERGENCE"},
    {TerminationType::kNoConvergence, "NO_CONVERGENCE"},
    {TerminationType::kFailure, "FAILURE"},
    {TerminationType::kUserSuccess, "USER_SUCCESS"},
    {TerminationType::kUserFailure, "USER_FAILURE"},
};

std::string field(const char* name, double value, const char* rule) {
  return std::string("SolverOptions::") + name + " = " + format_option_value(value) + ": " + rule;
}

std::string format(const char* spec, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, value);
  return buffer;
}
}  // namespace

std::string_view to_string(TerminationType type) { return enum_name(kTerminationNames, type); }

std::optional<std::string> SolverOptions::validate(Index num_parameters) const {
  if (max_iterations < 0) return field("max_iterations", max_iterations, "must be >= 0");
  if (!(max_seconds > 0)) return field("max_seconds", max_seconds, "must be > 0");
  const std::pair<const char*, double> non_negative[] = {
      {"function_tolerance", function_tolerance},
      {"gradient_tolerance", gradient_tolerance},
      {"parameter_tolerance", parameter_tolerance}};
  for (const auto& [name, value] : non_negative)
    if (!(value >= 0) || !std::isfinite(value))
      return field(name, value, "must be a finite number >= 0");
  const std::pair<const char*, double> positive[] = {
      {"initial_trust_region_radius", initial_trust_region_radius},
      {"max_trust_region_radius", max_trust_region_radius},
      {"min_trust_region_radius", min_trust_region_radius},
      {"min_lm_diagonal", min_lm_diagonal}};
  for (const auto& [name, value] : positive)
    if (!(value > 0) || !std::isfinite(value)) return field(name, value, "must be finite and > 0");
  if (!(min_trust_region_radius <= initial_trust_region_radius &&
        initial_trust_region_radius <= max_trust_region_radius))
    return field("initial_trust_region_radius", initial_trust_region_radius,
                 "must lie in [min_trust_region_radius, max_trust_region_radius]");
  if (lower_bounds.size() != upper_bounds.size())
    return "SolverOptions::lower_bounds and upper_bounds: give both or neither (" +
           std::to_string(lower_bounds.size()) + " and " + std::to_string(upper_bounds.size()) +
           " entries)";
  if (lower_bounds.size() != 0 && lower_bounds.size() != num_parameters)
    return "SolverOptions::lower_bounds: " + std::to_string(lower_bounds.size()) +
           " entries, the problem has " + std::to_string(num_parameters) + " parameters";
  for (Index j = 0; j < lower_bounds.size(); ++j)
    if (std::isnan(lower_bounds[j]) || std::isnan(upper_bounds[j]) ||
        !(lower_bounds[j] <= upper_bounds[j]) || lower_bounds[j] == HUGE_VAL ||
        upper_bounds[j] == -HUGE_VAL)
      return "SolverOptions::lower_bounds[" + std::to_string(j) +
             "] = " + format_option_value(lower_bounds[j]) + ", upper_bounds[" + std::to_string(j) +
             "] = " + format_option_value(upper_bounds[j]) + ": need lower <= upper, no NaN";
  return std::nullopt;
}

bool Summary::is_usable() const {
  return termination == TerminationType::kConvergence ||
         termination == TerminationType::kNoConvergence ||
         termination == TerminationType::kUserSuccess;
}

std::string Summary::brief_report() const {
  return "curvopt solve: " + std::string(to_string(method)) +
         ", iterations: " + std::to_string(num_successful_steps + num_unsuccessful_steps) +
         ", initial cost: " + format("%.6e", initial_cost) +
         ", final cost: " + format("%.6e", final_cost) +
         ", termination: " + std::string(to_string(termination));
}

std::string Summary::full_report() const {
  std::string out = "curvopt solve report\n";
  const auto line = [&out](const char* name, const std::string& value) {
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "  %-28s %s\n", name, value.c_str());
    out += buffer;
  };
  line("parameters", std::to_string(num_parameters));
  line("residuals", std::to_string(num_residuals));
  line("method", std::string(to_string(method)));
  line("linear solver", linear_solver.empty() ? "-" : std::string(linear_solver));
  line("jacobi scaling", jacobi_scaling ? "yes" : "no");
  if (method != SolverMethod::kDogleg)
    line("damping", identity_damping ? "identity (Levenberg)" : "max-diagonal (MINPACK)");
  line("initial cost", format("%.12e", initial_cost));
  line("final cost", format("%.12e", final_cost));
  line("change", format("%.6e", initial_cost - final_cost));
  line("successful steps", std::to_string(num_successful_steps));
  line("unsuccessful steps", std::to_string(num_unsuccessful_steps));
  line("residual evaluations", std::to_string(num_residual_evaluations));
  line("jacobian evaluations", std::to_string(num_jacobian_evaluations));
  if (!active_lower_bounds.empty() || !active_upper_bounds.empty()) {
    std::string active;
    for (Index j : active_lower_bounds) active += "x[" + std::to_string(j) + "]=lower ";
    for (Index j : active_upper_bounds) active += "x[" + std::to_string(j) + "]=upper ";
    line("active bounds", active);
  }
  line("total time (s)", format("%.6f", total_seconds));
  out += "\n  iter           cost  cost_change  |gradient|      |step|   tr_radius\n";
  for (const IterationSummary& it : iterations) {
    char buffer[128];
    std::snprintf(buffer, sizeof buffer, "  %4d %14.6e %12.3e %11.3e %11.3e %11.3e%s\n",
                  it.iteration, it.cost, it.cost_change, it.gradient_max_norm, it.step_norm,
                  it.trust_region_radius, it.step_is_successful ? "" : "  rejected");
    out += buffer;
  }
  out += "\ntermination: " + std::string(to_string(termination)) + " (" + message + ")\n";
  return out;
}

}  // namespace curvopt
