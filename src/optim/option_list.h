#pragma once
// Helpers the optimizers share for their Options (private to src/).

#include <string>
#include <utility>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {

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
