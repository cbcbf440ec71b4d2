#pragma once
/// Reading one number from text, strictly: the whole text, no silent wrap-around, saturation or
/// truncation. Every reader of user-given numbers (optimizer options, command-line flags, config
/// values) goes through this, so that they all refuse the same inputs with the same words.

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace curvopt {

/// Parses `text` as a T (an integer or floating type) into `out`. Returns nullopt on success,
/// else what is wrong, without repeating the text ("expected an integer", "out of range [0,
/// 18446744073709551615]", "must be finite"); `out` is then unchanged. A leading '+' is accepted.
/// Floating values must be finite unless `allow_infinite`.
template <class T>
std::optional<std::string> parse_number_text(std::string_view text, T& out,
                                             bool allow_infinite = false) {
  const char* expected = std::is_floating_point_v<T> ? "expected a number"
                         : std::is_unsigned_v<T>     ? "expected a non-negative integer"
                                                     : "expected an integer";
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars rejects a leading '+'
  if (begin == end) return expected;
  T value{};
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec == std::errc::result_out_of_range) {
    if constexpr (std::is_floating_point_v<T>)
      return "out of range for a double";
    else
      return "out of range [" + std::to_string(std::numeric_limits<T>::min()) + ", " +
             std::to_string(std::numeric_limits<T>::max()) + "]";
  }
  if (ec != std::errc() || ptr != end) return expected;
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(value)) return "expected a number, not NaN";
    if (std::isinf(value) && !allow_infinite) return "must be finite";
  }
  out = value;
  return std::nullopt;
}

}  // namespace curvopt
