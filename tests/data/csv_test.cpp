#include "curvopt/data/csv.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
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

// ---- gzip ----------------------------------------------------------------------------------

// `text` as one gzip member.
std::string gzip(const std::string& text) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, text.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

void expect_same(const Dataset<double>& a, const Dataset<double>& b) {
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.targets, b.targets);
  EXPECT_EQ(a.num_classes, b.num_classes);
  EXPECT_EQ(a.class_names, b.class_names);
}

const std::string kTable =
    "x1,x2,y\n"
    "1.5,-2,0.25\n"
    "3,\"4e-1\",1\n"
    "-0.0,1e3,2\n";

TEST_F(CsvFiles, GzipFilesReadLikePlainOnes) {
  const CsvOptions options{.target_columns = {"y"}};
  const Dataset<double> plain = read_csv<double>(write("table.csv", kTable), options);
  const Dataset<double> packed = read_csv<double>(write("table.csv.gz", gzip(kTable)), options);
  expect_same(packed, plain);
  EXPECT_EQ(packed.name, "table.csv");  // the stem of table.csv.gz
  // Recognised by the magic bytes, not by the name.
  expect_same(read_csv<double>(write("named_plain.csv", gzip(kTable)), options), plain);
  expect_same(read_csv<double>(write("not_packed.gz", kTable), options), plain);
  // The tokenizer reads gzip files too.
  CsvTokenizer csv(dir_ / "table.csv.gz");
  Cells cells;
  ASSERT_TRUE(csv.next(cells));
  EXPECT_EQ(cells, (Cells{"x1", "x2", "y"}));
}

TEST_F(CsvFiles, ConcatenatedGzipMembersAreOneFile) {
  const std::string first = "a,b\n1,2\n";
  const std::string second = "3,4\n5,6\n";
  const Dataset<double> plain = read_csv<double>(write("whole.csv", first + second), {});
  const auto path = write("parts.csv.gz", gzip(first) + gzip(second));
  const Dataset<double> packed = read_csv<double>(path, {});
  expect_same(packed, plain);
  EXPECT_EQ(packed.size(), 3);
  // A member of its own for the empty string, too.
  expect_same(read_csv<double>(write("three.csv.gz", gzip(first) + gzip("") + gzip(second)), {}),
              plain);
}

TEST_F(CsvFiles, GzipFilesWithoutDataAreEmpty) {
  const auto path = write("empty.csv.gz", gzip(""));
  expect_error(read_error(path, {}), path.string(), 1, "empty file");
  // Errors inside the data give lines of the decompressed text.
  const auto ragged = write("ragged.csv.gz", gzip("a,b\n1,2\n\n3\n"));
  expect_error(read_error(ragged, {}), ragged.string(), 4, "1 cells, expected 2");
}

