#include "curvopt/data/npy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Building .npy files byte by byte.

const std::string kMagic("\x93NUMPY", 6);

// The file: magic, version major.0, the header length (2 bytes in 1.0, 4 in 2.0 and 3.0), the
// header text and the data. With `pad`, the text gets spaces and a newline so that the data
// start at a multiple of 64 bytes, as numpy writes it.
std::string npy_file(std::string header, const std::string& data, int major = 1, bool pad = true) {
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  const std::size_t preamble = kMagic.size() + 2 + length_bytes;
  if (pad) {
    const std::size_t unpadded = preamble + header.size() + 1;
    header.append((unpadded + 63) / 64 * 64 - unpadded, ' ');
    header += '\n';
  }
  std::string out = kMagic;
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < length_bytes; ++i)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + data;
}

// The header dict numpy writes.
std::string dict(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

template <class T>
std::string bytes_of(T value, bool big_endian) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &value, sizeof(T));
  if (big_endian != (std::endian::native == std::endian::big)) std::reverse(out.begin(), out.end());
  return out;
}

template <class T>
std::string encode(const std::vector<T>& values, bool big_endian = false) {
  std::string out;
  for (const T& v : values) out += bytes_of(v, big_endian);
  return out;
}

class NpyFiles : public ::testing::Test {
 public:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("curvopt_npy_test_") + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& bytes) const {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  fs::path dir_;
};

