#include "curvopt/data/csv.h"

#if defined(__AVX512BW__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "curvopt/core/enum_names.h"
#include "curvopt/core/errors.h"
#include "data/gzip.h"

namespace curvopt {
namespace {

std::string read_text(const std::filesystem::path& path) {
  struct Closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  errno = 0;
  std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
  if (!file)
    throw ValueError(path.string() + ": line 1: cannot open the file: " + std::strerror(errno));
  // Read straight into a string of the file's size; a file that grows meanwhile (or has no size)
  // is read on in pieces.
  std::string text;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) text.resize(static_cast<std::size_t>(size));
  std::size_t have = 0;
  std::array<char, 1 << 16> chunk;
  for (;;) {
    errno = 0;
    const bool into_text = have < text.size();
    const std::size_t want = into_text ? text.size() - have : chunk.size();
    const std::size_t got =
        std::fread(into_text ? text.data() + have : chunk.data(), 1, want, file.get());
    if (!into_text) text.append(chunk.data(), got);
    have += got;
    if (got < want) {
      if (std::ferror(file.get()))
        throw ValueError(path.string() + ": line 1: cannot read the file: " + std::strerror(errno));
      break;
    }
  }
  text.resize(have);
  if (!detail::is_gzip(text.data(), text.size())) return text;
  std::string plain;
  if (auto error = detail::gunzip(text.data(), text.size(), plain, path.string()))
    throw ValueError(path.string() + ": line 1: corrupt gzip data: " + error->why + " (at byte " +
                     std::to_string(error->offset) + " of the compressed file)");
  return plain;
}

// A character as it should appear in a message.
std::string describe(char c) {
  if (std::isprint(static_cast<unsigned char>(c))) return std::string("'") + c + "'";
  return "character " + std::to_string(static_cast<unsigned char>(c));
}

// The cell as it should appear in a message: quoted, shortened when long.
std::string quote(std::string_view cell) {
  constexpr std::size_t kMaxShown = 40;
  // Built by appending: GCC 12 gives a false -Wrestrict on `"\"" + std::string(...)` (PR 105329).
  std::string out(1, '"');
  out.append(cell.substr(0, kMaxShown));
  if (cell.size() <= kMaxShown) return out += '"';
  out.append("...\" (");
  out.append(std::to_string(cell.size()));
  out.append(" characters)");
  return out;
}

// Strips a leading '+' that from_chars would reject ("+1.5"), but not from "+-1" or "+".
std::string_view strip_plus(std::string_view cell) {
  if (cell.size() > 1 && cell[0] == '+' && cell[1] != '+' && cell[1] != '-') cell.remove_prefix(1);
  return cell;
}

// Clinger's fast path for short decimals: with the digits an integer m <= 2^53 and |k| <= 22,
// m * 10^k is one multiplication or division of exact doubles, so correctly rounded in double.
// For float, rounding that double again to float gives the correctly rounded float unless the
// double lies exactly halfway between two floats (no float midpoint can lie strictly between the
// exact value and its nearest double, which would be nearer); that case is left to from_chars.
// False when the value is not certain; the caller then asks from_chars.
template <class Scalar>
bool finish_decimal(std::uint64_t mantissa, int power, bool negative, Scalar& out) {
  static constexpr double kPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  if (mantissa > (std::uint64_t{1} << 53) || power < -22 || power > 22) return false;
  // Both factors are looked up so that the sign of the power takes no branch.
  const double value = static_cast<double>(mantissa) * kPowers[power > 0 ? power : 0] /
                       kPowers[power < 0 ? -power : 0];
  const std::uint64_t bits =
      std::bit_cast<std::uint64_t>(value) | (static_cast<std::uint64_t>(negative) << 63);
  if constexpr (sizeof(Scalar) == sizeof(float)) {
    constexpr std::uint64_t kDropped = (std::uint64_t{1} << 29) - 1;  // 52 - 23 bits
    if ((bits & kDropped) == (std::uint64_t{1} << 28)) return false;
  }
  out = static_cast<Scalar>(std::bit_cast<double>(bits));
  return true;
}

// Decimal text [-]digits[.digits][(e|E)[+|-]digits] with at most 19 digits read by
// finish_decimal; false for any other text (and when finish_decimal is unsure).
template <class Scalar>
bool parse_decimal_scalar(std::string_view text, Scalar& out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  const bool negative = p != end && *p == '-';
  if (negative) ++p;
  const auto digit = [](char c) { return static_cast<unsigned>(c - '0') < 10; };
  std::uint64_t mantissa = 0;  // wraps for more than 19 digits, which are refused below
  const char* const integer = p;
  while (p != end && digit(*p)) mantissa = mantissa * 10 + static_cast<unsigned>(*p++ - '0');
  std::ptrdiff_t num_digits = p - integer;
  int power = 0;
  if (p != end && *p == '.') {
    const char* const fraction = ++p;
    while (p != end && digit(*p)) mantissa = mantissa * 10 + static_cast<unsigned>(*p++ - '0');
    num_digits += p - fraction;
    power = -static_cast<int>(std::min<std::ptrdiff_t>(p - fraction, 100));
  }
  if (num_digits == 0 || num_digits > 19) return false;
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool negative_exponent = p != end && *p == '-';
    if (p != end && (*p == '-' || *p == '+')) ++p;
    const char* const exponent_digits = p;
    int exponent = 0;
    while (p != end && digit(*p) && p - exponent_digits < 4)
      exponent = exponent * 10 + (*p++ - '0');
    if (p == exponent_digits) return false;
    power += negative_exponent ? -exponent : exponent;
  }
  if (p != end) return false;
  return finish_decimal(mantissa, power, negative, out);
}

