#include "curvopt/optim/option_fields.h"

#include <array>
#include <charconv>

#include "curvopt/core/number_text.h"

namespace curvopt {
namespace {

// Options may be infinite (max_step=inf: no cap); each option's own range check decides.
template <class T>
void parse_number(std::string_view text, T& out) {
  if (auto error = parse_number_text(text, out, /*allow_infinite=*/true)) throw ConfigError(*error);
}

}  // namespace

void parse_option_value(std::string_view text, double& out) { parse_number(text, out); }
void parse_option_value(std::string_view text, int& out) { parse_number(text, out); }
void parse_option_value(std::string_view text, std::int64_t& out) { parse_number(text, out); }
void parse_option_value(std::string_view text, std::uint64_t& out) { parse_number(text, out); }
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