template <class Scalar = double>
std::string read_error(const fs::path& path) {
  try {
    read_npy<Scalar>(path);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

std::string header_error(const fs::path& path) {
  try {
    read_npy_header(path);
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no error";
}

// The message is one line starting with "<file>: byte <offset>: " and contains every piece.
void expect_error(const std::string& message, const fs::path& file, std::uint64_t offset,
                  std::initializer_list<std::string> pieces) {
  const std::string prefix = file.string() + ": byte " + std::to_string(offset) + ": ";
  EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  for (const std::string& piece : pieces)
    EXPECT_NE(message.find(piece), std::string::npos)
        << "missing '" << piece << "' in: " << message;
}

// The message names the file and contains every piece (for offsets not worth pinning down).
void expect_error(const std::string& message, const fs::path& file,
                  std::initializer_list<std::string> pieces) {
  EXPECT_EQ(message.rfind(file.string() + ": byte ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  for (const std::string& piece : pieces)
    EXPECT_NE(message.find(piece), std::string::npos)
        << "missing '" << piece << "' in: " << message;
}

template <class Scalar>
bool same_bits(Scalar a, Scalar b) {
  return std::memcmp(&a, &b, sizeof(Scalar)) == 0;
}

// `m` is rows × cols and holds `expected` column after column, bit for bit.
template <class Scalar, class T>
void expect_matrix(const Matrix<Scalar>& m, Index rows, Index cols,
                   const std::vector<T>& expected) {
  ASSERT_EQ(m.rows(), rows);
  ASSERT_EQ(m.cols(), cols);
  ASSERT_EQ(static_cast<std::size_t>(rows * cols), expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k)
    EXPECT_TRUE(same_bits(m.data()[k], static_cast<Scalar>(expected[k])))
        << "storage position " << k << ": " << m.data()[k] << " vs " << expected[k];
}

// ---------------------------------------------------------------------------------------------
// dtypes, in both byte orders

// Writes `values` as a (3, 2) array of `code` in little- and big-endian order (and with the
// other prefixes that mean the same thing) and reads each back as Scalar.
template <class Scalar, class T>
void check_dtype(const NpyFiles& files, const std::string& code, const std::vector<T>& values,
                 const std::vector<double>& expected) {
  SCOPED_TRACE(code);
  ASSERT_EQ(values.size(), 6u);
  std::vector<std::pair<std::string, bool>> variants = {{"<", false}, {">", true}};
  if (sizeof(T) == 1) variants.push_back({"|", false});
  variants.push_back({"=", std::endian::native == std::endian::big});
  variants.push_back({"", std::endian::native == std::endian::big});
  for (const auto& [prefix, big] : variants) {
    SCOPED_TRACE("prefix '" + prefix + "'");
    const fs::path path =
        files.write("dtype.npy", npy_file(dict(prefix + code, "(3, 2)"), encode(values, big)));
    NpyHeader header;
    const Matrix<Scalar> m = read_npy<Scalar>(path, &header);
    EXPECT_EQ(header.dtype, prefix + code);
    EXPECT_FALSE(header.fortran_order);
    EXPECT_EQ(header.shape, (std::vector<Index>{3, 2}));
    expect_matrix(m, 2, 3, expected);
  }
}

TEST_F(NpyFiles, ReadsEveryFloatDtype) {
  // f2: 1, -2, 65504 (largest), 2^-24 (smallest subnormal), 1023·2^-24, -0.
  const std::vector<std::uint16_t> halves = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x8000};
  const std::vector<double> half_values = {1.0, -2.0, 65504.0, 0x1p-24, 1023 * 0x1p-24, -0.0};
  check_dtype<float>(*this, "f2", halves, half_values);
  check_dtype<double>(*this, "f2", halves, half_values);
  // 0x3555 is 0x555·2^-12 = 0.333251953125 exactly; 0x0400 is the smallest normal 2^-14.
  check_dtype<double>(*this, "f2",
                      std::vector<std::uint16_t>{0x3555, 0x0400, 0xFBFF, 0, 0x4248, 0x7800},
                      {0.333251953125, 0x1p-14, -65504.0, 0.0, 3.140625, 32768.0});

  const std::vector<float> floats = {
      1.5f,   -0.0f, std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(),
      -2.25f, 0.1f};
  std::vector<double> float_values(floats.begin(), floats.end());
  check_dtype<float>(*this, "f4", floats, float_values);
  check_dtype<double>(*this, "f4", floats, float_values);

  const std::vector<double> doubles = {1.0 / 3.0,
                                       -1e300,
                                       std::numeric_limits<double>::denorm_min(),
                                       -0.0,
                                       std::numeric_limits<double>::max(),
                                       0.1};
  check_dtype<double>(*this, "f8", doubles, doubles);
  // Into float, each rounds once.
  const std::vector<double> in_range = {1.0 / 3.0, -1e30, 1e-50, -0.0, 3.0e38, 0.1};
  std::vector<double> rounded;
  for (double v : in_range) rounded.push_back(static_cast<float>(v));
  check_dtype<float>(*this, "f8", in_range, rounded);
}

TEST_F(NpyFiles, ReadsEveryIntegerDtype) {
  const std::vector<std::int8_t> i1 = {-128, 127, 0, -1, 5, 100};
  check_dtype<float>(*this, "i1", i1, {-128, 127, 0, -1, 5, 100});
  const std::vector<std::uint8_t> u1 = {0, 255, 1, 128, 7, 200};
  check_dtype<float>(*this, "u1", u1, {0, 255, 1, 128, 7, 200});
  const std::vector<std::int16_t> i2 = {-32768, 32767, 0, -1, 258, -300};
  check_dtype<float>(*this, "i2", i2, {-32768, 32767, 0, -1, 258, -300});
  const std::vector<std::uint16_t> u2 = {0, 65535, 1, 256, 258, 40000};
  check_dtype<float>(*this, "u2", u2, {0, 65535, 1, 256, 258, 40000});

  const std::vector<std::int32_t> i4 = {std::numeric_limits<std::int32_t>::min(),
                                        std::numeric_limits<std::int32_t>::max(),
                                        0,
                                        -1,
                                        16777216,
                                        -16777216};
  check_dtype<double>(*this, "i4", i4, {-2147483648.0, 2147483647.0, 0, -1, 16777216, -16777216});
  // Into float: within ±2^24, and beyond it those that float holds exactly (-2^31, 2^24 + 2).
  check_dtype<float>(
      *this, "i4", std::vector<std::int32_t>{-2147483647 - 1, 16777218, 0, -1, 16777216, -16777216},
      {-2147483648.0, 16777218, 0, -1, 16777216, -16777216});
  const std::vector<std::uint32_t> u4 = {0, 4294967295u, 1, 65536, 16777216, 3000000000u};
  check_dtype<double>(*this, "u4", u4, {0, 4294967295.0, 1, 65536, 16777216, 3000000000.0});

  const std::int64_t two53 = std::int64_t{1} << 53;
  const std::vector<std::int64_t> i8 = {
      std::numeric_limits<std::int64_t>::min(), two53, -two53, 0, -1, std::int64_t{1} << 62};
  check_dtype<double>(*this, "i8", i8, {-0x1p63, 0x1p53, -0x1p53, 0, -1, 0x1p62});
  check_dtype<float>(*this, "i8", i8, {-0x1p63, 0x1p53, -0x1p53, 0, -1, 0x1p62});
  const std::vector<std::uint64_t> u8 = {
      0, 18446744073709549568ull /* 2^64 - 2^11 */, std::uint64_t{1} << 63, 1, 9007199254740992ull,
      42};
  check_dtype<double>(*this, "u8", u8, {0, 0x1p64 - 0x1p11, 0x1p63, 1, 0x1p53, 42});
}

TEST_F(NpyFiles, ReadsBooleans) {
  const std::vector<std::uint8_t> b1 = {0, 1, 1, 0, 0, 1};
  check_dtype<float>(*this, "b1", b1, {0, 1, 1, 0, 0, 1});
  check_dtype<double>(*this, "b1", b1, {0, 1, 1, 0, 0, 1});
}

// ---------------------------------------------------------------------------------------------
// Layout

TEST_F(NpyFiles, FortranAndCOrderGiveTheSameMatrix) {
  for (const std::vector<Index>& shape : {std::vector<Index>{2, 3}, std::vector<Index>{2, 3, 4}}) {
    const Index n = shape[0];
    Index rows = 1;
    for (std::size_t d = 1; d < shape.size(); ++d) rows *= shape[d];
    const Index total = n * rows;
    // The value of each element is its C-order flat index, stored in C order...
    std::vector<float> c_order(static_cast<std::size_t>(total));
    for (Index k = 0; k < total; ++k) c_order[k] = static_cast<float>(k);
    // ... and in Fortran order, first index fastest.
    std::vector<float> f_order;
    const Index d2 = shape.size() == 3 ? shape[2] : 1;
    for (Index k = 0; k < d2; ++k)
      for (Index j = 0; j < shape[1]; ++j)
        for (Index i = 0; i < n; ++i)
          f_order.push_back(static_cast<float>((i * shape[1] + j) * d2 + k));
    const std::string shape_text = shape.size() == 2 ? "(2, 3)" : "(2, 3, 4)";
    SCOPED_TRACE(shape_text);
    const fs::path c_path = write("c.npy", npy_file(dict("<f4", shape_text), encode(c_order)));
    const fs::path f_path =
        write("f.npy", npy_file(dict("<f4", shape_text, true), encode(f_order)));
    NpyHeader header;
    const Matrix<float> from_c = read_npy<float>(c_path);
    const Matrix<float> from_f = read_npy<float>(f_path, &header);
    EXPECT_TRUE(header.fortran_order);
    EXPECT_EQ(header.shape, shape);
    // Column i is row i of the array flattened in C order: its C-order indices i·rows + r.
    ASSERT_EQ(from_c.rows(), rows);
    ASSERT_EQ(from_c.cols(), n);
    for (Index i = 0; i < n; ++i)
      for (Index r = 0; r < rows; ++r) EXPECT_EQ(from_c(r, i), static_cast<float>(i * rows + r));
    EXPECT_EQ(from_f, from_c);
    // Also as double, and big-endian.
    const fs::path big =
        write("big.npy", npy_file(dict(">f4", shape_text, true), encode(f_order, true)));
    EXPECT_EQ(read_npy<double>(big), from_c.cast<double>());
  }
}

TEST_F(NpyFiles, OneDimensionalArrayIsOneRow) {
  const std::vector<double> values = {3, 1, 4, 1, 5};
  for (bool fortran : {false, true}) {
    const fs::path path = write("v.npy", npy_file(dict("<f8", "(5,)", fortran), encode(values)));
    expect_matrix(read_npy<double>(path), 1, 5, values);
  }
  // An array of shape (N, 1) is one row too, with (N, 1) in its header.
  const fs::path column = write("c.npy", npy_file(dict("<f8", "(5, 1)"), encode(values)));
  expect_matrix(read_npy<float>(column), 1, 5, values);
}

TEST_F(NpyFiles, EmptyArraysKeepTheirRowCount) {
  const fs::path none = write("n.npy", npy_file(dict("<f4", "(0, 3)"), ""));
  Matrix<float> m = read_npy<float>(none);
  EXPECT_EQ(m.rows(), 3);
  EXPECT_EQ(m.cols(), 0);
  m = read_npy<float>(write("v.npy", npy_file(dict("<f4", "(0,)"), "")));
  EXPECT_EQ(m.rows(), 1);
  EXPECT_EQ(m.cols(), 0);
  m = read_npy<float>(write("i.npy", npy_file(dict("|u1", "(0, 2, 2)", true), "")));
  EXPECT_EQ(m.rows(), 4);
  EXPECT_EQ(m.cols(), 0);
  // Examples without features: 0 × N.
  m = read_npy<float>(write("z.npy", npy_file(dict("<f4", "(3, 0)"), "")));
  EXPECT_EQ(m.rows(), 0);
  EXPECT_EQ(m.cols(), 3);
}

// ---------------------------------------------------------------------------------------------
// Header formats

TEST_F(NpyFiles, ReadsVersionTwoAndThreeHeaders) {
  const std::vector<float> values = {1, 2, 3, 4, 5, 6};
  for (int major : {2, 3}) {
    SCOPED_TRACE(major);
    const std::string bytes = npy_file(dict("<f4", "(2, 3)"), encode(values), major);
    EXPECT_EQ(bytes[6], static_cast<char>(major));
    EXPECT_EQ(bytes.size() % 64, 24u);  // data start at 128, the 4-byte length included
    const fs::path path = write("v.npy", bytes);
    expect_matrix(read_npy<float>(path), 3, 2, values);
    // A header longer than a 2-byte length could say.
    std::string long_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    long_dict.append(70000, ' ');
    const fs::path long_path = write("long.npy", npy_file(long_dict, encode(values), major));
    expect_matrix(read_npy<float>(long_path), 3, 2, values);
  }
}

TEST_F(NpyFiles, AcceptsHeaderVariants) {
  const std::vector<double> values = {1, 2, 3, 4, 5, 6};
  const std::string data = encode(values);
  const std::vector<std::string> variants = {
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
      "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f8'}",
      "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2,3)}",
      "{'fortran_order':False,'descr':'<f8','shape':(2,3,),}",
      "  {\t'descr' : '<f8' ,\n 'fortran_order' : False , 'shape' : ( 2 , 3 ) }  \n",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }",  // Python 2
      "{u'descr': u'<f8', u'fortran_order': False, u'shape': (2, 3)}",
      "{'descr': '<f8', 'fortran_order': False, 'shape': (+2, 0003), }",
  };
  for (const std::string& header : variants) {
    SCOPED_TRACE(header);
    for (bool pad : {true, false}) {
      const fs::path path = write("h.npy", npy_file(header, data, 1, pad));
      NpyHeader h = read_npy_header(path);
      EXPECT_EQ(h.dtype, "<f8");
      EXPECT_FALSE(h.fortran_order);
      EXPECT_EQ(h.shape, (std::vector<Index>{2, 3}));
      expect_matrix(read_npy<double>(path), 3, 2, values);
    }
  }
}

TEST_F(NpyFiles, ReadsFromAPipe) {
  std::signal(SIGPIPE, SIG_IGN);
  const fs::path fifo = dir_ / "pipe.npy";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto through_pipe = [&](const std::string& bytes) {
    std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << bytes; });
    std::string error = "no error";
    Matrix<float> m;
    try {
      m = read_npy<float>(fifo);
    } catch (const ValueError& e) {
      error = e.what();
    }
    writer.join();
    return std::pair{m, error};
  };
  const std::vector<float> values = {1, 2, 3, 4, 5, 6};
  const std::string good = npy_file(dict("<f4", "(2, 3)", true), encode(values));
  auto [m, error] = through_pipe(good);
  EXPECT_EQ(error, "no error");
  EXPECT_EQ(m.rows(), 3);
  EXPECT_EQ(m.cols(), 2);
  EXPECT_EQ(m(0, 0), 1);
  EXPECT_EQ(m(0, 1), 2);  // Fortran order: element [1, 0] comes second
  expect_error(through_pipe(good.substr(0, good.size() - 3)).second, fifo, 128 + 21,
               {"truncated data", "needs 24 data bytes", "found 21"});
  expect_error(through_pipe(good + "abcd").second, fifo, 128 + 24,
               {"4 trailing bytes", "needs 24 data bytes", "found 28"});
  expect_error(through_pipe(good.substr(0, 40)).second, fifo, 40, {"truncated header"});
}

// ---------------------------------------------------------------------------------------------
// Writing

template <class Scalar>
void check_round_trip(const NpyFiles& files, Index rows, Index cols) {
  SCOPED_TRACE(std::to_string(rows) + " × " + std::to_string(cols));
  Matrix<Scalar> m(rows, cols);
  const std::vector<Scalar> specials = {Scalar(0.1),
                                        -Scalar(0),
                                        std::numeric_limits<Scalar>::max(),
                                        std::numeric_limits<Scalar>::denorm_min(),
                                        std::numeric_limits<Scalar>::lowest(),
                                        Scalar(1) / 3};
  for (Index k = 0; k < m.size(); ++k)
    m.data()[k] = specials[static_cast<std::size_t>(k) % specials.size()] +
                  (k >= 6 ? static_cast<Scalar>(k) : Scalar(0));
  const fs::path path = files.dir_ / "out.npy";
  write_npy<Scalar>(path, m);

  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const char* descr = sizeof(Scalar) == 4 ? "<f4" : "<f8";
  const std::string shape = rows == 1
                                ? "(" + std::to_string(cols) + ",)"
                                : "(" + std::to_string(cols) + ", " + std::to_string(rows) + ")";
  const std::string expected_dict = dict(descr, shape);
  ASSERT_GE(bytes.size(), 64u);
  EXPECT_EQ(bytes.substr(0, 8), kMagic + std::string("\x01\x00", 2));
  const std::size_t header_length =
      static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  const std::size_t data_offset = 10 + header_length;
  EXPECT_EQ(data_offset % 64, 0u);
  EXPECT_EQ(bytes.substr(10, expected_dict.size()), expected_dict);
  EXPECT_EQ(bytes[data_offset - 1], '\n');
  EXPECT_EQ(bytes.find_first_not_of(' ', 10 + expected_dict.size()), data_offset - 1);
  EXPECT_EQ(bytes.size(), data_offset + static_cast<std::size_t>(m.size()) * sizeof(Scalar));
  if (m.size() > 0) {  // the first value, little-endian
    EXPECT_EQ(bytes.substr(data_offset, sizeof(Scalar)), bytes_of(m(0, 0), false));
  }

  NpyHeader header;
  const Matrix<Scalar> back = read_npy<Scalar>(path, &header);
  EXPECT_EQ(header.dtype, descr);
  EXPECT_FALSE(header.fortran_order);
  ASSERT_EQ(back.rows(), rows);
  ASSERT_EQ(back.cols(), cols);
  for (Index k = 0; k < m.size(); ++k)  // (no memcmp: an empty matrix's data() is null)
    ASSERT_TRUE(same_bits(back.data()[k], m.data()[k])) << "storage position " << k;
  // float files read as double are exact too.
  if constexpr (sizeof(Scalar) == 4) {
    EXPECT_EQ(read_npy<double>(path), m.template cast<double>());
  }
}

TEST_F(NpyFiles, WriteThenReadIsBitForBit) {
  for (Index cols : {0, 1, 7, 100}) {
    check_round_trip<float>(*this, 1, cols);
    check_round_trip<double>(*this, 1, cols);
    check_round_trip<float>(*this, 5, cols);
    check_round_trip<double>(*this, 13, cols);
  }
  // Wide enough that the header's shape has many digits.
  check_round_trip<double>(*this, 1000, 1234);
  // No temporary file is left beside the output.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(NpyFiles, WritesViewsOfMatrices) {
  Matrix<double> m(4, 3);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = static_cast<double>(k);
  const fs::path path = dir_ / "rows.npy";
  write_npy<double>(path, m.topRows(2));  // columns 2 apart from each other in memory
  EXPECT_EQ(read_npy<double>(path), m.topRows(2));
  write_npy<double>(path, m.middleCols(1, 2));
  EXPECT_EQ(read_npy<double>(path), m.middleCols(1, 2));
  write_npy<double>(path, m.row(3));
  EXPECT_EQ(read_npy_header(path).shape, (std::vector<Index>{3}));
  EXPECT_EQ(read_npy<double>(path), m.row(3));
}

TEST_F(NpyFiles, WriteFailureNamesTheFile) {
  const fs::path path = dir_ / "missing_directory" / "out.npy";
  try {
    write_npy<float>(path, Matrix<float>::Zero(2, 2));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Refusals: not an .npy file

TEST_F(NpyFiles, RefusesFilesThatAreNotNpy) {
  const fs::path missing = dir_ / "missing.npy";
  expect_error(read_error(missing), missing, 0, {"cannot open the file", "No such file"});
  const fs::path empty = write("empty.npy", "");
  expect_error(read_error(empty), empty, 0, {"not an .npy file", "empty"});
  const fs::path text = write("text.npy", "1,2,3\n4,5,6\n");
  expect_error(read_error(text), text, 0,
               {"not an .npy file", "starts with the bytes 31 2C 32 2C 33 0A", "\\x93NUMPY"});
  const fs::path npz = write("arrays.npz", std::string("PK\x03\x04\x14\x00\x00\x00", 8) + "x.npy");
  expect_error(read_error(npz), npz, 0, {"a .npz archive; save each array with numpy.save"});
  expect_error(header_error(npz), npz, 0, {".npz archive"});
  const fs::path empty_zip =
      write("empty.npz", std::string("PK\x05\x06", 4) + std::string(18, '\0'));
  expect_error(read_error(empty_zip), empty_zip, 0, {".npz archive"});
  const fs::path directory = dir_ / "a_directory.npy";
  fs::create_directories(directory);
  expect_error(read_error(directory), directory, 0, {"cannot read the file"});
}

TEST_F(NpyFiles, RefusesUnsupportedVersions) {
  const std::string good = npy_file(dict("<f4", "(1,)"), encode(std::vector<float>{1}));
  for (const auto& [major, minor, text] : {std::tuple{4, 0, "4.0"}, std::tuple{1, 1, "1.1"},
                                           std::tuple{0, 0, "0.0"}, std::tuple{2, 5, "2.5"}}) {
    std::string bytes = good;
    bytes[6] = static_cast<char>(major);
    bytes[7] = static_cast<char>(minor);
    const fs::path path = write("v.npy", bytes);
    expect_error(read_error(path), path, 6,
                 {std::string("unsupported .npy format version ") + text, "1.0, 2.0 and 3.0"});
  }
}

TEST_F(NpyFiles, RefusesTruncatedHeaders) {
  const std::string good = npy_file(dict("<f4", "(2,)"), encode(std::vector<float>{1, 2}));
  const auto cut = [&](std::size_t n) { return write("t.npy", good.substr(0, n)); };
  fs::path path = cut(4);  // inside the magic
  expect_error(read_error(path), path, 4, {"truncated header", "after 4 bytes", "format version"});
  path = cut(7);
  expect_error(read_error(path), path, 7, {"truncated header", "format version"});
  path = cut(9);
  expect_error(read_error(path), path, 9, {"truncated header", "header length"});
  path = cut(40);
  expect_error(read_error(path), path, 40,
               {"truncated header", "says 118 header bytes from byte 10", "the file has 40 bytes"});
  const std::string v2 = npy_file(dict("<f4", "(2,)"), "", 2);
  path = write("t2.npy", v2.substr(0, 11));
  expect_error(read_error(path), path, 11, {"truncated header", "header length", "bytes 8 to 11"});
  // The header ends inside the dict.
  path = write("d.npy",
               npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", "", 1, false));
  expect_error(read_error(path), path, {"malformed header", "the header ends", "'shape'"});
}

// ---------------------------------------------------------------------------------------------
// Refusals: malformed headers name the key

TEST_F(NpyFiles, RefusesMalformedHeaders) {
  struct Case {
    std::string header;
    std::vector<std::string> pieces;
  };
  const std::vector<Case> cases = {
      {"", {"malformed header", "empty"}},
      {"['descr', '<f4']", {"malformed header", "expected a dict"}},
      {"{'fortran_order': False, 'shape': (2,)}", {"malformed header", "'descr' is missing"}},
      {"{'descr': '<f4', 'shape': (2,)}", {"malformed header", "'fortran_order' is missing"}},
      {"{'descr': '<f4', 'fortran_order': False}", {"malformed header", "'shape' is missing"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (2,)}",
       {"malformed header", "'shape' appears twice"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
       {"malformed header", "unexpected key 'extra'"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2)}",
       {"malformed header", "'shape' must be a tuple", "found an integer 2"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2]}",
       {"malformed header", "'shape' must be a tuple", "found a list"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}",
       {"malformed header", "'shape' has a negative dimension -3"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,)}",
       {"malformed header", "malformed number '2.'", "in the value of 'shape'"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': ('2',)}",
       {"malformed header", "'shape' must hold integers", "found a string"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (True,)}",
       {"malformed header", "'shape' must hold integers", "found True"}},
      {"{'descr': '<f4', 'fortran_order': 'no', 'shape': (2,)}",
       {"malformed header", "'fortran_order' must be True or False", "found a string"}},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}",
       {"malformed header", "'fortran_order' must be True or False", "found an integer 0"}},
      {"{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}",
       {"malformed header", "unexpected name 'false'", "in the value of 'fortran_order'"}},
      {"{'descr': 4, 'fortran_order': False, 'shape': (2,)}",
       {"malformed header", "'descr' must be a type string", "found an integer"}},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}",
       {"malformed header", "expected ',' or '}' after the value of 'descr'"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)",
       {"malformed header", "the header ends", "after the value of 'shape'"}},
      {"{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}",
       {"malformed header", "expected ':' after the key 'descr'"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}",
       {"malformed header", "expected ',' or ')'", "in the value of 'shape'"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x",
       {"malformed header", "unexpected 'x' after the header dict"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 3: 4}",
       {"malformed header", "keys must be strings"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'sh\nape': 4}",
       {"malformed header", "unterminated string"}},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': " + std::string(40, '(') + "2,)}",
       {"malformed header", "nested more than 32 deep", "in the value of 'shape'"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header);
    const fs::path path = write("bad_header.npy", npy_file(c.header, "", 1, false));
    const std::string message = read_error(path);
    EXPECT_EQ(message.rfind(path.string() + ": byte ", 0), 0u) << message;
    for (const std::string& piece : c.pieces)
      EXPECT_NE(message.find(piece), std::string::npos)
          << "missing '" << piece << "' in: " << message;
    EXPECT_EQ(header_error(path), message);
  }
  // The offset points into the header: the negative dimension at byte 10 + its position.
  const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}";
  const fs::path path = write("offset.npy", npy_file(header, "", 1, false));
  expect_error(read_error(path), path, 10 + header.find("-3"), {"negative dimension"});
}

