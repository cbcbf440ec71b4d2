#pragma once
/// A small CSV tokenizer and a reader of numeric CSV tables into datasets.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/data/dataset.h"

namespace curvopt {

/// Splits CSV text into records of cells, tracking 1-based line numbers for messages.
///
/// Rules: cells are separated by the delimiter; surrounding spaces and tabs are trimmed (a tab
/// delimiter is never trimmed); lines end with LF or CRLF, and a final line may lack one; blank
/// lines are skipped; a UTF-8 byte-order mark at the start is ignored. Quoting follows RFC 4180:
/// a cell may be enclosed in double quotes, inside which delimiters and line breaks are literal
/// and `""` stands for one quote. A quote inside an unquoted cell, text after a closing quote and
/// an unterminated quote are errors. Errors throw ValueError as "<source>: line <n>: <why>".
class CsvTokenizer {
 public:
  /// Reads the whole file; throws ValueError naming the file when it cannot be opened or read.
  explicit CsvTokenizer(const std::filesystem::path& path, char delimiter = ',');
  /// Tokenizes `text`; `source` names it in messages (usually the file name).
  CsvTokenizer(std::string text, std::string source, char delimiter = ',');

  /// Reads the next non-blank record into `cells` (replacing its contents); false at the end.
  bool next(std::vector<std::string>& cells);
  /// The 1-based line on which the record last returned by next() starts.
  std::size_t line() const { return record_line_; }
  /// The name used in messages.
  const std::string& source() const { return source_; }

  /// Throws ValueError "<source>: line <line>: <why>".
  [[noreturn]] void fail(std::size_t line, const std::string& why) const;
  /// Parses a trimmed cell as a finite number of type Scalar, rounded once from the decimal text
  /// (a leading '+' is allowed). Throws ValueError naming the source, line and column, quoting
  /// the cell, when it is empty, not a number, NaN or infinite, or out of Scalar's range.
  template <class Scalar>
  Scalar parse_number(std::string_view cell, std::size_t line, std::string_view column) const;
  /// Parses a trimmed cell as a decimal integer; errors as for parse_number.
  std::int64_t parse_integer(std::string_view cell, std::size_t line,
                             std::string_view column) const;

 private:
  std::string text_;
  std::string source_;
  char delimiter_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;         // line of the character at pos_
  std::size_t record_line_ = 0;  // line of the last record returned
};

extern template float CsvTokenizer::parse_number<float>(std::string_view, std::size_t,
                                                        std::string_view) const;
extern template double CsvTokenizer::parse_number<double>(std::string_view, std::size_t,
                                                          std::string_view) const;

/// Which columns of a CSV file become features and targets.
struct CsvOptions {
  /// Whether the first non-blank line names the columns. Default true.
  bool header = true;
  /// Cell separator; not a quote, line break, space, letter, digit, '.', '+' or '-'. Default ','.
  char delimiter = ',';
  /// Feature columns in the order they become input rows: header names, or 0-based column
  /// numbers written in decimal ("0", "3") when `header` is false. Empty (the default) means
  /// every column not listed in `target_columns`, in file order.
  std::vector<std::string> feature_columns;
  /// Target columns in the order they become target rows, named as for `feature_columns`.
  /// Empty (the default) gives a 0 × N target matrix.
  std::vector<std::string> target_columns;

  /// The first invalid field as "CsvOptions::field = value: why", or nothing when valid:
  /// a bad delimiter, an empty or duplicated column, a column both feature and target, or a
  /// column that is not a decimal number when `header` is false.
  std::optional<std::string> validate() const;
};

/// Reads a numeric CSV table: one example per data line, the selected feature columns become
/// `inputs` (features × N) and the target columns `targets` (targets × N); `num_classes` is 0 and
/// `name` is the file's stem. Only the selected cells are parsed (each must be a finite number);
/// other columns may hold any text, but every data line must have as many cells as the first.
///
/// Throws ConfigError when the options are invalid, and ValueError naming the file and the
/// 1-based line (and the column, by header name or number) for: a missing or unreadable file,
/// an empty file or one without data lines, an unknown column name or out-of-range column
/// number, a line with the wrong number of cells, a non-numeric cell (quoted in the message),
/// a NaN or infinite value, and malformed quoting.
/// @tparam Scalar float or double
template <class Scalar>
Dataset<Scalar> read_csv(const std::filesystem::path& path, const CsvOptions& options = {});

extern template Dataset<float> read_csv<float>(const std::filesystem::path&, const CsvOptions&);
extern template Dataset<double> read_csv<double>(const std::filesystem::path&, const CsvOptions&);

}  // namespace curvopt