// parse_decimal_scalar's result for text of at most 16 bytes, with few data-dependent branches
// (a CSV's cells vary in length and form from one to the next, and mispredicted branches were
// most of the cost): one masked 16-byte load, the digits found with vector compares, the dot's gap
// closed with a shift, and the digits combined into m with multiply-adds.
template <class Scalar>
bool parse_decimal(std::string_view text, Scalar& out) {
#if defined(__AVX512BW__) && defined(__AVX512VL__)
  if (text.empty() || text.size() > 16) return parse_decimal_scalar(text, out);
  const char* const p = text.data();
  unsigned n = static_cast<unsigned>(text.size());
  const auto live = static_cast<__mmask16>((1u << n) - 1);
  const __m128i v = _mm_maskz_loadu_epi8(live, p);  // no byte past the cell is read
  const __m128i zero = _mm_set1_epi8('0');
  __mmask16 digits = _mm_mask_cmplt_epu8_mask(live, _mm_sub_epi8(v, zero), _mm_set1_epi8(10));
  __mmask16 dots = _mm_mask_cmpeq_epi8_mask(live, v, _mm_set1_epi8('.'));
  const __mmask16 minus = _mm_mask_cmpeq_epi8_mask(live, v, _mm_set1_epi8('-')) & 1;
  const __mmask16 other = live & ~(digits | dots | minus);
  int power = 0;
  if (other) {  // an exponent, or not a plain decimal
    const auto at = static_cast<unsigned>(std::countr_zero(other));
    if ((p[at] | 0x20) != 'e') return false;
    unsigned i = at + 1;
    const bool negative_exponent = i < n && p[i] == '-';
    if (i < n && (p[i] == '-' || p[i] == '+')) ++i;
    if (i == n || n - i > 3) return false;
    for (; i < n; ++i) {
      const unsigned d = static_cast<unsigned char>(p[i]) - '0';
      if (d >= 10) return false;
      power = power * 10 + static_cast<int>(d);
    }
    if (negative_exponent) power = -power;
    n = at;  // the mantissa's bytes
    const auto mantissa_bytes = static_cast<__mmask16>((1u << n) - 1);
    digits &= mantissa_bytes;
    dots &= mantissa_bytes;
  }
  if (digits == 0 || (dots & (dots - 1))) return false;
  __m128i merged = v;
  if (dots) {  // close the dot's gap: the bytes before it move one place on
    const auto at = static_cast<unsigned>(std::countr_zero(dots));
    const unsigned before = (1u << at) - 1;
    digits = static_cast<__mmask16>(((digits & before) << 1) | (digits & ~((before << 1) | 1)));
    merged = _mm_mask_blend_epi8(static_cast<__mmask16>(before << 1), v, _mm_bslli_si128(v, 1));
    power -= static_cast<int>(n - 1 - at);
  }
  // The digits' values, 0 elsewhere, moved to end at byte 15; then pairs, fours and eights.
  const __m128i values = _mm_maskz_sub_epi8(digits, merged, zero);
  const __m128i shift =
      _mm_sub_epi8(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                   _mm_set1_epi8(static_cast<char>(16 - n)));
  const __m128i aligned = _mm_shuffle_epi8(values, shift);  // negative indices give 0
  const __m128i pairs = _mm_maddubs_epi16(
      aligned, _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
  const __m128i fours = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
  const __m128i packed = _mm_packus_epi32(fours, fours);
  const __m128i eights =
      _mm_madd_epi16(packed, _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
  const std::uint64_t mantissa =
      std::uint64_t{static_cast<std::uint32_t>(_mm_cvtsi128_si32(eights))} * 100000000u +
      static_cast<std::uint32_t>(_mm_extract_epi32(eights, 1));
  return finish_decimal(mantissa, power, minus != 0, out);
#else
  return parse_decimal_scalar(text, out);
#endif
}

template <class Scalar>
const char* type_name() {
  return sizeof(Scalar) == sizeof(float) ? "float" : "double";
}

// A name in a list of names: single-quoted, shortened when long.
std::string shown_name(std::string_view name) {
  constexpr std::size_t kMaxShown = 40;
  std::string out(1, '\'');
  out.append(name.substr(0, kMaxShown));
  if (name.size() > kMaxShown) out.append("...");
  return out += '\'';
}

// "'a', 'b', 'c'", or the first few names and a count when there are many.
std::string name_list(const std::vector<std::string>& names) {
  constexpr std::size_t kMaxListed = 10;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kMaxListed; ++i) {
    if (i > 0) out += ", ";
    out += shown_name(names[i]);
  }
  if (names.size() > kMaxListed) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

// What kind_ records of a byte.
constexpr std::uint8_t kEnds = 1;   // may end an unquoted cell: delimiter, line break, quote, NUL
constexpr std::uint8_t kBlank = 2;  // trimmed around cells

bool is_column_number(const std::string& column) {
  return !column.empty() &&
         std::all_of(column.begin(), column.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

CsvTokenizer::CsvTokenizer(const std::filesystem::path& path, char delimiter)
    : CsvTokenizer(read_text(path), path.string(), delimiter) {}

CsvTokenizer::CsvTokenizer(std::string text, std::string source, char delimiter)
    : text_(std::move(text)), source_(std::move(source)), delimiter_(delimiter) {
  if (text_.starts_with("\xEF\xBB\xBF")) start_ = 3;  // UTF-8 byte-order mark
  pos_ = start_;
  for (const char c : {' ', '\t', '\r', '\v', '\f'}) kind_[static_cast<unsigned char>(c)] = kBlank;
  // NUL is marked as a possible end so that scans stop at the string's terminating NUL without a
  // bounds check; a NUL inside the text is then skipped over.
  for (const char c : {'\n', '"', '\0'}) kind_[static_cast<unsigned char>(c)] = kEnds;
  kind_[static_cast<unsigned char>(delimiter_)] = kEnds;  // never blank
}

void CsvTokenizer::rewind() {
  pos_ = start_;
  line_ = 1;
  record_line_ = 0;
}

void CsvTokenizer::fail(std::size_t line, const std::string& why) const {
  // Cells quoted in `why` may hold control bytes: a NUL would cut the printed message off, a
  // line break would split the one line. Show them as \xNN.
  std::string shown;
  shown.reserve(why.size());
  for (const char c : why) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      shown += c;
      continue;
    }
    constexpr char kHex[] = "0123456789abcdef";
    shown += "\\x";
    shown += kHex[byte >> 4];
    shown += kHex[byte & 0xf];
  }
  throw ValueError(source_ + ": line " + std::to_string(line) + ": " + shown);
}

bool CsvTokenizer::next(std::vector<std::string>& cells) {
  if (!next(views_)) return false;
  cells.resize(views_.size());
  for (std::size_t k = 0; k < views_.size(); ++k) cells[k].assign(views_[k]);
  return true;
}

bool CsvTokenizer::next(std::vector<std::string_view>& cells) {
  const std::size_t size = text_.size();
  const char* const data = text_.data();  // data[size] is NUL, which kind_ marks kEnds
  const auto kind = [this, data](std::size_t at) {
    return kind_[static_cast<unsigned char>(data[at])];
  };
#if defined(__AVX512BW__)
  // The first delimiter, line break or quote at or after `at`, or `size`: 64 bytes a compare,
  // a cell's end found without a branch per byte.
  const __m512i delimiters = _mm512_set1_epi8(delimiter_);
  const __m512i breaks = _mm512_set1_epi8('\n');
  const __m512i quotes = _mm512_set1_epi8('"');
  const auto find_cell_end = [&](const char* text, std::size_t at, std::size_t end) {
    for (;;) {
      const std::size_t left = end - at;
      const __mmask64 live = left >= 64 ? ~__mmask64{0} : (std::uint64_t{1} << left) - 1;
      const __m512i bytes = _mm512_maskz_loadu_epi8(live, text + at);
      const __mmask64 stops = _mm512_mask_cmpeq_epi8_mask(live, bytes, delimiters) |
                              _mm512_mask_cmpeq_epi8_mask(live, bytes, breaks) |
                              _mm512_mask_cmpeq_epi8_mask(live, bytes, quotes);
      if (stops) return at + static_cast<std::size_t>(std::countr_zero(stops));
      if (left <= 64) return end;
      at += 64;
    }
  };
#elif defined(__SSE2__)
  // The same search 16 bytes a compare (SSE2 is part of every x86-64), so that portable builds
  // keep most of the speed; the last bytes one by one, never reading past `end`.
  const __m128i delimiters = _mm_set1_epi8(delimiter_);
  const __m128i breaks = _mm_set1_epi8('\n');
  const __m128i quotes = _mm_set1_epi8('"');
  const char delimiter = delimiter_;
  const auto find_cell_end = [&](const char* text, std::size_t at, std::size_t end) {
    for (; end - at >= 16; at += 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + at));
      const __m128i hits = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(bytes, delimiters), _mm_cmpeq_epi8(bytes, breaks)),
          _mm_cmpeq_epi8(bytes, quotes));
      const auto stops = static_cast<unsigned>(_mm_movemask_epi8(hits));
      if (stops) return at + static_cast<std::size_t>(std::countr_zero(stops));
    }
    for (; at < end; ++at)
      if (text[at] == delimiter || text[at] == '\n' || text[at] == '"') return at;
    return end;
  };