TEST_F(NpyFiles, RefusesZeroDimensionalArrays) {
  const fs::path path =
      write("scalar.npy", npy_file(dict("<f8", "()"), encode(std::vector<double>{1})));
  expect_error(read_error(path), path, {"a 0-d array (shape ())", "at least one dimension"});
  expect_error(header_error(path), path, {"0-d array"});
}

// ---------------------------------------------------------------------------------------------
// Refusals: dtypes

TEST_F(NpyFiles, RefusesUnsupportedDtypes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"|O", "Python objects"},
      {"<c8", "complex numbers"},
      {"<c16", "complex numbers"},
      {"|S5", "byte strings"},
      {"<U3", "Unicode strings"},
      {"|V8", "structured (record)"},
      {"<M8[ns]", "datetimes"},
      {"<m8[s]", "timedeltas"},
      {"<f16", "16-byte floats"},
      {"<i16", "16-byte signed integers"},
      {"<u3", "3-byte unsigned integers"},
      {"|b2", "2-byte booleans"},
      {"float32", "not a NumPy type string"},
      {"<", "an empty type"},
  };
  for (const auto& [descr, kind] : cases) {
    SCOPED_TRACE(descr);
    const std::string header = dict(descr, "(2,)");
    const fs::path path = write("dtype.npy", npy_file(header, std::string(32, '\0')));
    const std::string message = read_error(path);
    expect_error(message, path, 10 + header.find(descr) - 1,
                 {"unsupported dtype '" + descr + "'", kind, "supported are f2, f4, f8"});
    EXPECT_EQ(header_error(path), message);
  }
  const std::string structured =
      "{'descr': [('x', '<f4'), ('label', '<i8')], 'fortran_order': False, 'shape': (2,), }";
  const fs::path path = write("record.npy", npy_file(structured, std::string(24, '\0')));
  expect_error(read_error(path), path, 10 + structured.find('['),
               {"unsupported dtype", "structured (record) dtype", "structured_to_unstructured"});
}