TEST_F(CsvFiles, CorruptGzipDataIsOneErrorNamingTheFile) {
  std::string text = "a,b\n";
  for (int i = 0; i < 2000; ++i) text += std::to_string(i) + "," + std::to_string(i * 7) + "\n";
  const std::string packed = gzip(text);
  ASSERT_GT(packed.size(), 100u);

  std::string corrupt = packed;
  for (std::size_t i = 20; i < 60; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  const auto bad = write("corrupt.csv.gz", corrupt);
  expect_error(read_error(bad, {}), bad.string(), 1, "corrupt gzip data: ");
  EXPECT_NE(read_error(bad, {}).find("of the compressed file"), std::string::npos);

  const auto cut = write("truncated.csv.gz", packed.substr(0, packed.size() / 2));
  expect_error(read_error(cut, {}), cut.string(), 1,
               "corrupt gzip data: the file ends inside the compressed data (truncated after ");
  // Only the magic bytes: a header cut short.
  const auto magic = write("magic.csv", std::string("\x1f\x8b"));
  expect_error(read_error(magic, {}), magic.string(), 1,
               "corrupt gzip data: the file ends inside the compressed data");
  // A member cut before its 8-byte trailer (CRC and length) is truncated too.
  const auto trailer = write("trailer.csv.gz", packed.substr(0, packed.size() - 4));
  expect_error(read_error(trailer, {}), trailer.string(), 1, "corrupt gzip data");

  const auto trailing = write("trailing.csv.gz", packed + "junk");
  expect_error(read_error(trailing, {}), trailing.string(), 1,
               "corrupt gzip data: 4 unexpected bytes after the end of the compressed data (at "
               "byte " +
                   std::to_string(packed.size()));

  // The tokenizer reports the same.
  try {
    CsvTokenizer csv(bad);
    FAIL();
  } catch (const ValueError& e) {
    expect_error(e.what(), bad.string(), 1, "corrupt gzip data");
  }
}

// ---- class labels --------------------------------------------------------------------------

Matrix<double> row(std::initializer_list<double> values) {
  Matrix<double> out(1, static_cast<Index>(values.size()));
  Index i = 0;
  for (const double v : values) out(0, i++) = v;
  return out;
}

TEST_F(CsvFiles, TextLabelsBecomeSortedClasses) {
  const auto path = write("iris.csv",
                          "w,species\n1,virginica\n2,setosa\n3, versicolor \n4,\"setosa\"\n"
                          "5,Zebra\n6,virginica\n");
  const Dataset<float> data = read_csv<float>(
      path, {.target_columns = {"species"}, .target_cells = CsvTargets::kClassLabels});
  // Byte order: upper case first.
  EXPECT_EQ(data.class_names,
            (std::vector<std::string>{"Zebra", "setosa", "versicolor", "virginica"}));
  EXPECT_EQ(data.num_classes, 4);
  ASSERT_EQ(data.targets.rows(), 1);
  EXPECT_EQ(data.targets, row({3, 1, 2, 1, 0, 3}).cast<float>());
  EXPECT_EQ(data.inputs.rows(), 1);
  EXPECT_EQ(data.inputs(0, 5), 6.0f);
}

TEST_F(CsvFiles, IntegerLabelsAreTheirOwnIndex) {
  const auto path = write("digits.csv", "x,label\n0.5,3\n1,0\n2,7\n3,07\n");
  const Dataset<double> data = read_csv<double>(
      path, {.target_columns = {"label"}, .target_cells = CsvTargets::kClassLabels});
  EXPECT_EQ(data.num_classes, 8);  // the largest label + 1, even with classes unseen
  EXPECT_TRUE(data.class_names.empty());
  EXPECT_EQ(data.targets, row({3, 0, 7, 7}));
  // Not all non-negative integers: then they are names like any other.
  for (const std::string odd : {"-1", "1.5", "+2", "1e1"}) {
    const auto mixed = write("mixed.csv", "x,label\n1,10\n2,9\n3," + odd + "\n");
    const Dataset<double> named = read_csv<double>(
        mixed, {.target_columns = {"label"}, .target_cells = CsvTargets::kClassLabels});
    std::vector<std::string> names{"10", "9", odd};
    std::sort(names.begin(), names.end());
    EXPECT_EQ(named.class_names, names) << odd;
    EXPECT_EQ(named.num_classes, 3);
    const auto index = [&](const std::string& name) {
      return static_cast<double>(std::find(names.begin(), names.end(), name) - names.begin());
    };
    EXPECT_EQ(named.targets, row({index("10"), index("9"), index(odd)})) << odd;
  }
  const auto huge = write("huge.csv", "x,label\n1,2\n2,16777216\n3,99999999999999999999999\n");
  expect_error(
      read_error(huge, {.target_columns = {"label"}, .target_cells = CsvTargets::kClassLabels}),
      huge.string(), 3,
      "column 'label': class \"16777216\" is too large: integer class labels must be "
      "below 16777216");
}

TEST_F(CsvFiles, KnownClassNamesGiveTheIndices) {
  const auto path = write("test.csv", "x,species\n1,virginica\n2,setosa\n");
  const CsvOptions options{.target_columns = {"species"},
                           .target_cells = CsvTargets::kClassLabels,
                           .class_names = {"versicolor", "virginica", "setosa"}};
  const Dataset<double> data = read_csv<double>(path, options);
  EXPECT_EQ(data.num_classes, 3);  // all known classes, not only those seen
  EXPECT_EQ(data.class_names, options.class_names);
  EXPECT_EQ(data.targets, row({1, 2}));

  const auto unknown = write("unknown.csv", "x,species\n1,virginica\n\n2,  Setosa\n");
  expect_error(read_error(unknown, options), unknown.string(), 4,
               "column 'species': \"Setosa\" is not one of the known classes ('versicolor', "
               "'virginica', 'setosa')");
  // A long list is shortened.
  CsvOptions many = options;
  many.class_names.clear();
  for (int i = 0; i < 50; ++i) many.class_names.push_back("class" + std::to_string(i));
  const std::string message = read_error(unknown, many);
  expect_error(message, unknown.string(), 2, "\"virginica\" is not one of the known classes");
  EXPECT_NE(message.find("'class9', ... (50 in all))"), std::string::npos) << message;
  EXPECT_EQ(message.find("class10"), std::string::npos) << message;
}

TEST_F(CsvFiles, KnownNumberOfClassesBoundsIntegerLabels) {
  const CsvOptions options{
      .target_columns = {"y"}, .target_cells = CsvTargets::kClassLabels, .num_classes = 5};
  const Dataset<double> data = read_csv<double>(write("ok.csv", "x,y\n1,0\n2,2\n"), options);
  EXPECT_EQ(data.num_classes, 5);
  EXPECT_TRUE(data.class_names.empty());
  EXPECT_EQ(data.targets, row({0, 2}));
  const auto beyond = write("beyond.csv", "x,y\n1,4\n2,5\n");
  expect_error(read_error(beyond, options), beyond.string(), 3,
               "column 'y': class \"5\" is out of range for num_classes = 5 (classes 0 to 4)");
  const auto text = write("text.csv", "x,y\n1,cat\n");
  expect_error(read_error(text, options), text.string(), 2,
               "column 'y': \"cat\" is not a class number: with num_classes = 5 the labels are "
               "the integers 0 to 4");
}

TEST_F(CsvFiles, EmptyLabelsNameTheLineAndColumn) {
  const auto path = write("gap.csv", "x,y\n1,a\n2,\n");
  for (const CsvTargets targets : {CsvTargets::kClassLabels, CsvTargets::kAuto})
    expect_error(read_error(path, {.target_columns = {"y"}, .target_cells = targets}),
                 path.string(), 3, "column 'y': empty cell, expected a class label");
  const auto blank = write("blank.csv", "x,y\n1,\"  \"\n");
  expect_error(
      read_error(blank, {.target_columns = {"y"}, .target_cells = CsvTargets::kClassLabels}),
      blank.string(), 2, "empty cell, expected a class label");
}

TEST_F(CsvFiles, AutoTargetsAreNumbersOrLabels) {
  const CsvOptions options{.target_columns = {"y"}, .target_cells = CsvTargets::kAuto};
  const Dataset<double> numbers =
      read_csv<double>(write("numbers.csv", "x,y\n1,0.5\n2,3\n3,-1e2\n"), options);
  EXPECT_EQ(numbers.num_classes, 0);
  EXPECT_TRUE(numbers.class_names.empty());
  EXPECT_EQ(numbers.targets, row({0.5, 3, -100}));
  // Integers are numbers too, to kAuto.
  EXPECT_EQ(read_csv<double>(write("ints.csv", "x,y\n1,0\n2,1\n"), options).num_classes, 0);

  // One label late in the file makes the whole column labels.
  const auto labels = write("labels.csv", "x,y\n1,2\n2,1\n3,nan\n4,b\n");
  const Dataset<double> classes = read_csv<double>(labels, options);
  EXPECT_EQ(classes.class_names, (std::vector<std::string>{"1", "2", "b", "nan"}));
  EXPECT_EQ(classes.num_classes, 4);
  EXPECT_EQ(classes.targets, row({1, 0, 3, 2}));
  EXPECT_EQ(classes.inputs, row({1, 2, 3, 4}));
  expect_same(classes, read_csv<double>(labels, {.target_columns = {"y"},
                                                 .target_cells = CsvTargets::kClassLabels}));

  // Known classes (a training file's) mean labels, even when every cell is a number.
  const auto digits = write("digits.csv", "x,y\n1,1\n2,0\n");
  CsvOptions known = options;
  known.num_classes = 3;
  const Dataset<double> read_known = read_csv<double>(digits, known);
  EXPECT_EQ(read_known.num_classes, 3);
  EXPECT_EQ(read_known.targets, row({1, 0}));
  known.num_classes = 0;
  known.class_names = {"1", "0"};
  EXPECT_EQ(read_csv<double>(digits, known).targets, row({0, 1}));

  // Errors in the features before the first label are reported as in any read.
  const auto bad = write("bad.csv", "x,y\n1,2\nz,3\n4,b\n");
  expect_error(read_error(bad, options), bad.string(), 3, "column 'x': \"z\" is not a number");
  const auto ragged = write("ragged.csv", "x,y\n1,2\n2,b\n3\n");
  expect_error(read_error(ragged, options), ragged.string(), 4, "1 cells, expected 2");
}

TEST(CsvOptions, ValidateNamesTheClassFields) {
  const CsvOptions labels{.target_columns = {"y"}, .target_cells = CsvTargets::kClassLabels};
  EXPECT_EQ(labels.validate(), std::nullopt);
  EXPECT_EQ((CsvOptions{.target_cells = CsvTargets::kClassLabels}.validate()),
            "CsvOptions::target_cells = labels: needs exactly one target column (the labels), "
            "target_columns has 0");
  EXPECT_EQ(
      (CsvOptions{.target_columns = {"a", "b"}, .target_cells = CsvTargets::kAuto}.validate()),
      "CsvOptions::target_cells = auto: needs exactly one target column (the labels), "
      "target_columns has 2");
  EXPECT_EQ((CsvOptions{.target_columns = {"y"}, .class_names = {"a", "b"}}.validate()),
            "CsvOptions::class_names = 'a', 'b': class names need target_cells = labels or auto, "
            "not numbers");
  EXPECT_EQ((CsvOptions{.target_columns = {"y"}, .num_classes = 3}.validate()),
            "CsvOptions::num_classes = 3: a number of classes needs target_cells = labels or "
            "auto, not numbers");
  CsvOptions both = labels;
  both.class_names = {"a", "b"};
  both.num_classes = 2;
  EXPECT_EQ(both.validate(),
            "CsvOptions::num_classes = 2: give class_names or num_classes, not both "
            "(class_names has 2 names)");
  CsvOptions negative = labels;
  negative.num_classes = -1;
  EXPECT_EQ(negative.validate(),
            "CsvOptions::num_classes = -1: must be >= 0 (0: the classes are found from the "
            "labels)");
  CsvOptions huge = labels;
  huge.num_classes = kMaxCsvClasses + 1;
  EXPECT_EQ(huge.validate(), "CsvOptions::num_classes = 16777217: must be <= 16777216");
  CsvOptions empty = labels;
  empty.class_names = {"a", ""};
  EXPECT_EQ(empty.validate(), "CsvOptions::class_names[1] = '': must not be empty");
  CsvOptions twice = labels;
  twice.class_names = {"a", "b", "c", "b"};
  EXPECT_EQ(twice.validate(),
            "CsvOptions::class_names[3] = 'b': listed twice (also class_names[1])");
  twice.target_cells = CsvTargets::kAuto;
  EXPECT_NE(twice.validate(), std::nullopt);
  EXPECT_THROW(read_csv<float>(kFiles / "regression.csv", both), ConfigError);

  CsvTargets parsed = CsvTargets::kNumbers;
  EXPECT_TRUE(parse_enum("labels", parsed));
  EXPECT_EQ(parsed, CsvTargets::kClassLabels);
  EXPECT_EQ(to_string(CsvTargets::kAuto), "auto");
  EXPECT_EQ(enum_choices(CsvTargets{}), "numbers, labels, auto");
  EXPECT_FALSE(parse_enum("classes", parsed));
}

// ---- the fast paths ------------------------------------------------------------------------

TEST(CsvTokenizer, ViewsMatchCopiesAndSurviveEscapedCells) {
  // Several cells with "" in one record: each keeps its own text (short ones, too).
  const std::string text =
      "\"a\"\"b\",\"\"\"\",plain,\"x\"\"\"\"y\",\"long cell with \"\"quotes\"\" in "
      "it\"\nnext\n";
  CsvTokenizer csv(text, "t.csv");
  std::vector<std::string_view> views;
  ASSERT_TRUE(csv.next(views));
  EXPECT_EQ(std::vector<std::string>(views.begin(), views.end()),
            (Cells{"a\"b", "\"", "plain", "x\"\"y", "long cell with \"quotes\" in it"}));
  ASSERT_TRUE(csv.next(views));
  EXPECT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0], "next");
  EXPECT_FALSE(csv.next(views));
  csv.rewind();
  Cells cells;
  ASSERT_TRUE(csv.next(cells));
  EXPECT_EQ(csv.line(), 1u);
  EXPECT_EQ(cells[3], "x\"\"y");
}