#else
  const auto find_cell_end = [&](const char*, std::size_t at, std::size_t) {
    while (!(kind(at) & kEnds)) ++at;
    return at;
  };
#endif
  std::size_t p = pos_;
  for (;;) {
    if (p >= size) {
      pos_ = p;
      return false;
    }
    record_line_ = line_;
    std::size_t count = 0;
    std::size_t num_unescaped = 0;
    bool any_quoted = false;
    for (;;) {  // one cell per iteration
      std::string_view& cell = count < cells.size() ? cells[count] : cells.emplace_back();
      ++count;
      while (kind(p) & kBlank) ++p;
      if (p < size && data[p] == '"') {
        any_quoted = true;
        const std::size_t open_line = line_;
        const std::size_t content = ++p;
        std::string* unescaped = nullptr;  // set once the cell holds ""
        for (;;) {
          const auto* quote_at = static_cast<const char*>(std::memchr(data + p, '"', size - p));
          if (!quote_at)
            fail(open_line, "cell " + std::to_string(count) +
                                " has an opening quote but no closing quote before the end of "
                                "the file");
          const auto q = static_cast<std::size_t>(quote_at - data);
          line_ += static_cast<std::size_t>(std::count(data + p, quote_at, '\n'));
          if (q + 1 < size && data[q + 1] == '"') {  // "" stands for one quote
            if (!unescaped) {
              if (num_unescaped == unescaped_.size()) unescaped_.emplace_back();
              unescaped = &unescaped_[num_unescaped++];
              unescaped->assign(data + content, q + 1 - content);
            } else {
              unescaped->append(data + p, q + 1 - p);
            }
            p = q + 2;
            continue;
          }
          if (unescaped) {
            unescaped->append(data + p, q - p);
            cell = *unescaped;
          } else {
            cell = std::string_view(data + content, q - content);
          }
          p = q + 1;
          break;
        }
        while (kind(p) & kBlank) ++p;
        if (p < size && data[p] != delimiter_ && data[p] != '\n')
          fail(line_, "unexpected " + describe(data[p]) + " after the closing quote of cell " +
                          std::to_string(count));
      } else {
        const std::size_t start = p;
        for (;;) {
          p = find_cell_end(data, p, size);
          if (p >= size || data[p] == delimiter_ || data[p] == '\n') break;
          if (data[p] == '"')
            fail(line_, "quote character inside unquoted cell " + std::to_string(count) +
                            " (quote the whole cell and write an inner quote as \"\")");
          ++p;  // a NUL inside the text
        }
        std::size_t end = p;
        while (end > start && (kind(end - 1) & kBlank)) --end;
        cell = std::string_view(data + start, end - start);
      }
      if (p < size && data[p] == delimiter_) {
        ++p;
        continue;
      }
      if (p < size) {  // the line break
        ++p;
        ++line_;
      }
      break;
    }
    cells.resize(count);
    if (count == 1 && !any_quoted && cells[0].empty()) continue;  // a blank line
    pos_ = p;
    return true;
  }
}

