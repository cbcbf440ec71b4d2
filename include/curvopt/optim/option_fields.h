#pragma once
/// Key=value access to an Options struct: how the registry and the command line set options by
/// name (`adam lr=1e-3 beta1=0.9`) and how a run records the options it resolved.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "curvopt/core/errors.h"

namespace curvopt {

/// Parsers for option values; each throws ConfigError saying what was expected.
void parse_option_value(std::string_view text, double& out);
void parse_option_value(std::string_view text, int& out);
void parse_option_value(std::string_view text, std::int64_t& out);
void parse_option_value(std::string_view text, std::uint64_t& out);
void parse_option_value(std::string_view text, bool& out);
/// Enums parse through an ADL-visible `bool parse_enum(std::string_view, E&)` and print through
/// `to_string(E)`; `enum_choices(E{})` lists the accepted names for the error message.
template <class E>
requires std::is_enum_v<E>
void parse_option_value(std::string_view text, E& out) {
  if (!parse_enum(text, out))
    throw ConfigError("'" + std::string(text) + "' is not one of " + enum_choices(E{}));
}

/// Shortest text that reads back to the same value.
std::string format_option_value(double value);
std::string format_option_value(int value);
std::string format_option_value(std::int64_t value);
std::string format_option_value(std::uint64_t value);
std::string format_option_value(bool value);
template <class E>
requires std::is_enum_v<E> std::string format_option_value(E value) {
  return std::string(to_string(value));
}

/// One settable field of Options.
template <class Options>
struct OptionField {
  std::string_view name;   ///< the field's name, also its JSON key
  std::string_view alias;  ///< a short form accepted on input ("lr"), or empty
  std::string_view help;   ///< one line: meaning, range, default
  std::function<void(Options&, std::string_view)> set;
  std::function<std::string(const Options&)> get;
};

/// A field reached through `access`, a generic lambda `[](auto& o) -> auto& { return o.x; }`.
template <class Options, class Access>
OptionField<Options> option_field(std::string_view name, std::string_view help, Access access,
                                  std::string_view alias = {}) {
  return {name, alias, help,
          [access](Options& o, std::string_view text) { parse_option_value(text, access(o)); },
          [access](const Options& o) { return format_option_value(access(o)); }};
}

/// The fields of Options, in order.
template <class Options>
using OptionFields = std::vector<OptionField<Options>>;

/// Sets `key` = `text` on `options`. Throws ConfigError naming `owner` and the key when the key
/// is unknown (listing the known ones) or the value does not parse.
/// Command-line spellings with '-' for '_' are accepted ("clip-norm").
template <class Options>
void set_option(const OptionFields<Options>& fields, Options& options, std::string_view owner,
                std::string_view key, std::string_view text) {
  std::string normalized(key);
  for (char& c : normalized)
    if (c == '-') c = '_';
  for (const auto& f : fields) {
    if (normalized != f.name && (f.alias.empty() || normalized != f.alias)) continue;
    try {
      f.set(options, text);
    } catch (const ConfigError& e) {
      throw ConfigError(std::string(owner) + ": " + std::string(key) + " = '" + std::string(text) +
                        "': " + e.what());
    }
    return;
  }
  std::string known;
  for (const auto& f : fields) {
    if (!known.empty()) known += ", ";
    known += f.name;
    if (!f.alias.empty()) known += " (" + std::string(f.alias) + ")";
  }
  throw ConfigError(std::string(owner) + ": unknown option '" + std::string(key) +
                    "' (known: " + known + ")");
}

}  // namespace curvopt