// ---------------------------------------------------------------------------------------------
// Refusals: data

TEST_F(NpyFiles, RefusesDataOfTheWrongLength) {
  const std::vector<float> values = {1, 2, 3, 4, 5, 6};
  const std::string good = npy_file(dict("<f4", "(2, 3)"), encode(values));
  ASSERT_EQ(good.size(), 128u + 24u);
  fs::path path = write("short.npy", good.substr(0, good.size() - 4));
  expect_error(read_error(path), path, 148,
               {"truncated data", "shape (2, 3) of '<f4' needs 24 data bytes", "128-byte header",
                "found 20"});
  expect_error(header_error(path), path, 148, {"truncated data", "found 20"});
  path = write("long.npy", good + std::string(5, '\0'));
  expect_error(read_error<float>(path), path, 152,
               {"5 trailing bytes", "needs 24 data bytes", "found 29"});
  expect_error(header_error(path), path, 152, {"5 trailing bytes"});
  path = write("nodata.npy", good.substr(0, 128));
  expect_error(read_error(path), path, 128, {"truncated data", "found 0"});
  // Data after an empty array.
  path = write("empty.npy", npy_file(dict("<f4", "(0, 3)"), "xy"));
  expect_error(read_error(path), path, 128, {"2 trailing bytes", "needs 0 data bytes"});
}