TEST(CsvTokenizer, LongCellsNulBytesAndQuotesFarIntoACell) {
  const std::string long_cell(150, 'q');
  const auto records = tokenize("a," + long_cell + ",b\n" + long_cell + "\n" +
                                std::string("x\0y,z", 5) + "\n" + long_cell);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].second, (Cells{"a", long_cell, "b"}));
  EXPECT_EQ(records[1].second, (Cells{long_cell}));
  EXPECT_EQ(records[2].second, (Cells{std::string("x\0y", 3), "z"}));
  EXPECT_EQ(records[3].second, (Cells{long_cell}));
  EXPECT_EQ(records[3].first, 4u);
  expect_error(tokenize_error("a,b\n1," + long_cell + "\"" + long_cell + "\n"), "text.csv", 2,
               "quote character inside unquoted cell 2");
  // Line breaks inside a long quoted cell are counted.
  const auto quoted = tokenize("\"" + long_cell + "\n" + long_cell + "\n\",1\nz,2\n");
  ASSERT_EQ(quoted.size(), 2u);
  EXPECT_EQ(quoted[1].first, 4u);
}

// parse_number against from_chars on random decimal text: the same value, or an error where
// from_chars does not read the whole cell or gives a non-finite or out-of-range value.
template <class Scalar>
void check_against_from_chars(const std::string& cell, const CsvTokenizer& csv) {
  std::string_view text = cell;
  if (text.size() > 1 && text[0] == '+' && text[1] != '+' && text[1] != '-') text.remove_prefix(1);
  Scalar expected{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), expected);
  const bool valid =
      error == std::errc() && end == text.data() + text.size() && std::isfinite(expected);
  if (!valid) {
    EXPECT_THROW(csv.parse_number<Scalar>(cell, 1, "c"), ValueError) << cell;
    return;
  }
  const Scalar got = csv.parse_number<Scalar>(cell, 1, "c");
  EXPECT_EQ(got, expected) << cell;
  EXPECT_EQ(std::signbit(got), std::signbit(expected)) << cell;
}

