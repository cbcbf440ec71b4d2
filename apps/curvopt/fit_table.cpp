#include "fit_table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "curvopt/core/errors.h"
#include "curvopt/core/number_text.h"
#include "curvopt/data/csv.h"

namespace curvopt::cli {
namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(trim(part));
  return parts;
}

double parse_value(const std::string& text, const std::string& where, bool allow_infinite) {
  std::string t = text;
  if (allow_infinite && (t == "inf" || t == "+inf")) return std::numeric_limits<double>::infinity();
  if (allow_infinite && t == "-inf") return -std::numeric_limits<double>::infinity();
  double value = 0;
  if (const auto error = parse_number_text(t, value))
    throw ValueError(where + ": '" + text + "': " + *error);
  return value;
}

}  // namespace

std::size_t FitTable::index(const std::string& name, const std::string& role) const {
  const auto it = std::find(names.begin(), names.end(), name);
  if (it != names.end()) return static_cast<std::size_t>(it - names.begin());
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  throw ValueError(source + ": no column '" + name + "' for " + role + " (columns: " + known + ")");
}

bool FitTable::has(const std::string& name) const {
  return std::find(names.begin(), names.end(), name) != names.end();
}

FitTable read_fit_table(const std::filesystem::path& path, const std::vector<std::string>& wanted) {
  CsvTokenizer csv(path);
  FitTable table;
  table.source = path.string();
  std::vector<std::string> cells;
  if (!csv.next(cells)) throw ValueError(table.source + ": the file is empty (expected a header)");
  table.names = cells;
  for (std::size_t i = 0; i < table.names.size(); ++i) {
    if (table.names[i].empty())
      csv.fail(csv.line(), "empty name in the header, column " + std::to_string(i + 1));
    if (std::count(table.names.begin(), table.names.end(), table.names[i]) > 1)
      csv.fail(csv.line(), "column '" + table.names[i] + "' appears twice in the header");
  }
  table.columns.resize(table.names.size());
  std::vector<bool> parse(table.names.size(), false);
  for (const std::string& w : wanted)
    for (std::size_t i = 0; i < table.names.size(); ++i)
      if (table.names[i] == w) parse[i] = true;
  while (csv.next(cells)) {
    if (cells.size() != table.names.size())
      csv.fail(csv.line(), std::to_string(cells.size()) + " cells, the header has " +
                               std::to_string(table.names.size()));
    for (std::size_t i = 0; i < cells.size(); ++i)
      if (parse[i])
        table.columns[i].push_back(csv.parse_number<double>(cells[i], csv.line(), table.names[i]));
    table.lines.push_back(csv.line());
  }
  if (table.rows() == 0) throw ValueError(table.source + ": a header but no data rows");
  return table;
}

std::vector<std::pair<std::string, double>> parse_assignments(const std::string& text,
                                                              const std::string& flag) {
  std::vector<std::pair<std::string, double>> out;
  if (trim(text).empty()) return out;
  for (const std::string& part : split(text, ',')) {
    const auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ValueError(flag + ": '" + part + "': expected name=value");
    const std::string name = trim(part.substr(0, eq));
    out.emplace_back(name, parse_value(trim(part.substr(eq + 1)), flag + " " + name, false));
  }
  return out;
}

std::vector<FitBound> parse_bounds(const std::string& text) {
  std::vector<FitBound> out;
  if (trim(text).empty()) return out;
  for (const std::string& part : split(text, ',')) {
    const auto eq = part.find('=');
    const auto colon = part.find(':', eq == std::string::npos ? 0 : eq);
    if (eq == std::string::npos || eq == 0 || colon == std::string::npos)
      throw ValueError("--bounds: '" + part + "': expected name=lower:upper (inf allowed)");
    FitBound b{trim(part.substr(0, eq)), 0, 0};
    const std::string where = "--bounds " + b.name;
    b.lower = parse_value(trim(part.substr(eq + 1, colon - eq - 1)), where, true);
    b.upper = parse_value(trim(part.substr(colon + 1)), where, true);
    if (!(b.lower <= b.upper))
      throw ValueError(where + ": lower bound " + trim(part.substr(eq + 1, colon - eq - 1)) +
                       " is above the upper bound " + trim(part.substr(colon + 1)));
    out.push_back(b);
  }
  return out;
}

}  // namespace curvopt::cli