TEST_F(NpyFiles, RefusesShapesTooLargeToAddress) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"(4294967296, 4294967296)", "the number of elements"},
      {"(4294967296, 2147483648, 2)", "the number of elements"},
      {"(0, 4294967296, 4294967296)", "the elements per example"},
      {"(1152921504606846976,)", "the size in bytes"},  // 2^60 elements of 8 bytes
  };
  for (const auto& [shape, what] : cases) {
    SCOPED_TRACE(shape);
    const std::string header = dict("<f8", shape);
    const fs::path path = write("huge.npy", npy_file(header, ""));
    expect_error(read_error(path), path, 10 + header.find('('),
                 {"shape " + shape, "too large", what, "2^63 - 1"});
  }
  const fs::path path = write("digits.npy", npy_file(dict("<f8", "(99999999999999999999, 1)"), ""));
  expect_error(read_error(path), path,
               {"'shape' has a dimension 99999999999999999999 too large to address"});
  // 2^63 - 1 itself is a size, but not one whose bytes fit.
  const fs::path edge = write("edge.npy", npy_file(dict("|u1", "(9223372036854775807,)"), ""));
  expect_error(read_error(edge), edge, 128, {"truncated data", "needs 9223372036854775807"});
}

TEST_F(NpyFiles, RefusesNonFiniteElements) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // (2, 3) in C order: storage index 5 is element [1, 2], at byte 128 + 5·4.
  fs::path path = write(
      "nan.npy", npy_file(dict("<f4", "(2, 3)"), encode(std::vector<float>{1, 2, 3, 4, 5, nan})));
  expect_error(read_error<float>(path), path, 148, {"element [1, 2] is NaN", "not allowed"});
  expect_error(read_error<double>(path), path, 148, {"element [1, 2] is NaN"});
  // In Fortran order storage index 3 is element [1, 1].
  path = write("inf.npy", npy_file(dict(">f4", "(2, 3)", true),
                                   encode(std::vector<float>{1, 2, 3, -inf, 5, 6}, true)));
  expect_error(read_error<float>(path), path, 140, {"element [1, 1] is -inf", "not allowed"});
  path =
      write("inf8.npy", npy_file(dict("<f8", "(3,)"), encode(std::vector<double>{1, 2, HUGE_VAL})));
  expect_error(read_error<float>(path), path, 144, {"element [2] is inf"});
  // Half NaN (0x7E00) and infinity (0x7C00), in a (2, 2, 2) array.
  path =
      write("half.npy", npy_file(dict("<f2", "(2, 2, 2)"),
                                 encode(std::vector<std::uint16_t>{0, 0, 0, 0, 0, 0x7E00, 0, 0})));
  expect_error(read_error<float>(path), path, 138, {"element [1, 0, 1] is NaN"});
  path = write("halfinf.npy",
               npy_file(dict("<f2", "(2,)"), encode(std::vector<std::uint16_t>{0x3C00, 0xFC00})));
  expect_error(read_error<double>(path), path, 130, {"element [1] is -inf"});
}

