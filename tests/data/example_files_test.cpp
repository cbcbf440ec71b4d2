#include "curvopt/data/example_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>

#include "curvopt/core/errors.h"
#include "curvopt/data/npy.h"
#include "curvopt/nn/model_file.h"
#include "curvopt/nn/model_spec.h"

namespace curvopt {
namespace {

namespace fs = std::filesystem;

fs::path temp_file(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("curvopt_example_files_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

fs::path write_text(const std::string& name, const std::string& text) {
  const fs::path f = temp_file(name);
  std::ofstream(f, std::ios::binary | std::ios::trunc) << text;
  return f;
}

// A little-endian int64 .npy vector, written byte by byte.
fs::path write_int_npy(const std::string& name, const std::vector<std::int64_t>& values) {
  std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (" +
                       std::to_string(values.size()) + ",), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  for (std::int64_t v : values) bytes.append(reinterpret_cast<const char*>(&v), 8);
  return write_text(name, bytes);
}

// An idx file of unsigned bytes with the given dimensions.
fs::path write_idx(const std::string& name, const std::vector<std::uint32_t>& dims,
                   const std::vector<std::uint8_t>& data) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xff);
  bytes.append(data.begin(), data.end());
  return write_text(name, bytes);
}

ExampleFiles csv_files(const fs::path& file, std::vector<std::string> targets) {
  ExampleFiles f;
  f.features = file;
  f.target_columns = std::move(targets);
  return f;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ExampleFiles, DetectsTheFormatByItsBytes) {
  EXPECT_EQ(detect_format(write_text("a.csv", "x,y\n1,2\n")), "csv");
  Matrix<float> m(2, 3);
  m.setZero();
  const fs::path npy = temp_file("named_like.csv");  // the bytes decide, not the name
  write_npy<float>(npy, m);
  EXPECT_EQ(detect_format(npy), "npy");
  EXPECT_EQ(detect_format(write_idx("images", {2, 2, 2}, std::vector<std::uint8_t>(8))), "idx");
  EXPECT_NE(error_of([] { detect_format(temp_file("absent.csv")); }).find("absent.csv"),
            std::string::npos);
}

TEST(ExampleFiles, CsvKindsFollowTheTargets) {
  DataSchema s;
  // Text labels: classes in byte order, the features every other column by name.
  const fs::path colours =
      write_text("colours.csv", "a,colour,b\n1,red,2\n3,blue,4\n5,green,6\n7,red,8\n");
  Dataset<float> d = read_training_examples<float>(csv_files(colours, {"colour"}), {}, s);
  EXPECT_EQ(s.kind, TargetKind::kClasses);
  EXPECT_EQ(s.target_encoding, "labels");
  EXPECT_EQ(s.class_names, (std::vector<std::string>{"blue", "green", "red"}));
  EXPECT_EQ(s.feature_columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.targets, (Matrix<float>(1, 4) << 2, 0, 1, 2).finished());
  EXPECT_EQ(d.inputs, (Matrix<float>(2, 4) << 1, 3, 5, 7, 2, 4, 6, 8).finished());

  // Two text labels are binary; 0/1 numbers are binary; other numbers regression.
  const fs::path yes_no = write_text("yes_no.csv", "x,ok\n1,yes\n2,no\n");
  read_training_examples<float>(csv_files(yes_no, {"ok"}), {}, s);
  EXPECT_EQ(s.kind, TargetKind::kBinary);
  EXPECT_EQ(s.num_classes, 2);
  const fs::path zero_one = write_text("zero_one.csv", "x,t\n1,0\n2,1\n3,1\n");
  d = read_training_examples<float>(csv_files(zero_one, {"t"}), {}, s);
  EXPECT_EQ(s.kind, TargetKind::kBinary);
  EXPECT_EQ(s.target_encoding, "numbers");
  EXPECT_EQ(d.num_classes, 2);
  const fs::path counts = write_text("counts.csv", "x,n\n1,0\n2,1\n3,7\n");
  read_training_examples<float>(csv_files(counts, {"n"}), {}, s);
  EXPECT_EQ(s.kind, TargetKind::kRegression);
  // ... unless the kind is forced: integer labels are class indices.
  d = read_training_examples<float>(csv_files(counts, {"n"}), TargetKind::kClasses, s);
  EXPECT_EQ(s.kind, TargetKind::kClasses);
  EXPECT_EQ(s.num_classes, 8);
  EXPECT_EQ(d.targets(0, 2), 7.0f);
  // Several target columns are regression, and may not be classes.
  const fs::path two = write_text("two.csv", "x,u,v\n1,0.5,2\n2,1.5,3\n");
  d = read_training_examples<float>(csv_files(two, {"u", "v"}), {}, s);
  EXPECT_EQ(s.kind, TargetKind::kRegression);
  EXPECT_EQ(d.targets.rows(), 2);
  EXPECT_THROW(read_training_examples<float>(csv_files(two, {"u", "v"}), TargetKind::kClasses, s),
               ConfigError);
  // One class only, and binary forced on three classes, are refused.
  const fs::path one = write_text("one.csv", "x,c\n1,a\n2,a\n");
  EXPECT_NE(error_of([&] {
              read_training_examples<float>(csv_files(one, {"c"}), {}, s);
            }).find("one class"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              read_training_examples<float>(csv_files(colours, {"colour"}), TargetKind::kBinary, s);
            }).find("exactly two classes"),
            std::string::npos);
  EXPECT_THROW(read_training_examples<float>(csv_files(colours, {}), {}, s), ConfigError);
}

TEST(ExampleFiles, LaterFilesAreReadThroughTheSchema) {
  DataSchema s;
  const fs::path train = write_text("train.csv", "a,colour,b\n1,red,2\n3,blue,4\n5,green,6\n");
  read_training_examples<double>(csv_files(train, {"colour"}), {}, s);
  s.standardizer.mean = {3, 4};
  s.standardizer.scale = {2, 0.5};
  // Columns in another order, an extra column; the standardization applied as read.
  const fs::path test = write_text("test.csv", "b,extra,colour,a\n4.5,z,green,5\n");
  ExampleFiles files;
  files.features = test;
  Dataset<double> d = read_examples<double>(files, s, true);
  EXPECT_EQ(d.inputs, (Matrix<double>(2, 1) << 1, 1).finished());
  EXPECT_EQ(d.targets(0, 0), 1.0);  // green
  EXPECT_EQ(d.class_names, s.class_names);
  // Prediction files need not have the target.
  const fs::path features_only = write_text("x.csv", "a,b\n3,4\n");
  d = read_examples<double>(files = ExampleFiles{features_only}, s, false);
  EXPECT_EQ(d.inputs, (Matrix<double>(2, 1) << 0, 0).finished());
  EXPECT_EQ(d.targets.rows(), 0);
  // A label the training set lacked, and a missing feature column, name the file.
  const std::string unknown = error_of([&] {
    read_examples<double>(ExampleFiles{write_text("u.csv", "a,b,colour\n1,2,mauve\n")}, s, true);
  });
  EXPECT_NE(unknown.find("u.csv: line 2"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("mauve"), std::string::npos) << unknown;
  const std::string missing = error_of(
      [&] { read_examples<double>(ExampleFiles{write_text("m.csv", "a\n1\n")}, s, false); });
  EXPECT_NE(missing.find("m.csv: line 1"), std::string::npos) << missing;
  // Another format than the training data's.
  Matrix<double> m(2, 1);
  m.setZero();
  write_npy<double>(temp_file("x.npy"), m);
  EXPECT_NE(error_of([&] {
              read_examples<double>(ExampleFiles{temp_file("x.npy")}, s, false);
            }).find("trained on csv data"),
            std::string::npos);
}

TEST(ExampleFiles, NpyFeaturesWithIntegerOrRealTargets) {
  Matrix<float> x(3, 4);
  x << 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12;
  write_npy<float>(temp_file("x4.npy"), x);
  ExampleFiles files;
  files.features = temp_file("x4.npy");
  files.targets = write_int_npy("labels.npy", {0, 2, 1, 2});
  DataSchema s;
  Dataset<float> d = read_training_examples<float>(files, {}, s);
  EXPECT_EQ(s.format, "npy");
  EXPECT_EQ(s.kind, TargetKind::kClasses);
  EXPECT_EQ(s.num_classes, 3);
  EXPECT_EQ(d.inputs, x);
  EXPECT_EQ(d.targets, (Matrix<float>(1, 4) << 0, 2, 1, 2).finished());
  // A test file with a class index beyond the training set's.
  ExampleFiles test = files;
  test.targets = write_int_npy("bad_labels.npy", {0, 3, 1, 1});
  const std::string beyond = error_of([&] { read_examples<float>(test, s, true); });
  EXPECT_NE(beyond.find("bad_labels.npy: element [1]"), std::string::npos) << beyond;
  // Real targets: regression; a targets file of another length is named.
  Matrix<float> y(1, 4);
  y << 0.5, 1.5, -2, 3;
  write_npy<float>(temp_file("y.npy"), y);
  files.targets = temp_file("y.npy");
  read_training_examples<float>(files, {}, s);
  EXPECT_EQ(s.kind, TargetKind::kRegression);
  Matrix<float> short_y(1, 3);
  short_y.setZero();
  write_npy<float>(temp_file("short.npy"), short_y);
  files.targets = temp_file("short.npy");
  EXPECT_NE(
      error_of([&] { read_training_examples<float>(files, {}, s); }).find("short.npy: 3 targets"),
      std::string::npos);
  files.targets.clear();
  EXPECT_THROW(read_training_examples<float>(files, {}, s), ConfigError);
}

TEST(ExampleFiles, IdxImagesAndLabels) {
  std::vector<std::uint8_t> pixels(3 * 2 * 2);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(20 * i);
  ExampleFiles files;
  files.features = write_idx("tiny-images-idx3-ubyte", {3, 2, 2}, pixels);
  files.targets = write_idx("tiny-labels-idx1-ubyte", {3}, {4, 0, 9});
  DataSchema s;
  Dataset<float> d = read_training_examples<float>(files, {}, s);
  EXPECT_EQ(s.format, "idx");
  EXPECT_EQ(s.kind, TargetKind::kClasses);
  EXPECT_EQ(s.num_classes, 10);
  ASSERT_TRUE(d.example_shape);
  EXPECT_EQ(*d.example_shape, Shape::image(1, 2, 2));
  EXPECT_FLOAT_EQ(d.inputs(1, 0), 20.0f / 255);
  // Features only, for prediction: the same pixels, bit for bit.
  ExampleFiles images_only;
  images_only.features = files.features;
  const Dataset<float> p = read_examples<float>(images_only, s, false);
  EXPECT_EQ(p.inputs, d.inputs);
  EXPECT_EQ(p.targets.rows(), 0);
}

// What `curvopt predict` does after `curvopt train`: the model file alone (weights and schema)
// reads the raw file and gives the trained model's outputs, bit for bit.
TEST(ExampleFiles, AModelFileWithItsSchemaPredictsBitForBit) {
  const fs::path data = write_text("raw.csv",
                                   "x1,x2,label\n0.5,120,cat\n-1.25,310,dog\n2,95.5,cat\n"
                                   "0.1,200,bird\n");
  DataSchema schema;
  Dataset<float> train = read_training_examples<float>(csv_files(data, {"label"}), {}, schema);
  schema.standardizer = FeatureStandardizer::fit(train.inputs);
  schema.standardizer.apply(train.inputs);
  schema.loss = "softmax-cross-entropy";
  Sequential<float> model =
      build_model<float>("dense 5 tanh dense 3", Shape::flat(2), Initializer::kGlorotUniform, 11);
  const Matrix<float> trained = model.forward(train.inputs);
  save_model(temp_file("model.bin"), model, schema.to_metadata());

  const ModelFileInfo info = read_model_info(temp_file("model.bin"));
  const auto stored = DataSchema::from_metadata(info.metadata, "model.bin");
  ASSERT_TRUE(stored);
  Sequential<float> loaded = load_model<float>(temp_file("model.bin"));
  ExampleFiles files;
  files.features = data;
  const Dataset<float> again = read_examples<float>(files, *stored, false);
  EXPECT_EQ(again.inputs, train.inputs);
  EXPECT_EQ(loaded.forward(again.inputs), trained);
}

}  // namespace
}  // namespace curvopt
