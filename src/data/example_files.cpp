// A user's examples from CSV, .npy or idx files: the format by magic bytes, the target's kind
// decided on the training file (DataSchema), later files read to match it.

#include "curvopt/data/example_files.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "curvopt/core/errors.h"
#include "curvopt/data/csv.h"
#include "curvopt/data/idx.h"
#include "curvopt/data/npy.h"

namespace curvopt {
namespace {

namespace fs = std::filesystem;

// The first bytes of a file, decompressed when it is gzip (zlib's gzread passes plain files
// through). Up to `limit` bytes; with `line`, stops once a non-blank line has ended.
std::string read_prefix(const fs::path& file, std::size_t limit, bool line) {
  gzFile in = gzopen(file.c_str(), "rb");
  if (!in) throw ValueError(file.string() + ": cannot open the file: " + std::strerror(errno));
  std::string text;
  char chunk[1 << 14];
  while (text.size() < limit) {
    const int got = gzread(in, chunk, sizeof chunk);
    if (got < 0) {
      int code = 0;
      const std::string why = gzerror(in, &code);
      gzclose(in);
      throw ValueError(file.string() + ": cannot read the file: " + why);
    }
    if (got == 0) break;
    text.append(chunk, static_cast<std::size_t>(got));
    if (line) {  // enough once a non-blank line has ended
      const std::size_t start = text.find_first_not_of("\r\n \t\xEF\xBB\xBF");
      if (start != std::string::npos && text.find('\n', start) != std::string::npos) break;
    }
  }
  gzclose(in);
  return text;
}

bool is_gzip_file(const fs::path& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) throw ValueError(file.string() + ": cannot open the file: " + std::strerror(errno));
  unsigned char magic[2] = {0, 0};
  const std::size_t got = std::fread(magic, 1, 2, f);
  std::fclose(f);
  return got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

// The cells of a CSV file's first record (the header, or the first data line).
std::vector<std::string> first_record(const fs::path& file, char delimiter) {
  std::string text = read_prefix(file, std::size_t{1} << 26, true);
  const std::size_t start = text.find_first_not_of("\r\n \t\xEF\xBB\xBF");
  if (start != std::string::npos) {
    const std::size_t end = text.find('\n', start);
    if (end != std::string::npos) text.resize(end + 1);
  }
  CsvTokenizer csv(std::move(text), file.string(), delimiter);
  std::vector<std::string> cells;
  if (!csv.next(cells)) csv.fail(1, "empty file");
  return cells;
}

// Every column that is neither a target nor excluded, by name (header) or number.
std::vector<std::string> default_features(const ExampleFiles& files) {
  const std::vector<std::string> cells = first_record(files.features, files.delimiter);
  std::vector<std::string> features;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    const std::string column = files.header ? cells[c] : std::to_string(c);
    const bool is_target = std::find(files.target_columns.begin(), files.target_columns.end(),
                                     column) != files.target_columns.end();
    if (!is_target) features.push_back(column);
  }
  if (features.empty())
    throw ValueError(files.features.string() + ": line 1: no feature columns are left after the " +
                     "target column" + (files.target_columns.size() > 1 ? "s" : ""));
  return features;
}

template <class Scalar>
bool only_zero_and_one(const Matrix<Scalar>& targets) {
  return targets.rows() == 1 &&
         (targets.array() == Scalar(0) || targets.array() == Scalar(1)).all();
}

// Classes from numeric targets (npy, or a forced kind): non-negative integers; returns max + 1.
template <class Scalar>
Index integer_classes(const Matrix<Scalar>& targets, const fs::path& file, Index known) {
  if (targets.rows() != 1)
    throw ValueError(file.string() + ": class targets need one value per example, the array " +
                     "has " + std::to_string(targets.rows()));
  Index classes = 0;
  for (Index i = 0; i < targets.cols(); ++i) {
    const Scalar v = targets(0, i);
    if (!(v >= 0) || std::floor(v) != v || (known > 0 && v >= static_cast<Scalar>(known)))
      throw ValueError(
          file.string() + ": element [" + std::to_string(i) +
          "]: " + std::to_string(static_cast<double>(v)) + " is not a class index" +
          (known > 0 ? " in [0, " + std::to_string(known) + ")" : " (an integer >= 0)"));
    classes = std::max(classes, static_cast<Index>(v) + 1);
  }
  return known > 0 ? known : classes;
}

Shape shape_of(const std::vector<Index>& shape, const fs::path& file) {
  if (shape.size() == 1) return Shape::flat(1);
  if (shape.size() == 2) return Shape::flat(shape[1]);
  if (shape.size() == 3) return Shape::image(1, shape[1], shape[2]);
  if (shape.size() == 4) return Shape::image(shape[1], shape[2], shape[3]);
  throw ValueError(file.string() + ": an array of " + std::to_string(shape.size()) +
                   " dimensions; examples need (N,), (N, features), (N, H, W) or (N, C, H, W)");
}

template <class Scalar>
Dataset<Scalar> read_npy_examples(const ExampleFiles& files, bool with_targets,
                                  NpyHeader* target_header) {
  Dataset<Scalar> data;
  data.name = files.features.stem().string();
  NpyHeader header;
  data.inputs = read_npy<Scalar>(files.features, &header);
  data.example_shape = shape_of(header.shape, files.features);
  if (!with_targets) {
    data.targets.resize(0, data.inputs.cols());
    return data;
  }
  if (files.targets.empty())
    throw ConfigError(files.features.string() +
                      ": a .npy features file needs its targets in a second file (--target-file)");
  data.targets = read_npy<Scalar>(files.targets, target_header);
  if (data.targets.cols() != data.inputs.cols())
    throw ValueError(files.targets.string() + ": " + std::to_string(data.targets.cols()) +
                     " targets for the " + std::to_string(data.inputs.cols()) + " examples of " +
                     files.features.string());
  return data;
}

template <class Scalar>
Dataset<Scalar> read_idx_examples(const ExampleFiles& files, bool with_targets, Index classes) {
  if (with_targets) {
    if (files.targets.empty())
      throw ConfigError(files.features.string() +
                        ": an idx image file needs its labels in a second file (--target-file)");
    Dataset<Scalar> data = load_idx_classification<Scalar>(files.features, files.targets,
                                                           files.features.stem().string(), classes);
    return data;
  }
  const IdxArray images = read_idx(files.features);
  if (images.dims.size() < 2)
    throw ValueError(files.features.string() + ": an idx file of images needs 2 to 4 dimensions");
  Dataset<Scalar> data;
  data.name = files.features.stem().string();
  std::vector<Index> shape(images.dims.begin(), images.dims.end());
  data.example_shape = shape_of(shape, files.features);
  const Index n = shape[0], size = data.example_shape->size();
  data.inputs.resize(size, n);
  for (Index i = 0; i < n * size; ++i)  // pixel / 255 as load_idx_classification divides
    data.inputs.data()[i] =
        static_cast<Scalar>(images.data[static_cast<std::size_t>(i)]) / static_cast<Scalar>(255);
  data.targets.resize(0, n);
  return data;
}

// The kind a numeric target suggests when none is forced.
template <class Scalar>
TargetKind numeric_kind(const Matrix<Scalar>& targets) {
  return only_zero_and_one(targets) ? TargetKind::kBinary : TargetKind::kRegression;
}

}  // namespace

