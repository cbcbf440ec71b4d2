#include "curvopt/data/csv.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>
#include <utility>

#include "curvopt/core/errors.h"

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
  std::string text;
  std::array<char, 1 << 16> chunk;
  for (;;) {
    errno = 0;
    const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), file.get());
    text.append(chunk.data(), got);
    if (got < chunk.size()) {
      if (std::ferror(file.get()))
        throw ValueError(path.string() + ": line 1: cannot read the file: " + std::strerror(errno));
      break;
    }
  }
  return text;
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

template <class Scalar>
const char* type_name() {
  return sizeof(Scalar) == sizeof(float) ? "float" : "double";
}

bool is_column_number(const std::string& column) {
  return !column.empty() &&
         std::all_of(column.begin(), column.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

CsvTokenizer::CsvTokenizer(const std::filesystem::path& path, char delimiter)
    : CsvTokenizer(read_text(path), path.string(), delimiter) {}

CsvTokenizer::CsvTokenizer(std::string text, std::string source, char delimiter)
    : text_(std::move(text)), source_(std::move(source)), delimiter_(delimiter) {
  if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // UTF-8 byte-order mark
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
  const std::size_t size = text_.size();
  const auto blank = [this](char c) {
    return c != delimiter_ && (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f');
  };
  for (;;) {
    if (pos_ >= size) return false;
    record_line_ = line_;
    std::size_t count = 0;
    bool any_quoted = false;
    for (;;) {  // one cell per iteration
      std::string& cell = count < cells.size() ? cells[count] : cells.emplace_back();
      ++count;
      cell.clear();
      while (pos_ < size && blank(text_[pos_])) ++pos_;
      if (pos_ < size && text_[pos_] == '"') {
        any_quoted = true;
        const std::size_t open_line = line_;
        ++pos_;
        for (;;) {
          if (pos_ >= size)
            fail(open_line, "cell " + std::to_string(count) +
                                " has an opening quote but no closing quote before the end of "
                                "the file");
          const char c = text_[pos_];
          if (c == '"') {
            if (pos_ + 1 < size && text_[pos_ + 1] == '"') {
              cell += '"';
              pos_ += 2;
              continue;
            }
            ++pos_;
            break;
          }
          if (c == '\n') ++line_;
          cell += c;
          ++pos_;
        }
        while (pos_ < size && blank(text_[pos_])) ++pos_;
        if (pos_ < size && text_[pos_] != delimiter_ && text_[pos_] != '\n')
          fail(line_, "unexpected " + describe(text_[pos_]) + " after the closing quote of cell " +
                          std::to_string(count));
      } else {
        const std::size_t start = pos_;
        while (pos_ < size && text_[pos_] != delimiter_ && text_[pos_] != '\n') {
          if (text_[pos_] == '"')
            fail(line_, "quote character inside unquoted cell " + std::to_string(count) +
                            " (quote the whole cell and write an inner quote as \"\")");
          ++pos_;
        }
        std::size_t end = pos_;
        while (end > start && blank(text_[end - 1])) --end;
        cell.assign(text_, start, end - start);
      }
      if (pos_ < size && text_[pos_] == delimiter_) {
        ++pos_;
        continue;
      }
      if (pos_ < size) {  // the line break
        ++pos_;
        ++line_;
      }
      break;
    }
    cells.resize(count);
    if (count == 1 && !any_quoted && cells[0].empty()) continue;  // a blank line
    return true;
  }
}

template <class Scalar>
Scalar CsvTokenizer::parse_number(std::string_view cell, std::size_t line,
                                  std::string_view column) const {
  const std::string where = "column '" + std::string(column) + "': ";
  if (cell.empty()) fail(line, where + "empty cell, expected a number");
  const std::string_view text = strip_plus(cell);
  Scalar value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
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
  return std::nullopt;
}

template <class Scalar>
Dataset<Scalar> read_csv(const std::filesystem::path& path, const CsvOptions& options) {
  if (auto error = options.validate()) throw ConfigError(*error);
  CsvTokenizer csv(path, options.delimiter);
  std::vector<std::string> cells;
  if (!csv.next(cells)) csv.fail(1, "empty file");
  const std::size_t first_line = csv.line();
  const std::size_t num_columns = cells.size();

  // Labels for messages: header names, or column numbers.
  std::vector<std::string> labels(num_columns);
  for (std::size_t j = 0; j < num_columns; ++j)
    labels[j] = options.header ? cells[j] : std::to_string(j);

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

  std::vector<Scalar> inputs;
  std::vector<Scalar> outputs;
  std::size_t num_examples = 0;
  const auto add_row = [&] {
    if (cells.size() != num_columns)
      csv.fail(csv.line(), std::to_string(cells.size()) + " cells, expected " +
                               std::to_string(num_columns) + " as " +
                               (options.header ? "in the header on line " : "on line ") +
                               std::to_string(first_line));
    for (const std::size_t j : features)
      inputs.push_back(csv.parse_number<Scalar>(cells[j], csv.line(), labels[j]));
    for (const std::size_t j : targets)
      outputs.push_back(csv.parse_number<Scalar>(cells[j], csv.line(), labels[j]));
    ++num_examples;
  };
  if (!options.header) add_row();
  while (csv.next(cells)) add_row();
  if (num_examples == 0) csv.fail(first_line, "no data lines after the header");

  Dataset<Scalar> dataset;
  dataset.name = path.stem().string();
  const auto n = static_cast<Index>(num_examples);
  // Values were appended example by example: each example's features are one column.
  dataset.inputs = ConstMatrixMap<Scalar>(inputs.data(), static_cast<Index>(features.size()), n);
  dataset.targets = ConstMatrixMap<Scalar>(outputs.data(), static_cast<Index>(targets.size()), n);
  return dataset;
}

template Dataset<float> read_csv<float>(const std::filesystem::path&, const CsvOptions&);
template Dataset<double> read_csv<double>(const std::filesystem::path&, const CsvOptions&);

}  // namespace curvopt