TYPED_TEST(CsvNumbers, AgreesWithFromCharsOnRandomDecimals) {
  using Scalar = TypeParam;
  const CsvTokenizer csv("", "t.csv");
  std::mt19937_64 random(20240601);
  const auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  char buffer[64];
  for (int trial = 0; trial < 200000; ++trial) {
    std::string cell;
    if (trial % 4 == 0) {  // printf output of a random value
      const double value =
          std::ldexp(static_cast<double>(random() >> 11), pick(140) - 120) * (pick(2) ? 1 : -1);
      const char* formats[] = {"%.6g", "%.9g", "%.17g", "%g", "%.3f", "%.12e"};
      std::snprintf(buffer, sizeof buffer, formats[pick(6)], value);
      cell = buffer;
    } else {  // digits, a dot, an exponent and stray characters in random places
      const char* signs[] = {"", "", "-", "+"};
      cell = signs[pick(4)];
      const int digits = pick(22);
      const int dot = pick(digits + 2);
      for (int i = 0; i < digits; ++i) {
        if (i == dot) cell += '.';
        cell += static_cast<char>('0' + (pick(3) == 0 ? 0 : pick(10)));
      }
      if (dot == digits && pick(2)) cell += '.';
      if (pick(3) == 0) {
        cell += pick(2) ? 'e' : 'E';
        cell += signs[pick(4)];
        const int exponent_digits = pick(5);
        for (int i = 0; i < exponent_digits; ++i) cell += static_cast<char>('0' + pick(10));
      }
      if (pick(30) == 0)
        cell.insert(static_cast<std::size_t>(pick(static_cast<int>(cell.size()) + 1)), 1,
                    "x.-e,"[pick(5)]);
    }
    check_against_from_chars<Scalar>(cell, csv);
  }
  // Halfway cases and their neighbours: float rounds ties to even, after no double rounding.
  for (const std::string cell :
       {"16777217", "16777219", "33554435", "0.5000000298023223876953125", "1.00000005960464477",
        "1.0000000596046448", "3.4028235e38", "1e-45", "1e-46", "4.9e-324",
        "2.2250738585072014e-308", "9007199254740993", "9007199254740992", "123456789012345678",
        "0.1", "-0", "-0.0e5", "1234567.8901234567"})
    check_against_from_chars<Scalar>(cell, csv);
}