std::string detect_format(const fs::path& file) {
  const std::string raw = read_prefix(file, 8, false);
  if (raw.size() >= 6 && raw.compare(0, 6, "\x93NUMPY") == 0) return "npy";
  const bool idx_magic = raw.size() >= 4 && raw[0] == 0 && raw[1] == 0 &&
                         static_cast<unsigned char>(raw[2]) == 0x08 && raw[3] >= 1 && raw[3] <= 4;
  if (idx_magic) return "idx";
  const std::string name = file.filename().string();
  if (is_gzip_file(file) &&
      (name.find("idx") != std::string::npos || name.find("ubyte") != std::string::npos))
    return "idx";
  return "csv";
}

template <class Scalar>
Dataset<Scalar> read_training_examples(const ExampleFiles& files, std::optional<TargetKind> kind,
                                       DataSchema& schema) {
  schema = DataSchema{};
  schema.format = detect_format(files.features);
  Dataset<Scalar> data;
  if (schema.format == "csv") {
    if (files.target_columns.empty())
      throw ConfigError(files.features.string() + ": name the target column (--target)");
    CsvOptions o;
    o.header = files.header;
    o.delimiter = files.delimiter;
    o.target_columns = files.target_columns;
    o.feature_columns =
        files.feature_columns.empty() ? default_features(files) : files.feature_columns;
    const bool single = o.target_columns.size() == 1;
    if (kind && *kind != TargetKind::kRegression && !single)
      throw ConfigError("--kind " + to_string(*kind) + " needs exactly one target column, got " +
                        std::to_string(o.target_columns.size()));
    o.target_cells = !single || kind == TargetKind::kRegression ? CsvTargets::kNumbers
                     : kind                                     ? CsvTargets::kClassLabels
                                                                : CsvTargets::kAuto;
    data = read_csv<Scalar>(files.features, o);
    schema.feature_columns = o.feature_columns;
    schema.target_columns = o.target_columns;
    schema.header = o.header;
    schema.delimiter = o.delimiter;
    if (data.num_classes > 0) {
      schema.target_encoding = "labels";
      schema.class_names = data.class_names;
      schema.num_classes = data.num_classes;
      schema.kind = kind                    ? *kind
                    : data.num_classes == 2 ? TargetKind::kBinary
                                            : TargetKind::kClasses;
    } else {
      schema.kind = kind ? *kind : numeric_kind(data.targets);
      if (schema.kind == TargetKind::kBinary) schema.num_classes = 2;
    }
  } else {
    NpyHeader target_header;
    Index classes = 0;
    if (schema.format == "npy") {
      data = read_npy_examples<Scalar>(files, true, &target_header);
      // The kind letter follows the byte-order mark when there is one ("<i8", "|u1", "b1").
      const std::string& dtype = target_header.dtype;
      const char letter = dtype.empty()                                        ? 'f'
                          : std::isalpha(static_cast<unsigned char>(dtype[0])) ? dtype[0]
                          : dtype.size() > 1                                   ? dtype[1]
                                                                               : 'f';
      const bool integer = letter == 'i' || letter == 'u' || letter == 'b';
      if (integer || kind == TargetKind::kClasses ||
          (kind == TargetKind::kBinary && !only_zero_and_one(data.targets))) {
        classes = integer_classes(data.targets, files.targets, 0);
        schema.target_encoding = "labels";
      }
    } else {
      data = read_idx_examples<Scalar>(files, true, 256);
      classes = integer_classes(data.targets, files.targets, 0);
      schema.target_encoding = "labels";
    }
    if (classes > 0) {
      schema.num_classes = std::max<Index>(classes, 2);
      schema.kind = kind ? *kind : classes <= 2 ? TargetKind::kBinary : TargetKind::kClasses;
    } else {
      schema.kind = kind ? *kind : numeric_kind(data.targets);
      if (schema.kind == TargetKind::kBinary) schema.num_classes = 2;
    }
  }
  if (schema.kind == TargetKind::kBinary && schema.num_classes != 2)
    throw ValueError(files.features.string() + ": binary targets need exactly two classes, the " +
                     "data has " + std::to_string(schema.num_classes));
  if (schema.kind == TargetKind::kBinary && !only_zero_and_one(data.targets))
    throw ValueError((files.targets.empty() ? files.features : files.targets).string() +
                     ": binary targets must be 0 or 1");
  if (schema.kind == TargetKind::kClasses && schema.num_classes < 2)
    throw ValueError(files.features.string() + ": the targets hold only one class");
  data.num_classes = schema.kind == TargetKind::kRegression ? 0 : schema.num_classes;
  data.class_names = schema.class_names;
  return data;
}