TEST_F(NpyFiles, RefusesIntegersScalarCannotHold) {
  fs::path path = write("i4.npy", npy_file(dict("<i4", "(2,)"),
                                           encode(std::vector<std::int32_t>{16777216, 16777217})));
  expect_error(read_error<float>(path), path, 132,
               {"element [1] = 16777217 is not exactly representable as float", "2^24 = 16777216"});
  EXPECT_EQ(read_npy<double>(path)(0, 1), 16777217.0);
  path = write("i8.npy",
               npy_file(dict(">i8", "(1, 2)"),
                        encode(std::vector<std::int64_t>{-(std::int64_t{1} << 53) - 1, 0}, true)));
  expect_error(
      read_error<double>(path), path, 128,
      {"element [0, 0] = -9007199254740993 is not exactly representable as double", "2^53"});
  path = write("u8.npy",
               npy_file(dict("<u8", "(2,)"), encode(std::vector<std::uint64_t>{
                                                 0, std::numeric_limits<std::uint64_t>::max()})));
  expect_error(read_error<double>(path), path, 136,
               {"element [1] = 18446744073709551615 is not exactly representable as double"});
  expect_error(read_error<float>(path), path, 136, {"18446744073709551615", "float"});
  path =
      write("max8.npy",
            npy_file(dict("<i8", "(1,)"),
                     encode(std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max()})));
  expect_error(read_error<double>(path), path, 128, {"element [0] = 9223372036854775807"});
  path = write("u4.npy",
               npy_file(dict("<u4", "(1,)"), encode(std::vector<std::uint32_t>{4294967295u})));
  expect_error(read_error<float>(path), path, 128, {"element [0] = 4294967295", "float"});
}

