#pragma once
/// A small CSV tokenizer and a reader of CSV tables (numbers, and class labels as targets) into
/// datasets. Files may be gzip-compressed.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
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
  /// Reads the whole file, decompressing it when it is gzip data (recognised by its first two
  /// bytes, 0x1f 0x8b, not by its name; concatenated gzip members are read one after another).
  /// Throws ValueError "<file>: line 1: <why>" when the file cannot be opened or read, or when
  /// its gzip data is corrupt or truncated.
  explicit CsvTokenizer(const std::filesystem::path& path, char delimiter = ',');
  /// Tokenizes `text`; `source` names it in messages (usually the file name).
  CsvTokenizer(std::string text, std::string source, char delimiter = ',');

  /// Reads the next non-blank record into `cells` (replacing its contents); false at the end.
  bool next(std::vector<std::string>& cells);
  /// As next(cells), without copying: the views point into the tokenizer's text (or, for a quoted
  /// cell holding `""`, into its own buffer) and are valid until the next call to next() or
  /// rewind().
  bool next(std::vector<std::string_view>& cells);
  /// Starts again from the first record.
  void rewind();
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
  std::size_t start_ = 0;  // after a byte-order mark
  std::size_t pos_ = 0;
  std::size_t line_ = 1;                  // line of the character at pos_
  std::size_t record_line_ = 0;           // line of the last record returned
  std::array<std::uint8_t, 256> kind_{};  // per byte: ends an unquoted cell, or is blank
  std::deque<std::string> unescaped_;     // quoted cells of the current record that held `""`
  std::vector<std::string_view> views_;   // for next(std::vector<std::string>&)
};

extern template float CsvTokenizer::parse_number<float>(std::string_view, std::size_t,
                                                        std::string_view) const;
extern template double CsvTokenizer::parse_number<double>(std::string_view, std::size_t,
                                                          std::string_view) const;

/// How read_csv reads the target cells.
enum class CsvTargets {
  kNumbers,      ///< each target cell is a finite number
  kClassLabels,  ///< one target column of class labels, read as class indices
  kAuto,         ///< kNumbers when every target cell is a finite number, else kClassLabels
};

/// "numbers", "labels", "auto".
std::string_view to_string(CsvTargets targets);
bool parse_enum(std::string_view text, CsvTargets& out);
std::string enum_choices(CsvTargets);

/// Which columns of a CSV file become features and targets, and how targets are read.
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
  /// How target cells are read. kNumbers (the default): finite numbers, as the features.
  /// kClassLabels: exactly one target column, each cell a class label (any non-empty text, spaces
  /// and tabs around it trimmed) that becomes its class index; see read_csv. kAuto: exactly one
  /// target column, read as kNumbers when every target cell is a finite number (one out of
  /// Scalar's range counts as a number, and is then reported) and as kClassLabels otherwise;
  /// given `class_names` or `num_classes` (known classes) it always reads class labels.
  CsvTargets target_cells = CsvTargets::kNumbers;
  /// The known classes in index order (a training file's Dataset::class_names): each label must be
  /// one of them and its index is its position. Empty (the default): the file's labels decide.
  std::vector<std::string> class_names;
  /// The known number of classes for integer labels (a training file's Dataset::num_classes):
  /// labels must be integers 0 to num_classes - 1. 0 (the default): the file's labels decide.
  Index num_classes = 0;

  /// The first invalid field as "CsvOptions::field = value: why", or nothing when valid:
  /// a bad delimiter, an empty or duplicated column, a column both feature and target, a column
  /// that is not a decimal number when `header` is false; class labels without exactly one target
  /// column; class_names or num_classes with target_cells = numbers, both given, an empty or
  /// duplicated class name, num_classes < 0 or above kMaxCsvClasses.
  std::optional<std::string> validate() const;
};

/// The most classes read_csv reads: class indices are stored in float exactly up to 2^24.
inline constexpr Index kMaxCsvClasses = Index{1} << 24;

/// Reads a CSV table: one example per data line, the selected feature columns become `inputs`
/// (features × N) and the target columns `targets` (targets × N); `name` is the file's stem. Only
/// the selected cells are parsed (each feature must be a finite number); other columns may hold
/// any text, but every data line must have as many cells as the first. The file may be
/// gzip-compressed (see CsvTokenizer).
///
/// Targets read as numbers leave `num_classes` 0. Read as class labels, `targets` is a 1 × N row
/// of class indices and `num_classes` > 0 (which tells the caller that classes were read):
/// - with `options.class_names`: a label's index is its position in that list, and
///   `class_names` is that list;
/// - else, when every label is a non-negative decimal integer ("0", "7"; not "1.5", "-1", "+2"):
///   the integer is the index, `num_classes` is `options.num_classes` when given (a label must be
///   below it) or else the largest label + 1, and `class_names` stays empty;
/// - else the classes are the distinct labels sorted by byte value (std::string's operator<),
///   `class_names` lists them and `num_classes` is their count.
///
/// Throws ConfigError when the options are invalid, and ValueError naming the file and the
/// 1-based line (and the column, by header name or number) for: a missing or unreadable file,
/// an empty file or one without data lines, an unknown column name or out-of-range column
/// number, a line with the wrong number of cells, a non-numeric cell (quoted in the message),
/// a NaN or infinite value, and malformed quoting; for class labels, an empty label, a label not
/// in `class_names`, a label that is not an integer below `num_classes` when that is given, and
/// more than kMaxCsvClasses classes.
/// @tparam Scalar float or double
template <class Scalar>
Dataset<Scalar> read_csv(const std::filesystem::path& path, const CsvOptions& options = {});

extern template Dataset<float> read_csv<float>(const std::filesystem::path&, const CsvOptions&);
extern template Dataset<double> read_csv<double>(const std::filesystem::path&, const CsvOptions&);

}  // namespace curvopt