template <class Scalar>
Scalar CsvTokenizer::parse_number(std::string_view cell, std::size_t line,
                                  std::string_view column) const {
  const std::string_view text = strip_plus(cell);
  Scalar value{};
  if (parse_decimal(text, value)) [[likely]]
    return value;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc() && end == text.data() + text.size() && std::isfinite(value))
    return value;
  const std::string where = "column '" + std::string(column) + "': ";
  if (cell.empty()) fail(line, where + "empty cell, expected a number");
  if (error == std::errc::result_out_of_range)
    fail(line, where + quote(cell) + " is out of the range of " + type_name<Scalar>());
  if (error != std::errc() || end != text.data() + text.size())
    fail(line, where + quote(cell) + " is not a number");
  if (!std::isfinite(value))
    fail(line, where + quote(cell) + " is not finite (NaN and infinite values are not allowed)");
  return value;
}

std::int64_t CsvTokenizer::parse_integer(std::string_view cell, std::size_t line,
                                         std::string_view column) const {
  const std::string where = "column '" + std::string(column) + "': ";
  if (cell.empty()) fail(line, where + "empty cell, expected an integer");
  const std::string_view text = strip_plus(cell);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range)
    fail(line, where + quote(cell) + " is out of the range of a 64-bit integer");
  if (error != std::errc() || end != text.data() + text.size())
    fail(line, where + quote(cell) + " is not an integer");
  return value;
}