TEST_F(NpyFiles, RefusesDoublesBeyondFloatRange) {
  const double max = std::numeric_limits<float>::max();
  const double limit = max + 0x1p103;  // from here on a double rounds to infinity as float
  fs::path path = write(
      "big.npy", npy_file(dict("<f8", "(2, 2)"), encode(std::vector<double>{1, -1e39, 0, 0})));
  expect_error(read_error<float>(path), path, 136,
               {"element [0, 1] = -1e+39", "out of the range of float", "3.4028234663852886e+38"});
  EXPECT_EQ(read_npy<double>(path)(1, 0), -1e39);
  path =
      write("limit.npy", npy_file(dict("<f8", "(2,)"),
                                  encode(std::vector<double>{std::nextafter(limit, 0.0), limit})));
  expect_error(read_error<float>(path), path, 136, {"element [1]", "out of the range of float"});
  // Just below the limit rounds to the largest float.
  path = write("below.npy", npy_file(dict("<f8", "(1,)"),
                                     encode(std::vector<double>{-std::nextafter(limit, 0.0)})));
  EXPECT_EQ(read_npy<float>(path)(0, 0), -std::numeric_limits<float>::max());
}

TEST_F(NpyFiles, RefusesBooleansThatAreNotZeroOrOne) {
  const fs::path path =
      write("b.npy", npy_file(dict("|b1", "(3,)"), std::string("\x01\x00\x02", 3)));
  expect_error(read_error<float>(path), path, 130, {"element [2] is the byte 2", "not a boolean"});
}

}  // namespace
}  // namespace curvopt