template <class Scalar>
Dataset<Scalar> read_examples(const ExampleFiles& files, const DataSchema& schema,
                              bool with_targets) {
  const std::string format = detect_format(files.features);
  if (format != schema.format)
    throw ValueError(files.features.string() + ": a " + format + " file, but the model was " +
                     "trained on " + schema.format + " data");
  Dataset<Scalar> data;
  if (format == "csv") {
    CsvOptions o;
    o.header = schema.header;
    o.delimiter = schema.delimiter;
    o.feature_columns = schema.feature_columns;
    if (with_targets) {
      o.target_columns = schema.target_columns;
      if (schema.target_encoding == "labels") {
        o.target_cells = CsvTargets::kClassLabels;
        if (!schema.class_names.empty())
          o.class_names = schema.class_names;
        else
          o.num_classes = schema.num_classes;
      }
    }
    data = read_csv<Scalar>(files.features, o);
  } else if (format == "npy") {
    data = read_npy_examples<Scalar>(files, with_targets, nullptr);
    if (with_targets && schema.kind != TargetKind::kRegression)
      integer_classes(data.targets, files.targets, schema.num_classes);
  } else {
    data = read_idx_examples<Scalar>(files, with_targets, schema.num_classes);
  }
  if (with_targets && schema.kind == TargetKind::kBinary && !only_zero_and_one(data.targets))
    throw ValueError((files.targets.empty() ? files.features : files.targets).string() +
                     ": binary targets must be 0 or 1");
  if (!schema.standardizer.empty()) {
    if (static_cast<std::size_t>(data.inputs.rows()) != schema.standardizer.mean.size())
      throw ValueError(files.features.string() + ": " + std::to_string(data.inputs.rows()) +
                       " features per example; the model was trained on " +
                       std::to_string(schema.standardizer.mean.size()));
    schema.standardizer.apply(data.inputs);
  }
  data.num_classes = schema.kind == TargetKind::kRegression ? 0 : schema.num_classes;
  data.class_names = schema.class_names;
  return data;
}

template Dataset<float> read_training_examples<float>(const ExampleFiles&,
                                                      std::optional<TargetKind>, DataSchema&);
template Dataset<double> read_training_examples<double>(const ExampleFiles&,
                                                        std::optional<TargetKind>, DataSchema&);
template Dataset<float> read_examples<float>(const ExampleFiles&, const DataSchema&, bool);
template Dataset<double> read_examples<double>(const ExampleFiles&, const DataSchema&, bool);

}  // namespace curvopt