template float CsvTokenizer::parse_number<float>(std::string_view, std::size_t,
                                                 std::string_view) const;
template double CsvTokenizer::parse_number<double>(std::string_view, std::size_t,
                                                   std::string_view) const;

CURVOPT_ENUM_NAMES(CsvTargets, {CsvTargets::kNumbers, "numbers"},
                   {CsvTargets::kClassLabels, "labels"}, {CsvTargets::kAuto, "auto"})

std::optional<std::string> CsvOptions::validate() const {
  const unsigned char d = static_cast<unsigned char>(delimiter);
  if (delimiter == '"' || delimiter == '\n' || delimiter == '\r' || delimiter == ' ' ||
      delimiter == '\0' || std::isalnum(d) || delimiter == '.' || delimiter == '+' ||
      delimiter == '-')
    return "CsvOptions::delimiter = " + describe(delimiter) +
           ": must not be a quote, line break, space, NUL, letter, digit, '.', '+' or '-'";
  const auto check = [this](const std::vector<std::string>& columns,
                            const char* field) -> std::optional<std::string> {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const std::string at = std::string("CsvOptions::") + field + "[" + std::to_string(i) +
                             "] = '" + columns[i] + "'";
      if (columns[i].empty()) return at + ": must name a column";
      if (!header) {
        if (!is_column_number(columns[i]))
          return at + ": must be a 0-based column number when header is false";
        if (columns[i].size() > 9) return at + ": column number too large";
      }
      for (std::size_t j = 0; j < i; ++j) {
        const bool same =
            header ? columns[j] == columns[i] : std::stol(columns[j]) == std::stol(columns[i]);
        if (same) return at + ": listed twice (also " + field + "[" + std::to_string(j) + "])";
      }
    }
    return std::nullopt;
  };
  if (auto error = check(feature_columns, "feature_columns")) return error;
  if (auto error = check(target_columns, "target_columns")) return error;
  for (std::size_t i = 0; i < feature_columns.size(); ++i)
    for (const std::string& target : target_columns) {
      const bool same = header ? feature_columns[i] == target
                               : std::stol(feature_columns[i]) == std::stol(target);
      if (same)
        return "CsvOptions::feature_columns[" + std::to_string(i) + "] = '" + feature_columns[i] +
               "': also a target column; a column may not be both";
    }

  const std::string p = "CsvOptions::";
  const bool classes =
      target_cells == CsvTargets::kClassLabels || target_cells == CsvTargets::kAuto;
  if (classes && target_columns.size() != 1)
    return p + "target_cells = " + std::string(to_string(target_cells)) +
           ": needs exactly one target column (the labels), target_columns has " +
           std::to_string(target_columns.size());
  if (num_classes < 0)
    return p + "num_classes = " + std::to_string(num_classes) +
           ": must be >= 0 (0: the classes are found from the labels)";
  if (num_classes > kMaxCsvClasses)
    return p + "num_classes = " + std::to_string(num_classes) +
           ": must be <= " + std::to_string(kMaxCsvClasses);
  if (!class_names.empty() && !classes)
    return p + "class_names = " + name_list(class_names) +
           ": class names need target_cells = labels or auto, not numbers";
  if (num_classes > 0 && !classes)
    return p + "num_classes = " + std::to_string(num_classes) +
           ": a number of classes needs target_cells = labels or auto, not numbers";
  if (!class_names.empty() && num_classes > 0)
    return p + "num_classes = " + std::to_string(num_classes) +
           ": give class_names or num_classes, not both (class_names has " +
           std::to_string(class_names.size()) + " names)";
  if (static_cast<Index>(class_names.size()) > kMaxCsvClasses)
    return p + "class_names = " + name_list(class_names) + ": more than " +
           std::to_string(kMaxCsvClasses) + " names";
  std::unordered_map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < class_names.size(); ++i) {
    const std::string at =
        p + "class_names[" + std::to_string(i) + "] = " + shown_name(class_names[i]);
    if (class_names[i].empty()) return at + ": must not be empty";
    const auto [it, added] = seen.emplace(class_names[i], i);
    if (!added) return at + ": listed twice (also class_names[" + std::to_string(it->second) + "])";
  }
  return std::nullopt;
}

