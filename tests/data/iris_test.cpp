#include "curvopt/data/iris.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "curvopt/core/errors.h"
#include "testing/helpers.h"

namespace curvopt {
namespace {

namespace fs = std::filesystem;

const fs::path kFiles = CURVOPT_TEST_DATA_DIR;

std::string error_of(const fs::path& path) {
  try {
    read_iris<double>(path);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

void expect_error(const fs::path& path, std::size_t line, const std::string& what) {
  const std::string message = error_of(path);
  const std::string prefix = path.string() + ": line " + std::to_string(line) + ": ";
  EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

template <class Scalar>
class Iris : public ::testing::Test {};
using ScalarTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Iris, ScalarTypes);

TYPED_TEST(Iris, ReadsFeaturesLabelsAndClassCount) {
  using Scalar = TypeParam;
  const Dataset<Scalar> data = read_iris<Scalar>(kFiles / "iris_small.csv");
  EXPECT_EQ(data.name, "iris_small");
  EXPECT_EQ(data.num_classes, 3);
  ASSERT_EQ(data.inputs.rows(), 4);
  ASSERT_EQ(data.inputs.cols(), 6);
  ASSERT_EQ(data.targets.rows(), 1);
  ASSERT_EQ(data.targets.cols(), 6);
  // First line 5.1,3.5,1.4,0.2,0 and last 5.8,2.7,5.1,1.9,2, each value rounded once.
  EXPECT_EQ(data.inputs(0, 0), static_cast<Scalar>(5.1L));
  EXPECT_EQ(data.inputs(1, 0), static_cast<Scalar>(3.5L));
  EXPECT_EQ(data.inputs(2, 0), static_cast<Scalar>(1.4L));
  EXPECT_EQ(data.inputs(3, 0), static_cast<Scalar>(0.2L));
  EXPECT_EQ(data.inputs(3, 5), static_cast<Scalar>(1.9L));
  const Scalar labels[] = {0, 0, 1, 1, 2, 2};
  for (Index i = 0; i < 6; ++i) EXPECT_EQ(data.targets(0, i), labels[i]);
}

TEST(IrisErrors, MoreRowsThanTheHeaderSays) {
  expect_error(kFiles / "iris_extra_row.csv", 7,
               "more data lines than the 5 samples the header on line 1 announces");
}

TEST(IrisErrors, FewerRowsThanTheHeaderSays) {
  expect_error(kFiles / "iris_missing_row.csv", 1,
               "the header announces 7 samples but the file has 6 data lines");
}

TEST(IrisErrors, LabelOutOfRange) {
  expect_error(kFiles / "iris_bad_label.csv", 6,
               "column 'label': class 3 is out of range: the header lists 3 classes (setosa, "
               "versicolor, virginica)");
}

TEST(IrisErrors, NonNumericFeature) {
  expect_error(kFiles / "iris_bad_cell.csv", 4, "column 'feature 0': \"7.0x\" is not a number");
}

TEST(IrisErrors, MissingFile) {
  expect_error(kFiles / "no_such_iris.csv", 1, "cannot open the file");
}

// Variants of the small file written by the test.
class IrisFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("curvopt_iris_test_") + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& text) const {
    const fs::path path = dir_ / "iris.csv";
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(IrisFiles, MalformedHeaders) {
  expect_error(write(""), 1, "empty file");
  expect_error(write("150,4\n"), 1, "expected the header 'num_samples,num_features,class names");
  expect_error(write("many,4,a,b\n"), 1, "column 'num_samples': \"many\" is not an integer");
  expect_error(write("0,4,a,b\n"), 1, "column 'num_samples': must be positive, found 0");
  expect_error(write("2,-1,a,b\n"), 1, "column 'num_features': must be positive, found -1");
  expect_error(write("2,4.5,a,b\n"), 1, "column 'num_features': \"4.5\" is not an integer");
}

TEST_F(IrisFiles, MalformedRows) {
  expect_error(write("2,2,a,b\n1,2,0\n1,2\n"), 3,
               "2 cells, expected 3 (2 features and a label, as the header on line 1 says)");
  expect_error(write("1,2,a,b\n1,inf,0\n"), 2, "column 'feature 1': \"inf\" is not finite");
  expect_error(write("1,2,a,b\n1,2,1.0\n"), 2, "column 'label': \"1.0\" is not an integer");
  expect_error(write("1,2,a,b\n1,2,-1\n"), 2, "column 'label': class -1 is out of range");
  expect_error(write("1,2,a,b\n1,2,\n"), 2, "column 'label': empty cell");
}

TEST_F(IrisFiles, OtherSklearnFilesWithTheSameLayout) {
  const Dataset<float> data =
      read_iris<float>(write("3,2,malignant,benign\r\n1,2,0\r\n3,4,1\r\n5,6,1\r\n"));
  EXPECT_EQ(data.num_classes, 2);
  EXPECT_EQ(data.inputs.rows(), 2);
  EXPECT_EQ(data.size(), 3);
  EXPECT_EQ(data.inputs(1, 2), 6.0f);
  EXPECT_EQ(data.targets(0, 0), 0.0f);
}

TEST(IrisRealData, SklearnIrisCsv) {
  const fs::path path = testing::real_data_file("iris/iris.csv");
  if (path.empty()) GTEST_SKIP() << "iris.csv not in the data directory (scripts/fetch_data)";
  const Dataset<double> data = read_iris<double>(path);
  EXPECT_EQ(data.inputs.rows(), 4);
  EXPECT_EQ(data.inputs.cols(), 150);
  EXPECT_EQ(data.num_classes, 3);
  EXPECT_EQ(data.inputs(0, 0), 5.1);
  for (int c = 0; c < 3; ++c) EXPECT_EQ((data.targets.array() == c).count(), 50) << "class " << c;
}

}  // namespace
}  // namespace curvopt
