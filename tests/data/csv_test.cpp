#include "curvopt/data/csv.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

namespace fs = std::filesystem;
using Cells = std::vector<std::string>;

const fs::path kFiles = CURVOPT_TEST_DATA_DIR;

// All records of `text` with the line each starts on.
std::vector<std::pair<std::size_t, Cells>> tokenize(const std::string& text, char delimiter = ',') {
  CsvTokenizer csv(text, "text.csv", delimiter);
  std::vector<std::pair<std::size_t, Cells>> out;
  Cells cells;
  while (csv.next(cells)) out.emplace_back(csv.line(), cells);
  return out;
}

std::string tokenize_error(const std::string& text) {
  try {
    tokenize(text);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

// The message starts with "<file>: line <n>: " and contains `what`.
void expect_error(const std::string& message, const std::string& file, std::size_t line,
                  const std::string& what) {
  const std::string prefix = file + ": line " + std::to_string(line) + ": ";
  EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

TEST(CsvTokenizer, SplitsAndTrimsCells) {
  const auto records = tokenize("a, b ,\tc\n1,2,3\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].first, 1u);
  EXPECT_EQ(records[0].second, (Cells{"a", "b", "c"}));
  EXPECT_EQ(records[1].first, 2u);
  EXPECT_EQ(records[1].second, (Cells{"1", "2", "3"}));
}

TEST(CsvTokenizer, HandlesCrlfMissingFinalNewlineAndByteOrderMark) {
  const auto expected = tokenize("x,y\n1,2\n3,4\n");
  EXPECT_EQ(tokenize("x,y\r\n1,2\r\n3,4\r\n"), expected);
  EXPECT_EQ(tokenize("x,y\n1,2\n3,4"), expected);
  EXPECT_EQ(tokenize("x,y\r\n1,2\r\n3,4"), expected);
  EXPECT_EQ(tokenize("\xEF\xBB\xBFx,y\n1,2\n3,4\n"), expected);
}

TEST(CsvTokenizer, SkipsBlankLinesButCountsThem) {
  const auto records = tokenize("\nx,y\n\n  \r\n1,2\n\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].first, 2u);
  EXPECT_EQ(records[1].first, 5u);
  EXPECT_EQ(records[1].second, (Cells{"1", "2"}));
  EXPECT_TRUE(tokenize("").empty());
  EXPECT_TRUE(tokenize("\n \n\r\n").empty());
}

TEST(CsvTokenizer, KeepsEmptyCells) {
  const auto records = tokenize("1,,3,\n,\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].second, (Cells{"1", "", "3", ""}));
  EXPECT_EQ(records[1].second, (Cells{"", ""}));
}

TEST(CsvTokenizer, QuotedCellsFollowRfc4180) {
  const auto records =
      tokenize("\"a,b\", \"say \"\"hi\"\"\" ,\"\"\n\"two\nlines\",x\nlast,\" 1 \"\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].second, (Cells{"a,b", "say \"hi\"", ""}));
  EXPECT_EQ(records[1].first, 2u);
  EXPECT_EQ(records[1].second, (Cells{"two\nlines", "x"}));
  EXPECT_EQ(records[2].first, 4u);  // the quoted line break counts
  EXPECT_EQ(records[2].second, (Cells{"last", " 1 "}));
}

TEST(CsvTokenizer, OtherDelimiters) {
  const auto tabs = tokenize("a\t b\t\n1\t2\t3\n", '\t');
  ASSERT_EQ(tabs.size(), 2u);
  EXPECT_EQ(tabs[0].second, (Cells{"a", "b", ""}));
  EXPECT_EQ(tabs[1].second, (Cells{"1", "2", "3"}));
  const auto semicolons = tokenize("1,5;2\n", ';');
  EXPECT_EQ(semicolons[0].second, (Cells{"1,5", "2"}));
}

TEST(CsvTokenizer, MalformedQuotesNameTheLine) {
  expect_error(tokenize_error("a,b\n1,\"2\n3,4\n"), "text.csv", 2,
               "cell 2 has an opening quote but no closing quote before the end of the file");
  expect_error(tokenize_error("a,b\n\"1\"x,2\n"), "text.csv", 2,
               "unexpected 'x' after the closing quote of cell 1");
  expect_error(tokenize_error("a,b\n\n1,2\"\n"), "text.csv", 3,
               "quote character inside unquoted cell 2");
}

TEST(CsvTokenizer, MissingFileIsNamed) {
  const fs::path missing = kFiles / "no_such.csv";
  try {
    CsvTokenizer csv(missing);
    FAIL();
  } catch (const ValueError& e) {
    expect_error(e.what(), missing.string(), 1, "cannot open the file");
  }
}

template <class Scalar>
class CsvNumbers : public ::testing::Test {};
using ScalarTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CsvNumbers, ScalarTypes);

TYPED_TEST(CsvNumbers, ParsesDecimalTextWithOneRounding) {
  using Scalar = TypeParam;
  const CsvTokenizer csv("", "t.csv");
  EXPECT_EQ(csv.parse_number<Scalar>("0.1", 1, "c"), static_cast<Scalar>(0.1L));
  EXPECT_EQ(csv.parse_number<Scalar>("-2.5e-3", 1, "c"), static_cast<Scalar>(-2.5e-3L));
  EXPECT_EQ(csv.parse_number<Scalar>("+7", 1, "c"), Scalar(7));
  EXPECT_EQ(csv.parse_number<Scalar>("1E2", 1, "c"), Scalar(100));
  EXPECT_EQ(csv.parse_number<Scalar>(".5", 1, "c"), Scalar(0.5));
  EXPECT_EQ(csv.parse_number<Scalar>("3.", 1, "c"), Scalar(3));
  // 16777217 is not a float: a direct decimal-to-float conversion gives 16777216.
  EXPECT_EQ(csv.parse_number<Scalar>("16777217", 1, "c"), static_cast<Scalar>(16777217.0));
}

TYPED_TEST(CsvNumbers, RejectsNonNumbersNonFiniteAndOutOfRange) {
  using Scalar = TypeParam;
  const CsvTokenizer csv("", "t.csv");
  const auto error = [&](const std::string& cell) -> std::string {
    try {
      csv.parse_number<Scalar>(cell, 7, "weight");
    } catch (const ValueError& e) {
      return e.what();
    }
    return "no error";
  };
  expect_error(error(""), "t.csv", 7, "column 'weight': empty cell, expected a number");
  for (const std::string cell : {"abc", "1.5.2", "0x10", "1,5", "--1", "+-1", "+", "1e", "one"})
    expect_error(error(cell), "t.csv", 7, "column 'weight': \"" + cell + "\" is not a number");
  for (const std::string cell : {"nan", "NaN", "inf", "-inf", "Infinity", "+inf"})
    expect_error(error(cell), "t.csv", 7, "\"" + cell + "\" is not finite");
  const std::string big = sizeof(Scalar) == 4 ? "1e39" : "1e400";
  expect_error(
      error(big), "t.csv", 7,
      "\"" + big + "\" is out of the range of " + (sizeof(Scalar) == 4 ? "float" : "double"));
  const std::string long_cell(100, 'z');
  EXPECT_NE(error(long_cell).find("...\" (100 characters) is not a number"), std::string::npos);
  // Control bytes in a cell are shown, not printed: a NUL once cut the message off.
  const std::string message =
      error(std::string("1\0"
                        "2\n3",
                        5));
  expect_error(message, "t.csv", 7, "column 'weight': \"1\\x002\\x0a3\" is not a number");
  EXPECT_EQ(message.find('\0'), std::string::npos);
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(CsvIntegers, ParsesDecimalIntegers) {
  const CsvTokenizer csv("", "t.csv");
  EXPECT_EQ(csv.parse_integer("42", 1, "id"), 42);
  EXPECT_EQ(csv.parse_integer("-7", 1, "id"), -7);
  EXPECT_EQ(csv.parse_integer("+3", 1, "id"), 3);
  EXPECT_EQ(csv.parse_integer("9223372036854775807", 1, "id"), INT64_MAX);
  const auto error = [&](const std::string& cell) -> std::string {
    try {
      csv.parse_integer(cell, 3, "id");
    } catch (const ValueError& e) {
      return e.what();
    }
    return "no error";
  };
  expect_error(error("3.0"), "t.csv", 3, "column 'id': \"3.0\" is not an integer");
  expect_error(error("x"), "t.csv", 3, "\"x\" is not an integer");
  expect_error(error(""), "t.csv", 3, "empty cell, expected an integer");
  expect_error(error("99999999999999999999"), "t.csv", 3, "out of the range of a 64-bit integer");
}

// Files written by a test into a fresh directory.
class CsvFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("curvopt_csv_test_") + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  fs::path dir_;
};

std::string read_error(const fs::path& path, const CsvOptions& options) {
  try {
    read_csv<double>(path, options);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

template <class Scalar>
class CsvRead : public CsvFiles {};
TYPED_TEST_SUITE(CsvRead, ScalarTypes);

TYPED_TEST(CsvRead, ReadsFeaturesAndTargetsByHeaderName) {
  using Scalar = TypeParam;
  // x1, x2 ,y / 1.5,-2,0.25 /  3 ,4e-1,+1 / -0.0,1e3,2
  const Dataset<Scalar> data =
      read_csv<Scalar>(kFiles / "regression.csv", {.target_columns = {"y"}});
  EXPECT_EQ(data.name, "regression");
  EXPECT_EQ(data.num_classes, 0);
  ASSERT_EQ(data.inputs.rows(), 2);
  ASSERT_EQ(data.inputs.cols(), 3);
  ASSERT_EQ(data.targets.rows(), 1);
  ASSERT_EQ(data.targets.cols(), 3);
  Matrix<Scalar> inputs(2, 3);
  inputs << Scalar(1.5), Scalar(3), Scalar(-0.0), Scalar(-2), static_cast<Scalar>(0.4L),
      Scalar(1000);
  EXPECT_EQ(data.inputs, inputs);
  EXPECT_TRUE(std::signbit(data.inputs(0, 2)));
  EXPECT_EQ(data.targets(0, 0), Scalar(0.25));
  EXPECT_EQ(data.targets(0, 1), Scalar(1));
  EXPECT_EQ(data.targets(0, 2), Scalar(2));
}

TYPED_TEST(CsvRead, ChosenFeatureOrderAndSeveralTargets) {
  using Scalar = TypeParam;
  const Dataset<Scalar> data = read_csv<Scalar>(
      kFiles / "regression.csv", {.feature_columns = {"x2"}, .target_columns = {"y", "x1"}});
  ASSERT_EQ(data.inputs.rows(), 1);
  ASSERT_EQ(data.targets.rows(), 2);
  EXPECT_EQ(data.inputs(0, 2), Scalar(1000));
  EXPECT_EQ(data.targets(0, 0), Scalar(0.25));
  EXPECT_EQ(data.targets(1, 0), Scalar(1.5));
  const Dataset<Scalar> all = read_csv<Scalar>(kFiles / "regression.csv");
  EXPECT_EQ(all.inputs.rows(), 3);
  EXPECT_EQ(all.targets.rows(), 0);
  EXPECT_EQ(all.targets.cols(), 3);
}

TYPED_TEST(CsvRead, ColumnNumbersWithoutHeader) {
  using Scalar = TypeParam;
  const auto path = this->write("plain.csv", "1,2,3\n4,5,6\n");
  const Dataset<Scalar> data = read_csv<Scalar>(path, {.header = false, .target_columns = {"0"}});
  EXPECT_EQ(data.size(), 2);
  Matrix<Scalar> inputs(2, 2);
  inputs << 2, 5, 3, 6;
  EXPECT_EQ(data.inputs, inputs);
  EXPECT_EQ(data.targets(0, 1), Scalar(4));
  const Dataset<Scalar> picked =
      read_csv<Scalar>(path, {.header = false, .feature_columns = {"2", "1"}});
  EXPECT_EQ(picked.inputs(0, 0), Scalar(3));
  EXPECT_EQ(picked.inputs(1, 0), Scalar(2));
}

TEST_F(CsvFiles, MessyButValidFilesReadLikeCleanOnes) {
  const CsvOptions options{.target_columns = {"y"}};
  const Dataset<double> clean = read_csv<double>(write("clean.csv", "a,y\n1,2\n3,4\n"), options);
  for (const std::string text :
       {"a,y\r\n1,2\r\n3,4\r\n",
        "\xEF\xBB\xBF"
        "a,y\n1,2\n3,4",
        "\n a , y \n\n1 ,2\n \n3,\t4\n\n", "\"a\",\"y\"\n\"1\",2\n3, \"4\" \n"}) {
    const Dataset<double> messy = read_csv<double>(write("messy.csv", text), options);
    EXPECT_EQ(messy.inputs, clean.inputs) << text;
    EXPECT_EQ(messy.targets, clean.targets) << text;
  }
}

TEST_F(CsvFiles, TabSeparatedFiles) {
  const auto path = write("data.tsv", "a\tb\n1\t2.5\n");
  const Dataset<float> data = read_csv<float>(path, {.delimiter = '\t', .target_columns = {"b"}});
  EXPECT_EQ(data.targets(0, 0), 2.5f);
}

TEST_F(CsvFiles, UnselectedColumnsMayHoldText) {
  const auto path = write("mixed.csv", "name,x,y\nalice,1,2\n\"bob, jr\",3,4\n");
  const Dataset<double> data =
      read_csv<double>(path, {.feature_columns = {"x"}, .target_columns = {"y"}});
  EXPECT_EQ(data.size(), 2);
  EXPECT_EQ(data.inputs(0, 1), 3.0);
  EXPECT_NE(
      read_error(path, {.target_columns = {"y"}}).find("column 'name': \"alice\" is not a number"),
      std::string::npos);
}

TEST_F(CsvFiles, EmptyFilesAndFilesWithoutData) {
  for (const std::string text : {"", "\n\n", "  \r\n"}) {
    const auto path = write("empty.csv", text);
    expect_error(read_error(path, {}), path.string(), 1, "empty file");
  }
  const auto header_only = write("header.csv", "\na,b\n\n");
  expect_error(read_error(header_only, {}), header_only.string(), 2,
               "no data lines after the header");
}

TEST(CsvErrors, NonNumericCellNamesLineColumnAndCell) {
  const fs::path path = kFiles / "non_numeric.csv";
  expect_error(read_error(path, {.target_columns = {"label"}}), path.string(), 3,
               "column 'weight': \"abc\" is not a number");
}

TEST(CsvErrors, NanAndInfinityAreRejected) {
  const fs::path path = kFiles / "nan.csv";
  expect_error(read_error(path, {.target_columns = {"label"}}), path.string(), 4,
               "column 'weight': \"nan\" is not finite");
}

TEST(CsvErrors, WrongNumberOfCellsNamesTheLine) {
  const fs::path path = kFiles / "ragged.csv";
  expect_error(read_error(path, {}), path.string(), 4,
               "2 cells, expected 3 as in the header on line 1");
}

TEST_F(CsvFiles, WrongNumberOfCellsWithoutHeaderRefersToTheFirstLine) {
  const auto path = write("ragged.csv", "\n1,2\n3,4,5\n");
  expect_error(read_error(path, {.header = false}), path.string(), 3,
               "3 cells, expected 2 as on line 2");
}

TEST(CsvErrors, UnknownColumnListsTheHeader) {
  const fs::path path = kFiles / "regression.csv";
  expect_error(read_error(path, {.target_columns = {"z"}}), path.string(), 1,
               "no column named 'z' in the header (columns: 'x1', 'x2', 'y')");
  expect_error(read_error(path, {.feature_columns = {"x1", "X2"}}), path.string(), 1,
               "no column named 'X2'");
}

TEST_F(CsvFiles, AmbiguousAndOutOfRangeColumns) {
  const auto twice = write("twice.csv", "a,b,a\n1,2,3\n");
  expect_error(read_error(twice, {.target_columns = {"a"}}), twice.string(), 1,
               "column name 'a' appears more than once in the header (cells 1 and 3)");
  EXPECT_NO_THROW(read_csv<double>(twice, {.feature_columns = {"b"}}));
  const auto plain = write("plain.csv", "1,2\n");
  expect_error(read_error(plain, {.header = false, .target_columns = {"2"}}), plain.string(), 1,
               "column 2 is out of range: the line has 2 cells (columns 0 to 1)");
  const auto single = write("single.csv", "y\n1\n");
  expect_error(read_error(single, {.target_columns = {"y"}}), single.string(), 1,
               "no feature columns: all 1 columns are targets");
}

TEST_F(CsvFiles, MalformedQuotingInAFileNamesTheFile) {
  const auto path = write("quotes.csv", "a,b\n1,2\n3,\"4\n");
  expect_error(read_error(path, {}), path.string(), 3, "no closing quote");
}

TEST(CsvOptions, ValidateNamesTheField) {
  EXPECT_EQ(CsvOptions{}.validate(), std::nullopt);
  EXPECT_EQ((CsvOptions{.delimiter = '"'}.validate()),
            "CsvOptions::delimiter = '\"': must not be a quote, line break, space, NUL, letter, "
            "digit, '.', '+' or '-'");
  for (const char bad : {'\n', '\r', ' ', '\0', 'a', '7', '.', '+', '-'})
    EXPECT_NE((CsvOptions{.delimiter = bad}.validate()), std::nullopt) << int(bad);
  for (const char good : {',', ';', '\t', '|', ':'})
    EXPECT_EQ((CsvOptions{.delimiter = good}.validate()), std::nullopt) << int(good);
  EXPECT_EQ((CsvOptions{.feature_columns = {"a", ""}}.validate()),
            "CsvOptions::feature_columns[1] = '': must name a column");
  EXPECT_EQ((CsvOptions{.target_columns = {"y", "x", "y"}}.validate()),
            "CsvOptions::target_columns[2] = 'y': listed twice (also target_columns[0])");
  EXPECT_EQ((CsvOptions{.feature_columns = {"a", "y"}, .target_columns = {"y"}}.validate()),
            "CsvOptions::feature_columns[1] = 'y': also a target column; a column may not be both");
  EXPECT_EQ((CsvOptions{.header = false, .target_columns = {"y"}}.validate()),
            "CsvOptions::target_columns[0] = 'y': must be a 0-based column number when header is "
            "false");
  EXPECT_EQ((CsvOptions{.header = false, .feature_columns = {"1", "01"}}.validate()),
            "CsvOptions::feature_columns[1] = '01': listed twice (also feature_columns[0])");
  EXPECT_EQ((CsvOptions{.header = false, .feature_columns = {"3"}, .target_columns = {"3"}}
                 .validate()
                 .has_value()),
            true);
  EXPECT_THROW(read_csv<float>(kFiles / "regression.csv", {.delimiter = '.'}), ConfigError);
}

}  // namespace
}  // namespace curvopt