namespace {

// Whether a target cell is a number to kAuto: what parse_number accepts, or a number out of
// Scalar's range (which parse_number then reports, rather than the column becoming labels).
template <class Scalar>
bool is_number(std::string_view cell) {
  const std::string_view text = strip_plus(cell);
  Scalar value{};
  if (parse_decimal(text, value)) return true;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (end != text.data() + text.size()) return false;
  return (error == std::errc() && std::isfinite(value)) || error == std::errc::result_out_of_range;
}

// A label's value when it is a non-negative decimal integer (digits only), saturated at
// INT64_MAX; -1 otherwise.
std::int64_t label_integer(std::string_view label) {
  if (label.empty()) return -1;
  std::int64_t value = 0;
  for (const char c : label) {
    if (c < '0' || c > '9') return -1;
    if (value <= (INT64_MAX - 9) / 10)
      value = value * 10 + (c - '0');
    else
      value = INT64_MAX;
  }
  return value;
}

std::string_view trim_label(std::string_view cell) {
  while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t')) cell.remove_prefix(1);
  while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t')) cell.remove_suffix(1);
  return cell;
}

// Turns a target column of class labels into class indices, as read_csv documents.
class LabelReader {
 public:
  LabelReader(const CsvTokenizer& csv, const CsvOptions& options, std::string_view column)
      : csv_(csv), options_(options), where_("column '" + std::string(column) + "': ") {
    for (std::size_t i = 0; i < options.class_names.size(); ++i)
      known_.emplace(options.class_names[i], static_cast<std::uint32_t>(i));
  }

  // The class of the label in `cell` (on `line`): final when the classes are known, else an id in
  // order of first appearance that finish() maps.
  std::uint32_t add(std::string_view cell, std::size_t line) {
    const std::string_view label = trim_label(cell);
    if (label.empty()) csv_.fail(line, where_ + "empty cell, expected a class label");
    if (!options_.class_names.empty()) {
      const auto it = known_.find(label);
      if (it == known_.end())
        csv_.fail(line, where_ + quote(label) + " is not one of the known classes (" +
                            name_list(options_.class_names) + ")");
      return it->second;
    }
    if (options_.num_classes > 0) {
      const std::int64_t value = label_integer(label);
      const std::string range = "0 to " + std::to_string(options_.num_classes - 1);
      if (value < 0)
        csv_.fail(line, where_ + quote(label) + " is not a class number: with num_classes = " +
                            std::to_string(options_.num_classes) + " the labels are the integers " +
                            range);
      if (value >= options_.num_classes)
        csv_.fail(line, where_ + "class " + quote(label) + " is out of range for num_classes = " +
                            std::to_string(options_.num_classes) + " (classes " + range + ")");
      return static_cast<std::uint32_t>(value);
    }
    if (const auto it = seen_.find(label); it != seen_.end()) return it->second;
    if (static_cast<Index>(names_.size()) >= kMaxCsvClasses)
      csv_.fail(line,
                where_ + "more than " + std::to_string(kMaxCsvClasses) + " different class labels");
    const auto id = static_cast<std::uint32_t>(names_.size());
    names_.emplace_back(label);
    seen_.emplace(names_.back(), id);
    const std::int64_t value = label_integer(label);
    values_.push_back(value);
    if (value < 0) {
      all_integers_ = false;
    } else if (value >= kMaxCsvClasses && too_large_line_ == 0) {
      too_large_line_ = line;
      too_large_ = label;
    }
    return id;
  }

