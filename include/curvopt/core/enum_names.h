#pragma once
/// Names of enum values from one table each: to_string, parse_enum and enum_choices are all read
/// from it, so a name is written once and the three can never disagree.

#include <string>
#include <string_view>

namespace curvopt {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

template <class E, std::size_t N>
constexpr std::string_view enum_name(const EnumName<E> (&table)[N], E value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  return "unknown";
}

template <class E, std::size_t N>
bool enum_parse(const EnumName<E> (&table)[N], std::string_view text, E& out) {
  for (const auto& entry : table)
    if (entry.name == text) {
      out = entry.value;
      return true;
    }
  return false;
}

/// "a, b, c": the accepted names, for error messages and help texts.
template <class E, std::size_t N>
std::string enum_list(const EnumName<E> (&table)[N]) {
  std::string out;
  for (const auto& entry : table) {
    if (!out.empty()) out += ", ";
    out += entry.name;
  }
  return out;
}

}  // namespace curvopt

/// Defines to_string(E), parse_enum(text, E&) and enum_choices(E) from a table of
/// {E::kValue, "name"} pairs, in the enclosing namespace of a .cpp file.
#define CURVOPT_ENUM_NAMES(E, ...)                                                         \
  namespace {                                                                              \
  constexpr ::curvopt::EnumName<E> k##E##Names[] = {__VA_ARGS__};                          \
  }                                                                                        \
  std::string_view to_string(E value) { return ::curvopt::enum_name(k##E##Names, value); } \
  bool parse_enum(std::string_view text, E& out) {                                         \
    return ::curvopt::enum_parse(k##E##Names, text, out);                                  \
  }                                                                                        \
  std::string enum_choices(E) { return ::curvopt::enum_list(k##E##Names); }
