#include "curvopt/optim/option_fields.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace curvopt {
namespace {

template <class T>
void parse_number(std::string_view text, T& out, const char* expected) {
  T value{};
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (!text.empty() && *begin == '+') ++begin;  // from_chars rejects a leading '+'
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (text.empty() || ec != std::errc() || ptr != end) throw ConfigError(expected);
  out = value;
}

}  // namespace

void parse_option_value(std::string_view text, double& out) {
  parse_number(text, out, "expected a number");
}
void parse_option_value(std::string_view text, int& out) {
  parse_number(text, out, "expected an integer");
}
void parse_option_value(std::string_view text, std::int64_t& out) {
  parse_number(text, out, "expected an integer");
}
void parse_option_value(std::string_view text, std::uint64_t& out) {
  parse_number(text, out, "expected a non-negative integer");
}
void parse_option_value(std::string_view text, bool& out) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    out = true;
  } else if (text == "false" || text == "0" || text == "no" || text == "off") {
    out = false;
  } else {
    throw ConfigError("expected true or false");
  }
}

std::string format_option_value(double value) {
  std::array<char, 64> buf{};
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  return std::string(buf.data(), ptr);
}
std::string format_option_value(int value) { return std::to_string(value); }
std::string format_option_value(std::int64_t value) { return std::to_string(value); }
std::string format_option_value(std::uint64_t value) { return std::to_string(value); }
std::string format_option_value(bool value) { return value ? "true" : "false"; }

}  // namespace curvopt
