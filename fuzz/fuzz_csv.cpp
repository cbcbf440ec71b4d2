// Fuzz target: the CSV tokenizer, number parsing (whose fast path must agree with
// std::from_chars bit for bit) and read_csv: features and targets by header, a column of class
// labels, and the same bytes as a header-less table read with kAuto. Gzip input takes the same
// path once the bytes start with its magic (scripts/fuzz seeds a gzipped file).

#include <charconv>
#include <cstring>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/data/csv.h"
#include "fuzz_input.h"

namespace {

// parse_number's value must be from_chars' for the same text (a leading '+' aside).
template <class Scalar>
void check_against_from_chars(const curvopt::CsvTokenizer& csv, std::string_view cell) {
  Scalar ours{};
  try {
    ours = csv.parse_number<Scalar>(cell, csv.line(), "c");
  } catch (const curvopt::Error&) {
    return;
  }
  std::string_view text = cell;
  if (text.size() > 1 && text[0] == '+') text.remove_prefix(1);
  Scalar reference{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), reference);
  if (error != std::errc() || end != text.data() + text.size() ||
      std::memcmp(&ours, &reference, sizeof ours) != 0)
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    curvopt::CsvTokenizer csv(text, "fuzz.csv");
    std::vector<std::string> cells;
    while (csv.next(cells))
      for (const std::string& cell : cells) {
        check_against_from_chars<double>(csv, cell);
        check_against_from_chars<float>(csv, cell);
      }
  } catch (const curvopt::Error&) {
  }
  const auto& file = curvopt::fuzz::write_input(data, size, "data.csv");
  try {
    curvopt::read_csv<float>(file);
  } catch (const curvopt::Error&) {
  }
  try {
    curvopt::CsvOptions labels;
    labels.header = false;
    labels.target_columns = {"0"};
    labels.target_cells = curvopt::CsvTargets::kAuto;
    curvopt::read_csv<double>(file, labels);
    labels.target_cells = curvopt::CsvTargets::kClassLabels;
    labels.class_names = {"a", "b", "1"};
    curvopt::read_csv<float>(file, labels);
  } catch (const curvopt::Error&) {
  }
  return 0;
}
