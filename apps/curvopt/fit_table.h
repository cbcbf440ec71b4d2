#pragma once
// The numeric columns of a CSV file with a header, and the small "name=value,..." lists of
// `curvopt fit`, read strictly: every error names the file and line or the word.

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace curvopt::cli {

/// A CSV table's header and the columns asked for, parsed as finite doubles.
struct FitTable {
  std::string source;
  std::vector<std::string> names;            ///< the header
  std::vector<std::vector<double>> columns;  ///< by header index; empty when not asked for
  std::vector<std::size_t> lines;            ///< the file line of each data row
  std::size_t rows() const { return lines.size(); }
  /// The index of column `name`, or throws ValueError "<file>: no column 'name' (columns: ...)"
  /// naming `role` ("--target").
  std::size_t index(const std::string& name, const std::string& role) const;
  bool has(const std::string& name) const;
};

/// Reads `path`: the header, then every row (all with the header's number of cells), parsing
/// the columns named in `wanted` (others may hold text). Throws ValueError
/// "<file>: line N: ..." for ragged rows, empty cells, non-numbers, NaN or ±Inf, and for a file
/// without data rows.
FitTable read_fit_table(const std::filesystem::path& path, const std::vector<std::string>& wanted);

/// "a=1,b=0.1" → {("a", 1), ("b", 0.1)}; `flag` names the option in errors.
std::vector<std::pair<std::string, double>> parse_assignments(const std::string& text,
                                                              const std::string& flag);

/// "b=0:inf,c=-1:1" → {("b", 0, ∞), ...}; "-inf" and "inf" allowed.
struct FitBound {
  std::string name;
  double lower, upper;
};
std::vector<FitBound> parse_bounds(const std::string& text);

}  // namespace curvopt::cli
