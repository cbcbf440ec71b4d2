#pragma once
// Helpers the optimizers share for their Options (private to src/).

#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {

/// Range checks for validate(): each returns "<Owner>::<field> = <value>: must be …" when the
/// value is out of range, and nothing otherwise.
inline std::optional<std::string> out_of_range(std::string_view owner, std::string_view field,
                                               double value, std::string_view rule) {
  return std::string(owner) + "::" + std::string(field) + " = " + format_option_value(value) +
         ": must be " + std::string(rule);
}
/// Finite and > 0.
inline std::optional<std::string> require_positive(std::string_view owner, std::string_view field,
                                                   double value) {
  if (value > 0 && std::isfinite(value)) return std::nullopt;
  return out_of_range(owner, field, value, "finite and > 0");
}
/// Finite and ≥ 0.
inline std::optional<std::string> require_non_negative(std::string_view owner,
                                                       std::string_view field, double value) {
  if (value >= 0 && std::isfinite(value)) return std::nullopt;
  return out_of_range(owner, field, value, "finite and >= 0");
}
/// In [0, 1): momenta, decay rates.
inline std::optional<std::string> require_unit_interval(std::string_view owner,
                                                        std::string_view field, double value) {
  if (value >= 0 && value < 1) return std::nullopt;
  return out_of_range(owner, field, value, "in [0, 1)");
}
/// The first error of several checks, in order.
inline std::optional<std::string> first_error(
    std::initializer_list<std::optional<std::string>> checks) {
  for (const auto& check : checks)
    if (check) return check;
  return std::nullopt;
}

/// The option fields every first-order method has.
template <class Options>
OptionField<Options> learning_rate_field(std::string_view help) {
  return option_field<Options>(
      "learning_rate", help, [](auto& o) -> auto& { return o.learning_rate; }, "lr");
}
template <class Options>
OptionField<Options> weight_decay_field(std::string_view help) {
  return option_field<Options>(
      "weight_decay", help, [](auto& o) -> auto& { return o.weight_decay; }, "wd");
}

/// Throws ConfigError with validate()'s message when `options` are invalid.
template <class Options>
void throw_if_invalid(const Options& options) {
  if (auto error = options.validate()) throw ConfigError(*error);
}

/// Every field of `options` as (key, value) text.
template <class Options>
std::vector<std::pair<std::string, std::string>> option_values(const OptionFields<Options>& fields,
                                                               const Options& options) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(fields.size());
  for (const auto& f : fields) out.emplace_back(std::string(f.name), f.get(options));
  return out;
}

}  // namespace curvopt