  // Maps the ids add() returned to class indices and fills the dataset's class fields.
  template <class Scalar>
  void finish(const std::vector<std::uint32_t>& ids, Dataset<Scalar>& dataset) const {
    const auto n = static_cast<Index>(ids.size());
    dataset.targets.resize(1, n);
    std::vector<std::uint32_t> index;  // class index of each id, when ids are not final
    if (!options_.class_names.empty()) {
      dataset.num_classes = static_cast<Index>(options_.class_names.size());
      dataset.class_names = options_.class_names;
    } else if (options_.num_classes > 0) {
      dataset.num_classes = options_.num_classes;
    } else if (all_integers_) {
      if (too_large_line_ > 0)
        csv_.fail(too_large_line_, where_ + "class " + quote(too_large_) +
                                       " is too large: integer class labels must be below " +
                                       std::to_string(kMaxCsvClasses));
      const std::int64_t largest = *std::max_element(values_.begin(), values_.end());
      dataset.num_classes = static_cast<Index>(largest) + 1;
      index.assign(values_.begin(), values_.end());
    } else {
      std::vector<std::uint32_t> order(names_.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
      std::sort(order.begin(), order.end(),
                [this](std::uint32_t a, std::uint32_t b) { return names_[a] < names_[b]; });
      index.resize(names_.size());
      dataset.class_names.reserve(names_.size());
      for (std::size_t k = 0; k < order.size(); ++k) {
        index[order[k]] = static_cast<std::uint32_t>(k);
        dataset.class_names.push_back(names_[order[k]]);
      }
      dataset.num_classes = static_cast<Index>(names_.size());
    }
    for (Index i = 0; i < n; ++i) {
      const std::uint32_t id = ids[static_cast<std::size_t>(i)];
      dataset.targets(0, i) = static_cast<Scalar>(index.empty() ? id : index[id]);
    }
  }

 private:
  const CsvTokenizer& csv_;
  const CsvOptions& options_;
  const std::string where_;
  std::unordered_map<std::string_view, std::uint32_t> known_;  // views into options.class_names
  std::deque<std::string> names_;  // distinct labels in order of first appearance
  std::unordered_map<std::string_view, std::uint32_t> seen_;  // views into names_
  std::vector<std::int64_t> values_;                          // label_integer of each name
  bool all_integers_ = true;
  std::size_t too_large_line_ = 0;  // the first integer label >= kMaxCsvClasses
  std::string too_large_;
};

// One pass over the records into `dataset` (all but its name). Targets are read as `targets`
// says; kAuto reads numbers and returns false at the first target cell that is not one.
// `max_records` bounds the number of records (header included) so that the matrices are
// allocated once.
template <class Scalar>
bool read_records(CsvTokenizer& csv, const CsvOptions& options, CsvTargets targets_as,
                  std::size_t max_records, std::size_t text_size, Dataset<Scalar>& dataset) {
  std::vector<std::string_view> cells;
  if (!csv.next(cells)) csv.fail(1, "empty file");
  const std::size_t first_line = csv.line();
  const std::size_t num_columns = cells.size();

  // Labels for messages: header names, or column numbers.
  std::vector<std::string> labels(num_columns);
  for (std::size_t j = 0; j < num_columns; ++j)
    labels[j] = options.header ? std::string(cells[j]) : std::to_string(j);

  const auto resolve = [&](const std::string& column) -> std::size_t {
    if (!options.header) {
      const std::size_t j = std::stoul(column);
      if (j >= num_columns)
        csv.fail(first_line, "column " + column + " is out of range: the line has " +
                                 std::to_string(num_columns) + " cells (columns 0 to " +
                                 std::to_string(num_columns - 1) + ")");
      return j;
    }
    std::vector<std::size_t> found;
    for (std::size_t j = 0; j < num_columns; ++j)
      if (labels[j] == column) found.push_back(j);
    if (found.size() > 1)
      csv.fail(first_line, "column name '" + column + "' appears more than once in the header " +
                               "(cells " + std::to_string(found[0] + 1) + " and " +
                               std::to_string(found[1] + 1) + ")");
    if (found.empty()) {
      std::string known;
      for (std::size_t j = 0; j < num_columns; ++j)
        known += (j > 0 ? ", '" : "'") + labels[j] + "'";
      csv.fail(first_line,
               "no column named '" + column + "' in the header (columns: " + known + ")");
    }
    return found[0];
  };

  std::vector<std::size_t> targets;
  for (const std::string& column : options.target_columns) targets.push_back(resolve(column));
  std::vector<std::size_t> features;
  if (options.feature_columns.empty()) {
    for (std::size_t j = 0; j < num_columns; ++j)
      if (std::find(targets.begin(), targets.end(), j) == targets.end()) features.push_back(j);
  } else {
    for (const std::string& column : options.feature_columns) features.push_back(resolve(column));
  }
  if (features.empty())
    csv.fail(first_line,
             "no feature columns: all " + std::to_string(num_columns) + " columns are targets");

  // Every data record has num_columns cells, so num_columns - 1 delimiters and a line break
  // (the last may lack it): at most text_size / num_columns + 1 of them. Memory that is reserved
  // but never written is not used.
  const std::size_t data_records = max_records - (options.header ? 1 : 0);
  Index capacity = static_cast<Index>(
      std::max<std::size_t>(1, std::min(data_records, text_size / num_columns + 1)));
  const auto num_features = static_cast<Index>(features.size());
  const auto num_targets = static_cast<Index>(targets.size());
  const bool as_labels = targets_as == CsvTargets::kClassLabels;
  const bool as_auto = targets_as == CsvTargets::kAuto;
  Matrix<Scalar> inputs(num_features, capacity);
  Matrix<Scalar> numbers(as_labels ? 0 : num_targets, capacity);
  std::vector<std::uint32_t> classes;
  std::optional<LabelReader> label_reader;
  if (as_labels) label_reader.emplace(csv, options, labels[targets[0]]);

  Index n = 0;
  const auto add_row = [&]() -> bool {
    if (cells.size() != num_columns)
      csv.fail(csv.line(), std::to_string(cells.size()) + " cells, expected " +
                               std::to_string(num_columns) + " as " +
                               (options.header ? "in the header on line " : "on line ") +
                               std::to_string(first_line));
    if (n == capacity) {  // not expected: the capacity is a bound
      capacity *= 2;
      inputs.conservativeResize(Eigen::NoChange, capacity);
      numbers.conservativeResize(Eigen::NoChange, capacity);
    }
    const std::size_t line = csv.line();
    Scalar* in = inputs.data() + n * num_features;
    for (Index k = 0; k < num_features; ++k) {
      const std::size_t j = features[static_cast<std::size_t>(k)];
      in[k] = csv.parse_number<Scalar>(cells[j], line, labels[j]);
    }
    if (as_labels) {
      classes.push_back(label_reader->add(cells[targets[0]], line));
    } else {
      if (as_auto && !is_number<Scalar>(cells[targets[0]])) return false;
      Scalar* out = numbers.data() + n * num_targets;
      for (Index k = 0; k < num_targets; ++k) {
        const std::size_t j = targets[static_cast<std::size_t>(k)];
        out[k] = csv.parse_number<Scalar>(cells[j], line, labels[j]);
      }
    }
    ++n;
    return true;
  };
  if (!options.header && !add_row()) return false;
  while (csv.next(cells))
    if (!add_row()) return false;
  if (n == 0) csv.fail(first_line, "no data lines after the header");

  // Values were written example by example: each example's features are one column.
  if (n < capacity) inputs.conservativeResize(Eigen::NoChange, n);
  dataset.inputs = std::move(inputs);
  if (as_labels) {
    label_reader->finish(classes, dataset);
  } else {
    if (n < capacity) numbers.conservativeResize(Eigen::NoChange, n);
    dataset.targets = std::move(numbers);
    dataset.num_classes = 0;
  }
  return true;
}

}  // namespace

template <class Scalar>
Dataset<Scalar> read_csv(const std::filesystem::path& path, const CsvOptions& options) {
  if (auto error = options.validate()) throw ConfigError(*error);
  std::string text = read_text(path);
  // Every record but the last ends with a line break.
  const std::size_t max_records =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) +
      (!text.empty() && text.back() != '\n' ? 1 : 0);
  const std::size_t text_size = text.size();
  CsvTokenizer csv(std::move(text), path.string(), options.delimiter);
  CsvTargets targets = options.target_cells;
  // Known classes (from a training file) mean the labels are classes, even "0" and "1".
  if (targets == CsvTargets::kAuto && (!options.class_names.empty() || options.num_classes > 0))
    targets = CsvTargets::kClassLabels;
  Dataset<Scalar> dataset;
  if (!read_records(csv, options, targets, max_records, text_size, dataset)) {
    csv.rewind();  // kAuto met a label: read again as labels
    read_records(csv, options, CsvTargets::kClassLabels, max_records, text_size, dataset);
  }
  dataset.name = path.stem().string();
  return dataset;
}

template Dataset<float> read_csv<float>(const std::filesystem::path&, const CsvOptions&);
template Dataset<double> read_csv<double>(const std::filesystem::path&, const CsvOptions&);

}  // namespace curvopt
