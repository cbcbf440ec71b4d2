// Fuzz target: the CSV tokenizer, number parsing and read_csv (features and targets by header).

#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/data/csv.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    curvopt::CsvTokenizer csv(text, "fuzz.csv");
    std::vector<std::string> cells;
    while (csv.next(cells))
      for (const std::string& cell : cells) {
        try {
          csv.parse_number<double>(cell, csv.line(), "c");
        } catch (const curvopt::Error&) {
        }
      }
  } catch (const curvopt::Error&) {
  }
  const auto& file = curvopt::fuzz::write_input(data, size, "data.csv");
  try {
    curvopt::read_csv<float>(file);
  } catch (const curvopt::Error&) {
  }
  return 0;
}
