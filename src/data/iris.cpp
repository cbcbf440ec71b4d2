#include "curvopt/data/iris.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "curvopt/data/csv.h"

namespace curvopt {

template <class Scalar>
Dataset<Scalar> read_iris(const std::filesystem::path& path) {
  CsvTokenizer csv(path);
  std::vector<std::string> cells;
  if (!csv.next(cells)) csv.fail(1, "empty file");
  const std::size_t header_line = csv.line();
  if (cells.size() < 3)
    csv.fail(header_line, "expected the header 'num_samples,num_features,class names...' (as in " +
                              std::string("'150,4,setosa,versicolor,virginica'), found ") +
                              std::to_string(cells.size()) + " cells");
  const std::int64_t num_samples = csv.parse_integer(cells[0], header_line, "num_samples");
  const std::int64_t num_features = csv.parse_integer(cells[1], header_line, "num_features");
  if (num_samples <= 0)
    csv.fail(header_line, "column 'num_samples': must be positive, found " + cells[0]);
  if (num_features <= 0)
    csv.fail(header_line, "column 'num_features': must be positive, found " + cells[1]);
  if (num_features > (1 << 20))
    csv.fail(header_line, "column 'num_features': " + cells[1] + " is implausibly large");
  const std::vector<std::string> classes(cells.begin() + 2, cells.end());
  const auto num_classes = static_cast<std::int64_t>(classes.size());
  std::string class_list;
  for (const std::string& c : classes) class_list += (class_list.empty() ? "" : ", ") + c;

  const auto width = static_cast<std::size_t>(num_features);
  std::vector<std::string> feature_labels(width);
  for (std::size_t k = 0; k < width; ++k) feature_labels[k] = "feature " + std::to_string(k);

  std::vector<Scalar> features;
  std::vector<Scalar> labels;
  // The header's count is checked below; don't let a wrong one allocate without bound.
  const auto expected = static_cast<std::size_t>(std::min<std::int64_t>(num_samples, 1 << 20));
  features.reserve(std::min<std::size_t>(expected * width, std::size_t{1} << 22));
  labels.reserve(expected);
  std::int64_t num_rows = 0;
  while (csv.next(cells)) {
    const std::size_t line = csv.line();
    if (num_rows == num_samples)
      csv.fail(line, "more data lines than the " + std::to_string(num_samples) +
                         " samples the header on line " + std::to_string(header_line) +
                         " announces");
    if (cells.size() != width + 1)
      csv.fail(line, std::to_string(cells.size()) + " cells, expected " +
                         std::to_string(width + 1) + " (" + std::to_string(width) +
                         " features and a label, as the header on line " +
                         std::to_string(header_line) + " says)");
    for (std::size_t k = 0; k < width; ++k)
      features.push_back(csv.parse_number<Scalar>(cells[k], line, feature_labels[k]));
    const std::int64_t label = csv.parse_integer(cells[width], line, "label");
    if (label < 0 || label >= num_classes)
      csv.fail(line, "column 'label': class " + cells[width] +
                         " is out of range: the header lists " + std::to_string(num_classes) +
                         " classes (" + class_list + ")");
    labels.push_back(static_cast<Scalar>(label));
    ++num_rows;
  }
  if (num_rows != num_samples)
    csv.fail(header_line, "the header announces " + std::to_string(num_samples) +
                              " samples but the file has " + std::to_string(num_rows) +
                              " data lines");

  Dataset<Scalar> dataset;
  dataset.name = path.stem().string();
  dataset.num_classes = static_cast<Index>(num_classes);
  dataset.inputs = ConstMatrixMap<Scalar>(features.data(), static_cast<Index>(width),
                                          static_cast<Index>(num_rows));
  dataset.targets = ConstMatrixMap<Scalar>(labels.data(), 1, static_cast<Index>(num_rows));
  return dataset;
}

template Dataset<float> read_iris<float>(const std::filesystem::path&);
template Dataset<double> read_iris<double>(const std::filesystem::path&);

}  // namespace curvopt
