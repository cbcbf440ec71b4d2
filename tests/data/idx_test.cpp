#include "curvopt/data/idx.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/core/random.h"
#include "testing/helpers.h"

namespace curvopt {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// A fresh directory per test, removed afterwards.
class IdxFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("curvopt_idx_test_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const Bytes& bytes) const {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  // Writes `bytes` gzip-compressed through zlib's gzwrite.
  fs::path write_gzip(const std::string& name, const Bytes& bytes) const {
    const fs::path path = dir_ / name;
    gzFile file = gzopen(path.c_str(), "wb");
    EXPECT_NE(file, nullptr);
    if (!bytes.empty()) {
      EXPECT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
                static_cast<int>(bytes.size()));
    }
    EXPECT_EQ(gzclose(file), Z_OK);
    return path;
  }
  Bytes read(const fs::path& path) const {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  fs::path dir_;
};

// An idx file: magic {0, 0, type, dims}, big-endian dimensions, then the data.
Bytes idx(const std::vector<std::uint32_t>& dims, const Bytes& data, std::uint8_t type = 0x08) {
  Bytes out = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (const std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>(d >> shift));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes iota_bytes(std::size_t n, std::uint8_t first = 0) {
  Bytes out(n);
  std::iota(out.begin(), out.end(), first);
  return out;
}

std::string error_of(const fs::path& path) {
  try {
    read_idx(path);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

// The message starts with the file and the byte offset, and contains `what`.
void expect_error(const std::string& message, const fs::path& path, const std::string& where,
                  const std::string& what) {
  EXPECT_EQ(message.rfind(path.string() + ": " + where + ": ", 0), 0u) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

TEST_F(IdxFiles, ReadsDimensionsAndDataOfAnImageFile) {
  const Bytes data = iota_bytes(2 * 3 * 4, 200);  // wraps past 255
  const IdxArray array = read_idx(write("images", idx({2, 3, 4}, data)));
  EXPECT_EQ(array.dims, (std::vector<std::uint32_t>{2, 3, 4}));
  EXPECT_EQ(array.data, data);
}

TEST_F(IdxFiles, ReadsBigEndianDimensionsAbove255) {
  const IdxArray array = read_idx(write("labels", idx({300}, Bytes(300, 7))));
  ASSERT_EQ(array.dims.size(), 1u);
  EXPECT_EQ(array.dims[0], 300u);
  EXPECT_EQ(array.data.size(), 300u);
}

TEST_F(IdxFiles, AcceptsOneToFourDimensions) {
  for (std::uint32_t n = 1; n <= 4; ++n) {
    const std::vector<std::uint32_t> dims(n, 2);
    const Bytes data = iota_bytes(std::size_t{1} << n);
    std::string name = "dims_";
    name += std::to_string(n);
    const IdxArray array = read_idx(write(name, idx(dims, data)));
    EXPECT_EQ(array.dims, dims);
    EXPECT_EQ(array.data, data);
  }
}

TEST_F(IdxFiles, AcceptsAZeroDimensionWithNoData) {
  const IdxArray array = read_idx(write("empty_array", idx({0, 28, 28}, {})));
  EXPECT_EQ(array.dims, (std::vector<std::uint32_t>{0, 28, 28}));
  EXPECT_TRUE(array.data.empty());
}

TEST_F(IdxFiles, GzipFilesReadTheSameAsRawFiles) {
  const Bytes bytes = idx({3, 5, 5}, iota_bytes(75, 100));
  const IdxArray raw = read_idx(write("images", bytes));
  const IdxArray gz = read_idx(write_gzip("images.gz", bytes));
  EXPECT_EQ(gz.dims, raw.dims);
  EXPECT_EQ(gz.data, raw.data);
}

TEST_F(IdxFiles, GzipDecompressesFarBeyondTheCompressedSize) {
  // 4 MB of mostly zeros compress to a few kB: the output buffer must keep growing.
  Bytes data(1000 * 64 * 64, 0);
  Rng rng(3);
  for (int k = 0; k < 1000; ++k) data[rng.uniform_int(data.size())] = 255;
  const fs::path path = write_gzip("big.gz", idx({1000, 64, 64}, data));
  ASSERT_LT(fs::file_size(path), data.size() / 20);
  const IdxArray array = read_idx(path);
  EXPECT_EQ(array.dims, (std::vector<std::uint32_t>{1000, 64, 64}));
  EXPECT_EQ(array.data, data);
}

TEST_F(IdxFiles, GzipOfIncompressibleDataRoundTrips) {
  Bytes data(200 * 28 * 28);
  Rng rng(11);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng.uniform_int(256));
  const IdxArray array = read_idx(write_gzip("noise.gz", idx({200, 28, 28}, data)));
  EXPECT_EQ(array.data, data);
}

TEST_F(IdxFiles, ConcatenatedGzipMembersReadAsOneStream) {
  const Bytes bytes = idx({4, 4}, iota_bytes(16, 1));
  const Bytes first(bytes.begin(), bytes.begin() + 10);
  const Bytes second(bytes.begin() + 10, bytes.end());
  Bytes both = read(write_gzip("a.gz", first));
  const Bytes tail = read(write_gzip("b.gz", second));
  both.insert(both.end(), tail.begin(), tail.end());
  const IdxArray array = read_idx(write("both.gz", both));
  EXPECT_EQ(array.dims, (std::vector<std::uint32_t>{4, 4}));
  EXPECT_EQ(array.data, iota_bytes(16, 1));
}

TEST_F(IdxFiles, MissingFileAndDirectoryNameThePath) {
  const fs::path missing = dir_ / "no_such_file";
  expect_error(error_of(missing), missing, "byte 0", "cannot open the file");
  expect_error(error_of(dir_), dir_, "byte 0", "cannot read the file");
}

TEST_F(IdxFiles, EmptyFilesAreRejected) {
  const fs::path path = write("empty", {});
  expect_error(error_of(path), path, "byte 0", "empty file");
  const fs::path gz = write_gzip("empty.gz", {});
  expect_error(error_of(gz), gz, "byte 0 of the decompressed data", "empty file");
}

TEST_F(IdxFiles, WrongMagicShowsFoundAndExpected) {
  const fs::path path = write("bad_magic", {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0});
  expect_error(error_of(path), path, "byte 0",
               "wrong magic number 0x12345678: expected 0x000008NN");
  // A little-endian header, a common mistake when writing idx files by hand.
  const fs::path swapped = write("little_endian", {0x03, 0x08, 0, 0, 2, 0, 0, 0, 1, 2});
  expect_error(error_of(swapped), swapped, "byte 0", "wrong magic number 0x03080000");
  EXPECT_NE(error_of(swapped).find("0x00000803 for images or 0x00000801 for labels"),
            std::string::npos);
}

TEST_F(IdxFiles, UnsupportedDataTypeIsNamed) {
  const fs::path path = write("floats", idx({2}, Bytes(8, 0), 0x0D));
  expect_error(error_of(path), path, "byte 2",
               "unsupported data type 0x0D (float32) in magic 0x00000D01: only unsigned bytes "
               "(0x08) are supported");
  const fs::path unknown = write("unknown", idx({2}, Bytes(2, 0), 0x42));
  expect_error(error_of(unknown), unknown, "byte 2", "0x42 (not an idx data type)");
}

TEST_F(IdxFiles, NumberOfDimensionsOutsideOneToFourIsRejected) {
  const fs::path zero = write("zero_dims", {0, 0, 8, 0});
  expect_error(error_of(zero), zero, "byte 3", "unsupported number of dimensions 0");
  const fs::path five = write("five_dims", idx({1, 1, 1, 1, 1}, {9}));
  expect_error(error_of(five), five, "byte 3", "unsupported number of dimensions 5");
}

TEST_F(IdxFiles, TruncatedHeaderGivesExpectedAndActualSize) {
  const fs::path magic_only = write("short_magic", {0, 0});
  expect_error(error_of(magic_only), magic_only, "byte 2",
               "truncated header: the idx magic number needs 4 bytes, the file has 2");
  Bytes bytes = idx({60000, 28, 28}, {});
  bytes.resize(10);
  const fs::path path = write("short_header", bytes);
  expect_error(error_of(path), path, "byte 10",
               "truncated header: 3 dimensions need a 16-byte header, the file has 10 bytes");
}

TEST_F(IdxFiles, TruncatedDataGivesExpectedAndActualSize) {
  const fs::path path = write("short_data", idx({2, 3, 3}, Bytes(10, 1)));
  expect_error(error_of(path), path, "byte 26",
               "truncated data: dimensions 2×3×3 need 18 data bytes after the 16-byte header, "
               "the file has 10 (26 bytes in all)");
}

TEST_F(IdxFiles, DimensionsWhoseProductOverflowsAreTruncatedData) {
  const fs::path path =
      write("huge", idx({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, Bytes(4, 0)));
  expect_error(error_of(path), path, "byte 24", "need more than 2^64 data bytes");
}

TEST_F(IdxFiles, TrailingBytesAfterTheDataAreRejected) {
  const fs::path path = write("trailing", idx({2, 3, 3}, Bytes(20, 1)));
  expect_error(error_of(path), path, "byte 34",
               "2 trailing bytes after the data: dimensions 2×3×3 need 18 data bytes after the "
               "16-byte header (34 bytes in all), the file has 36 bytes");
}

TEST_F(IdxFiles, ErrorsInGzipFilesGiveDecompressedOffsets) {
  const fs::path path = write_gzip("short.gz", idx({2, 3, 3}, Bytes(10, 1)));
  expect_error(error_of(path), path, "byte 26 of the decompressed data", "truncated data");
  const fs::path magic = write_gzip("magic.gz", {1, 2, 3, 4, 5});
  expect_error(error_of(magic), magic, "byte 0 of the decompressed data", "wrong magic number");
}

TEST_F(IdxFiles, TruncatedGzipStreamIsCorrupt) {
  Bytes data(5000);
  Rng rng(5);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng.uniform_int(256));
  Bytes gz = read(write_gzip("full.gz", idx({5000}, data)));
  gz.resize(gz.size() / 2);
  const fs::path path = write("cut.gz", gz);
  expect_error(error_of(path), path, "byte " + std::to_string(gz.size()),
               "corrupt gzip stream: the file ends inside the compressed data");
}

TEST_F(IdxFiles, DamagedGzipTrailerIsCorrupt) {
  Bytes gz = read(write_gzip("ok.gz", idx({16}, iota_bytes(16))));
  gz[gz.size() - 8] ^= 0xFF;  // the CRC-32 of the uncompressed data
  const fs::path path = write("bad_crc.gz", gz);
  expect_error(error_of(path), path, "byte " + std::to_string(gz.size() - 4),
               "corrupt gzip stream: incorrect data check");
}

TEST_F(IdxFiles, DamagedDeflateDataIsCorrupt) {
  Bytes gz = read(write_gzip("ok.gz", idx({64, 64}, Bytes(64 * 64, 3))));
  for (std::size_t k = 10; k < gz.size() - 8; ++k) gz[k] = 0xFF;  // invalid block types
  const fs::path path = write("garbage.gz", gz);
  const std::string message = error_of(path);
  EXPECT_EQ(message.rfind(path.string() + ": byte ", 0), 0u) << message;
  EXPECT_NE(message.find("corrupt gzip stream"), std::string::npos) << message;
}

TEST_F(IdxFiles, GarbageAfterTheGzipStreamIsCorrupt) {
  Bytes gz = read(write_gzip("ok.gz", idx({4}, {1, 2, 3, 4})));
  const std::size_t end = gz.size();
  gz.insert(gz.end(), {'x', 'y', 'z'});
  const fs::path path = write("trailing.gz", gz);
  expect_error(error_of(path), path, "byte " + std::to_string(end),
               "corrupt gzip stream: 3 unexpected bytes after the end of the compressed data");
}

template <class Scalar>
class IdxClassification : public IdxFiles {};
using ScalarTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(IdxClassification, ScalarTypes);

TYPED_TEST(IdxClassification, ScalesPixelsExactlyAndKeepsThePixelOrder) {
  using Scalar = TypeParam;
  // Two 2×3 images; image 0 has pixels 0, 1, 128 / 254, 255, 7 (row-major).
  const Bytes pixels = {0, 1, 128, 254, 255, 7, 10, 20, 30, 40, 50, 60};
  const auto images = this->write("images", idx({2, 2, 3}, pixels));
  const auto labels = this->write("labels", idx({2}, {9, 0}));
  const Dataset<Scalar> data = load_idx_classification<Scalar>(images, labels, "tiny/train");
  EXPECT_EQ(data.name, "tiny/train");
  EXPECT_EQ(data.num_classes, 10);
  ASSERT_EQ(data.inputs.rows(), 6);
  ASSERT_EQ(data.inputs.cols(), 2);
  EXPECT_EQ(data.inputs(0, 0), Scalar(0));
  EXPECT_EQ(data.inputs(1, 0), Scalar(1) / Scalar(255));
  EXPECT_EQ(data.inputs(2, 0), Scalar(128) / Scalar(255));
  EXPECT_EQ(data.inputs(3, 0), Scalar(254) / Scalar(255));
  EXPECT_EQ(data.inputs(4, 0), Scalar(1));
  for (Index i = 0; i < 2; ++i)
    for (Index r = 0; r < 2; ++r)
      for (Index c = 0; c < 3; ++c)
        EXPECT_EQ(data.inputs(r * 3 + c, i),
                  Scalar(pixels[static_cast<std::size_t>(i * 6 + r * 3 + c)]) / Scalar(255));
  ASSERT_EQ(data.targets.rows(), 1);
  ASSERT_EQ(data.targets.cols(), 2);
  EXPECT_EQ(data.targets(0, 0), Scalar(9));
  EXPECT_EQ(data.targets(0, 1), Scalar(0));
}

TYPED_TEST(IdxClassification, ReadsGzipPairsAndFlatImages) {
  using Scalar = TypeParam;
  const auto images = this->write_gzip("images.gz", idx({3, 4}, iota_bytes(12)));
  const auto labels = this->write_gzip("labels.gz", idx({3}, {2, 1, 0}));
  const Dataset<Scalar> data = load_idx_classification<Scalar>(images, labels, "flat", 3);
  EXPECT_EQ(data.inputs.rows(), 4);
  EXPECT_EQ(data.inputs.cols(), 3);
  EXPECT_EQ(data.inputs(3, 2), Scalar(11) / Scalar(255));
  EXPECT_EQ(data.targets(0, 0), Scalar(2));
  EXPECT_EQ(data.num_classes, 3);
}

TEST_F(IdxFiles, CountMismatchNamesBothFiles) {
  const auto images = write("images", idx({3, 2, 2}, Bytes(12, 0)));
  const auto labels = write("labels", idx({2}, {1, 2}));
  try {
    load_idx_classification<float>(images, labels, "x");
    FAIL();
  } catch (const ValueError& e) {
    expect_error(
        e.what(), labels, "byte 4",
        "the label file has 2 labels but the image file " + images.string() + " has 3 images");
  }
}

TEST_F(IdxFiles, LabelOutOfRangeNamesTheExampleAndOffset) {
  const auto images = write("images", idx({3, 1, 1}, {0, 0, 0}));
  const auto labels = write("labels", idx({3}, {1, 12, 2}));
  try {
    load_idx_classification<double>(images, labels, "x", 10);
    FAIL();
  } catch (const ValueError& e) {
    expect_error(e.what(), labels, "byte 9",
                 "example 1: label 12 is out of range for num_classes = 10");
  }
  EXPECT_NO_THROW(load_idx_classification<double>(images, labels, "x", 13));
  const auto gz_labels = write_gzip("labels.gz", idx({3}, {1, 2, 3}));
  try {
    load_idx_classification<double>(images, gz_labels, "x", 3);
    FAIL();
  } catch (const ValueError& e) {
    expect_error(e.what(), gz_labels, "byte 10 of the decompressed data",
                 "example 2: label 3 is out of range for num_classes = 3");
  }
}

TEST_F(IdxFiles, WrongNumbersOfDimensionsForImagesOrLabels) {
  const auto flat = write("flat", idx({3}, {0, 0, 0}));
  const auto labels = write("labels", idx({3}, {0, 0, 0}));
  const auto square = write("square", idx({3, 1}, {0, 0, 0}));
  try {
    load_idx_classification<float>(flat, labels, "x");
    FAIL();
  } catch (const ValueError& e) {
    expect_error(e.what(), flat, "byte 3", "expected an image file with 2 to 4 dimensions");
  }
  try {
    load_idx_classification<float>(square, square, "x");
    FAIL();
  } catch (const ValueError& e) {
    expect_error(e.what(), square, "byte 3", "expected a label file with 1 dimension (N), found 2");
  }
}

TEST_F(IdxFiles, EmptyDatasetsAreRejected) {
  const auto images = write("images", idx({0, 2, 2}, {}));
  const auto labels = write("labels", idx({0}, {}));
  try {
    load_idx_classification<float>(images, labels, "x");
    FAIL();
  } catch (const ValueError& e) {
    expect_error(e.what(), images, "byte 4", "no examples");
  }
}

TEST_F(IdxFiles, ErrorsInEitherFilePropagate) {
  const auto good = write("labels", idx({1}, {0}));
  const auto bad = write("bad", {0, 0, 9, 3});
  EXPECT_THROW(load_idx_classification<float>(bad, good, "x"), ValueError);
  EXPECT_THROW(load_idx_classification<float>(good, bad, "x"), ValueError);
}

TEST_F(IdxFiles, NumClassesOutsideByteRangeIsAConfigError) {
  const auto images = write("images", idx({1, 1}, {0}));
  const auto labels = write("labels", idx({1}, {0}));
  EXPECT_THROW(load_idx_classification<float>(images, labels, "x", 0), ConfigError);
  EXPECT_THROW(load_idx_classification<float>(images, labels, "x", 257), ConfigError);
}

// The real datasets, when scripts/fetch_data has put them in the data directory.
fs::path data_file(const std::string& relative) { return testing::real_data_file(relative); }

TEST(IdxRealData, MnistTrainingSetMatchesItsKnownLabelsAndMean) {
  const fs::path images = data_file("mnist/train-images-idx3-ubyte");
  const fs::path labels = data_file("mnist/train-labels-idx1-ubyte");
  if (images.empty() || labels.empty()) GTEST_SKIP() << "MNIST not in the data directory";
  const Dataset<float> data = load_idx_classification<float>(images, labels, "mnist/train");
  EXPECT_EQ(data.inputs.rows(), 784);
  EXPECT_EQ(data.inputs.cols(), 60000);
  const std::vector<float> first = {5, 0, 4, 1, 9, 2, 1, 3, 1, 4};
  for (Index i = 0; i < 10; ++i) EXPECT_EQ(data.targets(0, i), first[static_cast<std::size_t>(i)]);
  EXPECT_NEAR(data.inputs.cast<double>().mean(), 0.1307, 5e-5);
}

TEST(IdxRealData, FashionMnistGzipMatchesItsKnownLabels) {
  const fs::path images = data_file("fashion-mnist/train-images-idx3-ubyte.gz");
  const fs::path labels = data_file("fashion-mnist/train-labels-idx1-ubyte.gz");
  if (images.empty() || labels.empty()) GTEST_SKIP() << "Fashion-MNIST not in the data directory";
  const Dataset<float> data = load_idx_classification<float>(images, labels, "fashion/train");
  EXPECT_EQ(data.inputs.rows(), 784);
  EXPECT_EQ(data.inputs.cols(), 60000);
  const std::vector<float> first = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
  for (Index i = 0; i < 10; ++i) EXPECT_EQ(data.targets(0, i), first[static_cast<std::size_t>(i)]);
}

}  // namespace
}  // namespace curvopt