TEST_F(CsvFiles, LargeFileMatchesTheSlowReading) {
  // Many rows with blank lines, CRLF, quoted and long unselected cells and no final line break:
  // the fast reader against the tokenizer's cells parsed one by one.
  std::mt19937_64 random(7);
  std::string text = "id,note,a,b,c\r\n";
  char buffer[32];
  for (int i = 0; i < 5000; ++i) {
    text += std::to_string(i) + ",";
    text += i % 7 == 0 ? "\"say \"\"hi\"\",\n there\"" : std::string(i % 97, 'n');
    for (int j = 0; j < 3; ++j) {
      std::snprintf(buffer, sizeof buffer, j == 1 ? "%.9g" : "%.6g",
                    std::ldexp(static_cast<double>(random() >> 11),
                               -53 + static_cast<int>(random() % 40) - 20) -
                        0.25);
      text += std::string(",") + (j == 2 && i % 5 == 0 ? " " : "") + buffer;
    }
    text += i % 3 == 0 ? "\r\n" : "\n";
    if (i % 11 == 0) text += "\n";
  }
  text.pop_back();
  const auto path = write("large.csv", text);
  const Dataset<float> data =
      read_csv<float>(path, {.feature_columns = {"c", "a"}, .target_columns = {"b"}});
  ASSERT_EQ(data.size(), 5000);
  CsvTokenizer csv(text, "large.csv");
  Cells cells;
  ASSERT_TRUE(csv.next(cells));
  for (Index i = 0; csv.next(cells); ++i) {
    ASSERT_EQ(cells.size(), 5u);
    EXPECT_EQ(data.inputs(0, i), csv.parse_number<float>(cells[4], csv.line(), "c"));
    EXPECT_EQ(data.inputs(1, i), csv.parse_number<float>(cells[2], csv.line(), "a"));
    EXPECT_EQ(data.targets(0, i), csv.parse_number<float>(cells[3], csv.line(), "b"));
  }
}

TEST_F(CsvFiles, ErrorsFarIntoALargeFileNameTheirLine) {
  std::string text = "a,b\n";
  for (int i = 0; i < 3000; ++i) text += std::to_string(i) + ".5," + std::to_string(i) + "e-3\n";
  const auto bad = write("bad.csv", text + "1,2x\n");
  expect_error(read_error(bad, {}), bad.string(), 3002, "column 'b': \"2x\" is not a number");
  const auto nan = write("nan.csv", text + "NaN,1\n");
  expect_error(read_error(nan, {}), nan.string(), 3002, "column 'a': \"NaN\" is not finite");
  const auto ragged = write("ragged.csv", text + "1,2,3\n");
  expect_error(read_error(ragged, {}), ragged.string(), 3002,
               "3 cells, expected 2 as in the header on line 1");
  const auto gz = write("bad.csv.gz", gzip(text + "1,\"\n"));
  expect_error(read_error(gz, {}), gz.string(), 3002, "no closing quote");
}

}  // namespace
}  // namespace curvopt
