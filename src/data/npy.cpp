#include "curvopt/data/npy.h"

#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "curvopt/core/atomic_file.h"
#include "curvopt/core/errors.h"
#include "npy_literal.h"

namespace curvopt {
namespace {

namespace fs = std::filesystem;
using namespace npy_detail;

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
              "mixed-endian machines are not supported");

constexpr std::string_view kMagic("\x93NUMPY", 6);
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;  // read buffer for the data
constexpr std::uint64_t kIndexMax = static_cast<std::uint64_t>(std::numeric_limits<Index>::max());
constexpr const char* kSupported =
    "supported are f2, f4, f8, i1, i2, i4, i8, u1, u2, u4, u8 and b1, e.g. save "
    "array.astype(numpy.float32)";

// ---------------------------------------------------------------------------------------------
// The file, read front to back. `size` is known for regular files only (not for pipes).

struct Input {
  struct Closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };

  const fs::path& path;
  std::unique_ptr<std::FILE, Closer> file;
  std::optional<std::uint64_t> size;
  std::uint64_t offset = 0;  // bytes consumed so far

  explicit Input(const fs::path& p) : path(p) {
    errno = 0;
    file.reset(std::fopen(path.c_str(), "rb"));
    if (!file) fail(path, 0, std::string("cannot open the file: ") + std::strerror(errno));
    struct stat info {};
    if (::fstat(::fileno(file.get()), &info) == 0 && S_ISREG(info.st_mode))
      size = static_cast<std::uint64_t>(info.st_size);
  }

  // Reads up to `n` bytes; fewer only at the end of the file.
  std::size_t read(void* out, std::size_t n) {
    errno = 0;
    const std::size_t got = std::fread(out, 1, n, file.get());
    if (got < n && std::ferror(file.get()))
      fail(path, offset + got, std::string("cannot read the file: ") + std::strerror(errno));
    offset += got;
    return got;
  }
};

// ---------------------------------------------------------------------------------------------
// dtypes

struct Dtype {
  char kind = 'f';  // 'f', 'i', 'u' or 'b'
  int size = 4;     // bytes per element
  bool swap = false;
};

// Parses a type string such as "<f4"; `why` receives the reason when it is not supported.
std::optional<Dtype> parse_dtype(std::string_view descr, std::string& why) {
  std::string_view t = descr;
  char order = '=';
  if (!t.empty() && (t[0] == '<' || t[0] == '>' || t[0] == '|' || t[0] == '=')) {
    order = t[0];
    t.remove_prefix(1);
  }
  if (t.empty()) {
    why = "an empty type";
    return std::nullopt;
  }
  const char kind = t[0];
  std::string_view rest = t.substr(1);
  int size = -1;
  if (!rest.empty() && rest.size() <= 4 &&
      std::all_of(rest.begin(), rest.end(), [](char c) { return is_digit(c); }))
    size = std::stoi(std::string(rest));
  const bool ok =
      (kind == 'f' && (size == 2 || size == 4 || size == 8)) ||
      ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
      (kind == 'b' && size == 1);
  if (ok) {
    Dtype dtype;
    dtype.kind = kind;
    dtype.size = size;
    const bool little = order == '<'   ? true
                        : order == '>' ? false
                                       : std::endian::native == std::endian::little;
    dtype.swap = size > 1 && little != (std::endian::native == std::endian::little);
    return dtype;
  }
  const std::string bytes = size > 0 ? std::to_string(size) + "-byte " : "";
  if (size < 0 && std::string_view("fiubcSaUV").find(kind) != std::string_view::npos) {
    why = "not a NumPy type string such as '<f4'";
    return std::nullopt;
  }
  switch (kind) {
    case 'O':
      why = "Python objects";
      break;
    case 'c':
      why = "complex numbers";
      break;
    case 'S':
    case 'a':
      why = "byte strings";
      break;
    case 'U':
      why = "Unicode strings";
      break;
    case 'V':
      why = "raw or structured (record) data";
      break;
    case 'M':
      why = "datetimes";
      break;
    case 'm':
      why = "timedeltas";
      break;
    case 'f':
      why = bytes + "floats";
      break;
    case 'i':
      why = bytes + "signed integers";
      break;
    case 'u':
      why = bytes + "unsigned integers";
      break;
    case 'b':
      why = bytes + "booleans";
      break;
    default:
      why = "not a NumPy type string such as '<f4'";
      break;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// The header as a whole.

struct Parsed {
  NpyHeader header;
  Dtype dtype;
  std::uint64_t data_offset = 0;
  std::uint64_t data_bytes = 0;
  std::uint64_t elements = 0;
  Index rows = 0;  // elements per example
  Index cols = 0;  // examples
};

std::string shape_string(const std::vector<Index>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  if (shape.size() == 1) out += ',';
  return out + ")";
}

std::uint32_t little_endian(const unsigned char* p, int n) {
  std::uint32_t value = 0;
  for (int i = n - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

Parsed parse_header(Input& in) {
  const fs::path& path = in.path;
  unsigned char pre[12] = {};
  std::size_t got = in.read(pre, 10);
  if (got == 0) fail(path, 0, "not an .npy file: the file is empty");
  const std::size_t compared = std::min<std::size_t>(got, kMagic.size());
  if (std::memcmp(pre, kMagic.data(), compared) != 0) {
    if (got >= 4 && pre[0] == 'P' && pre[1] == 'K' &&
        ((pre[2] == 3 && pre[3] == 4) || (pre[2] == 5 && pre[3] == 6)))
      fail(path, 0, "not an .npy file but a .npz archive; save each array with numpy.save");
    fail(path, 0,
         "not an .npy file: it starts with the bytes " + hex_bytes(pre, compared) +
             ", expected the magic 93 4E 55 4D 50 59 (\"\\x93NUMPY\")");
  }
  if (got < 8)
    fail(path, got,
         "truncated header: the file ends after " + std::to_string(got) +
             " bytes, before the format version (bytes 6 and 7)");
  const int major = pre[6];
  const int minor = pre[7];
  if (minor != 0 || major < 1 || major > 3)
    fail(path, 6,
         "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
             " (supported: 1.0, 2.0 and 3.0)");
  const int length_bytes = major == 1 ? 2 : 4;
  if (length_bytes == 4 && got == 10) got += in.read(pre + 10, 2);
  const std::size_t header_start = 8 + static_cast<std::size_t>(length_bytes);
  if (got < header_start)
    fail(path, got,
         "truncated header: the file ends after " + std::to_string(got) +
             " bytes, inside the header length (bytes 8 to " + std::to_string(header_start - 1) +
             " in version " + std::to_string(major) + ".0)");
  const std::uint64_t header_length = little_endian(pre + 8, length_bytes);
  const std::uint64_t data_offset = header_start + header_length;
  const auto truncated = [&](std::uint64_t size) {
    fail(path, size,
         "truncated header: the header length says " + std::to_string(header_length) +
             " header bytes from byte " + std::to_string(header_start) + " (data from byte " +
             std::to_string(data_offset) + "), the file has " + std::to_string(size) + " bytes");
  };
  if (in.size && *in.size < data_offset) truncated(*in.size);
  std::string text;
  while (text.size() < header_length) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(header_length - text.size(), kChunkBytes));
    const std::size_t old = text.size();
    text.resize(old + want);
    const std::size_t n = in.read(text.data() + old, want);
    text.resize(old + n);
    if (n < want) truncated(in.offset);
  }

  const PyValue dict = HeaderParser(text, path, header_start).parse();
  const PyValue* descr = nullptr;
  const PyValue* fortran = nullptr;
  const PyValue* shape = nullptr;
  for (std::size_t i = 0; i < dict.items.size(); i += 2) {
    const PyValue& key = dict.items[i];
    const PyValue* value = &dict.items[i + 1];
    const PyValue** slot = key.text == "descr"           ? &descr
                           : key.text == "fortran_order" ? &fortran
                           : key.text == "shape"         ? &shape
                                                         : nullptr;
    if (!slot)
      fail(path, header_start + key.at,
           "malformed header: unexpected key '" + key.text +
               "' (the header dict has exactly the keys 'descr', 'fortran_order' and 'shape')");
    if (*slot)
      fail(path, header_start + key.at,
           "malformed header: the key '" + key.text + "' appears twice");
    *slot = value;
  }
  for (const auto& [slot, name] :
       {std::pair{descr, "descr"}, std::pair{fortran, "fortran_order"}, std::pair{shape, "shape"}})
    if (!slot)
      fail(path, header_start + dict.at,
           std::string("malformed header: the key '") + name + "' is missing");
  const auto at = [&](const PyValue* v) { return header_start + v->at; };

  Parsed parsed;
  parsed.data_offset = data_offset;
  NpyHeader& header = parsed.header;
  if (descr->kind == PyValue::Kind::kList || descr->kind == PyValue::Kind::kDict)
    fail(path, at(descr),
         std::string("unsupported dtype: 'descr' is ") + kind_name(descr->kind) +
             " of fields, a structured (record) dtype; save a plain numeric array (e.g. with "
             "numpy.lib.recfunctions.structured_to_unstructured)");
  if (descr->kind != PyValue::Kind::kString)
    fail(path, at(descr),
         std::string("malformed header: 'descr' must be a type string such as '<f4', found ") +
             kind_name(descr->kind));
  header.dtype = descr->text;
  std::string why;
  const std::optional<Dtype> dtype = parse_dtype(header.dtype, why);
  if (!dtype)
    fail(path, at(descr), "unsupported dtype '" + header.dtype + "' (" + why + "): " + kSupported);
  parsed.dtype = *dtype;

  if (fortran->kind != PyValue::Kind::kTrue && fortran->kind != PyValue::Kind::kFalse)
    fail(path, at(fortran),
         std::string("malformed header: 'fortran_order' must be True or False, found ") +
             kind_name(fortran->kind) +
             (fortran->kind == PyValue::Kind::kInteger ? " " + fortran->text : ""));
  header.fortran_order = fortran->kind == PyValue::Kind::kTrue;

  if (shape->kind != PyValue::Kind::kTuple)
    fail(path, at(shape),
         std::string("malformed header: 'shape' must be a tuple such as (3,) or (2, 3), found ") +
             kind_name(shape->kind) +
             (shape->kind == PyValue::Kind::kInteger ? " " + shape->text : ""));
  const std::string max_text = std::to_string(kIndexMax);
  for (const PyValue& dim : shape->items) {
    if (dim.kind != PyValue::Kind::kInteger)
      fail(path, header_start + dim.at,
           std::string("malformed header: 'shape' must hold integers, found ") +
               kind_name(dim.kind));
    if (dim.text[0] == '-')
      fail(path, header_start + dim.at,
           "malformed header: 'shape' has a negative dimension " + dim.text);
    if (dim.text.size() > max_text.size() ||
        (dim.text.size() == max_text.size() && dim.text > max_text))
      fail(path, header_start + dim.at,
           "'shape' has a dimension " + dim.text + " too large to address (over 2^63 - 1)");
    header.shape.push_back(static_cast<Index>(std::stoull(dim.text)));
  }
  if (header.shape.empty())
    fail(path, at(shape),
         "a 0-d array (shape ()) holds one value, not examples; save at least one dimension, "
         "e.g. numpy.atleast_1d(x)");

  // Every size below stays within Index, so no product can wrap.
  const auto too_large = [&](const std::string& what) {
    fail(path, at(shape),
         "shape " + shape_string(header.shape) + " of '" + header.dtype +
             "' is too large: " + what + " would exceed 2^63 - 1");
  };
  std::uint64_t rows = 1;
  for (std::size_t d = 1; d < header.shape.size(); ++d) {
    const auto dim = static_cast<std::uint64_t>(header.shape[d]);
    if (dim != 0 && rows > kIndexMax / dim) too_large("the elements per example");
    rows *= dim;
  }
  const auto cols = static_cast<std::uint64_t>(header.shape[0]);
  if (cols != 0 && rows > kIndexMax / cols) too_large("the number of elements");
  parsed.elements = rows * cols;
  const auto item = static_cast<std::uint64_t>(parsed.dtype.size);
  if (parsed.elements > kIndexMax / item) too_large("the size in bytes");
  parsed.data_bytes = parsed.elements * item;
  parsed.rows = static_cast<Index>(rows);
  parsed.cols = static_cast<Index>(cols);
  return parsed;
}

std::string data_needs(const Parsed& p) {
  return "shape " + shape_string(p.header.shape) + " of '" + p.header.dtype + "' needs " +
         std::to_string(p.data_bytes) + " data bytes after the " + std::to_string(p.data_offset) +
         "-byte header";
}

[[noreturn]] void fail_truncated(const fs::path& path, const Parsed& p, std::uint64_t found) {
  fail(path, p.data_offset + found,
       "truncated data: " + data_needs(p) + ", found " + std::to_string(found));
}

[[noreturn]] void fail_trailing(const fs::path& path, const Parsed& p, std::uint64_t found) {
  fail(path, p.data_offset + p.data_bytes,
       std::to_string(found - p.data_bytes) + " trailing bytes after the data: " + data_needs(p) +
           ", found " + std::to_string(found));
}

// Checks a regular file's size against the header before any data are read.
void check_size(const Input& in, const Parsed& p) {
  if (!in.size) return;
  const std::uint64_t found = *in.size - p.data_offset;  // parse_header saw data_offset bytes
  if (found < p.data_bytes) fail_truncated(in.path, p, found);
  if (found > p.data_bytes) fail_trailing(in.path, p, found);
}

// ---------------------------------------------------------------------------------------------
// Element conversion.

enum class Status { kOk, kNaN, kInfinite, kInexact, kRange, kNotBool };

template <int Size>
auto load(const unsigned char* p, bool swap) {
  if constexpr (Size == 1) {
    return p[0];
  } else if constexpr (Size == 2) {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return swap ? __builtin_bswap16(v) : v;
  } else if constexpr (Size == 4) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
  } else {
    static_assert(Size == 8);
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return swap ? __builtin_bswap64(v) : v;
  }
}

// IEEE half precision to float, exactly (every half is a float).
float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h >> 15) << 31;
  const std::uint32_t exponent = (h >> 10) & 0x1F;
  const std::uint32_t mantissa = h & 0x3FF;
  if (exponent == 0x1F)
    return mantissa ? std::numeric_limits<float>::quiet_NaN()
                    : (sign ? -std::numeric_limits<float>::infinity()
                            : std::numeric_limits<float>::infinity());
  if (exponent == 0) {  // zero or subnormal: mantissa · 2^-24, exact in float
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

template <class Scalar, class Float>
Status from_float(Float value, Scalar& out) {
  if (std::isnan(value)) return Status::kNaN;
  if (std::isinf(value)) return Status::kInfinite;
  if constexpr (sizeof(Float) > sizeof(Scalar)) {
    // Values at or beyond FLT_MAX + half an ulp round to infinity.
    constexpr double kLimit = static_cast<double>(std::numeric_limits<float>::max()) + 0x1p103;
    if (std::abs(value) >= kLimit) return Status::kRange;
  }
  out = static_cast<Scalar>(value);
  return Status::kOk;
}

template <class Scalar>
Status from_signed(std::int64_t value, Scalar& out) {
  constexpr std::int64_t kExact = std::int64_t{1} << std::numeric_limits<Scalar>::digits;
  const Scalar s = static_cast<Scalar>(value);
  if (value < -kExact || value > kExact) {
    if (!(s < static_cast<Scalar>(0x1p63)) || static_cast<std::int64_t>(s) != value)
      return Status::kInexact;
  }
  out = s;
  return Status::kOk;
}

template <class Scalar>
Status from_unsigned(std::uint64_t value, Scalar& out) {
  constexpr std::uint64_t kExact = std::uint64_t{1} << std::numeric_limits<Scalar>::digits;
  const Scalar s = static_cast<Scalar>(value);
  if (value > kExact) {
    if (!(s < static_cast<Scalar>(0x1p64)) || static_cast<std::uint64_t>(s) != value)
      return Status::kInexact;
  }
  out = s;
  return Status::kOk;
}

template <class Scalar, char Kind, int Size>
Status convert(const unsigned char* p, bool swap, Scalar& out) {
  const auto bits = load<Size>(p, swap);
  if constexpr (Kind == 'f') {
    if constexpr (Size == 2) return from_float(half_to_float(bits), out);
    if constexpr (Size == 4) return from_float(std::bit_cast<float>(bits), out);
    if constexpr (Size == 8) return from_float(std::bit_cast<double>(bits), out);
  } else if constexpr (Kind == 'i') {
    using Signed = std::make_signed_t<decltype(bits)>;
    return from_signed(static_cast<std::int64_t>(static_cast<Signed>(bits)), out);
  } else if constexpr (Kind == 'u') {
    return from_unsigned(static_cast<std::uint64_t>(bits), out);
  } else {
    static_assert(Kind == 'b');
    if (bits > 1) return Status::kNotBool;
    out = static_cast<Scalar>(bits);
    return Status::kOk;
  }
}

template <class Scalar>
const char* scalar_name() {
  return sizeof(Scalar) == 4 ? "float" : "double";
}

std::string number_text(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[40];  // the shortest text that reads back as `value`
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

// The array index, [i0, i1, ...], of the k-th element in the file's storage order.
std::string element_index(const Parsed& p, std::uint64_t k) {
  const std::vector<Index>& shape = p.header.shape;
  std::vector<std::uint64_t> index(shape.size());
  if (p.header.fortran_order) {
    for (std::size_t d = 0; d < shape.size(); ++d) {
      index[d] = k % static_cast<std::uint64_t>(shape[d]);
      k /= static_cast<std::uint64_t>(shape[d]);
    }
  } else {
    for (std::size_t d = shape.size(); d-- > 0;) {
      index[d] = k % static_cast<std::uint64_t>(shape[d]);
      k /= static_cast<std::uint64_t>(shape[d]);
    }
  }
  std::string out = "element [";
  for (std::size_t d = 0; d < index.size(); ++d) {
    if (d > 0) out += ", ";
    out += std::to_string(index[d]);
  }
  return out + "]";
}

template <class Scalar>
[[noreturn]] void fail_element(const fs::path& path, const Parsed& p, std::uint64_t k,
                               const unsigned char* bytes, Status status) {
  const Dtype& d = p.dtype;
  std::string value;
  if (d.kind == 'f') {
    const double v = d.size == 2   ? half_to_float(load<2>(bytes, d.swap))
                     : d.size == 4 ? std::bit_cast<float>(load<4>(bytes, d.swap))
                                   : std::bit_cast<double>(load<8>(bytes, d.swap));
    value = number_text(v);
  } else if (d.kind == 'i' && d.size == 8) {
    value = std::to_string(static_cast<std::int64_t>(load<8>(bytes, d.swap)));
  } else if (d.kind == 'i' && d.size == 4) {
    value = std::to_string(static_cast<std::int32_t>(load<4>(bytes, d.swap)));
  } else if (d.kind == 'u' && d.size == 8) {
    value = std::to_string(load<8>(bytes, d.swap));
  } else if (d.kind == 'u' && d.size == 4) {
    value = std::to_string(load<4>(bytes, d.swap));
  } else {
    value = std::to_string(bytes[0]);
  }
  const std::string where = element_index(p, k);
  const std::string type = scalar_name<Scalar>();
  std::string why;
  switch (status) {
    case Status::kNaN:
      why = where + " is NaN (NaN and infinite values are not allowed)";
      break;
    case Status::kInfinite:
      why = where + " is " + value + " (NaN and infinite values are not allowed)";
      break;
    case Status::kInexact: {
      const int digits = std::numeric_limits<Scalar>::digits;
      why = where + " = " + value + " is not exactly representable as " + type + " (which " +
            "holds every integer only up to 2^" + std::to_string(digits) + " = " +
            std::to_string(std::uint64_t{1} << digits) + ")";
      break;
    }
    case Status::kRange:
      why = where + " = " + value + " is out of the range of " + type + " (largest " +
            number_text(std::numeric_limits<Scalar>::max()) + ")";
      break;
    case Status::kNotBool:
      why = where + " is the byte " + value + ", not a boolean (0 or 1)";
      break;
    case Status::kOk:
      break;
  }
  fail(path, p.data_offset + k * static_cast<std::uint64_t>(d.size), why);
}

// Where the elements of a Fortran-order array go: column i0 of the matrix, row (i1, i2, ...)
// flattened in C order. Steps through the array index with the first dimension fastest.
class FortranScatter {
 public:
  FortranScatter(const std::vector<Index>& shape, Index rows)
      : dims_(shape), count_(shape.size(), 0), stride_(shape.size()) {
    stride_[0] = rows;
    Index stride = 1;
    for (std::size_t d = shape.size(); d-- > 1;) {
      stride_[d] = stride;
      stride *= shape[d];
    }
  }
  Index position() const { return position_; }
  void advance() {
    for (std::size_t d = 0; d < dims_.size(); ++d) {
      position_ += stride_[d];
      if (++count_[d] < dims_[d]) return;
      position_ -= stride_[d] * dims_[d];
      count_[d] = 0;
    }
  }

 private:
  std::vector<Index> dims_;
  std::vector<Index> count_;
  std::vector<Index> stride_;
  Index position_ = 0;
};

// Reads the data in chunks, converting each element into its place in `out`.
template <class Scalar, char Kind, int Size>
void read_elements(Input& in, const Parsed& p, Scalar* out) {
  const bool swap = p.dtype.swap;
  const std::uint64_t total = p.elements;
  const std::size_t chunk = kChunkBytes / Size;
  std::vector<unsigned char> buffer(
      static_cast<std::size_t>(std::min<std::uint64_t>(total, chunk)) * Size);
  const bool scatter = p.header.fortran_order && p.header.shape.size() > 1;
  std::optional<FortranScatter> fortran;
  if (scatter) fortran.emplace(p.header.shape, p.rows);
  std::uint64_t k = 0;
  while (k < total) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(total - k, chunk));
    const std::size_t got = in.read(buffer.data(), n * Size);
    if (got < n * Size) fail_truncated(in.path, p, k * Size + got);
    const unsigned char* bytes = buffer.data();
    for (std::size_t e = 0; e < n; ++e, bytes += Size) {
      Scalar value{};
      const Status status = convert<Scalar, Kind, Size>(bytes, swap, value);
      if (status != Status::kOk) fail_element<Scalar>(in.path, p, k + e, bytes, status);
      if (scatter) {
        out[fortran->position()] = value;
        fortran->advance();
      } else {
        out[k + e] = value;
      }
    }
    k += n;
  }
  if (!in.size) {  // a pipe: look for trailing bytes now
    std::uint64_t extra = 0;
    unsigned char rest[4096];
    for (std::size_t got; (got = in.read(rest, sizeof rest)) > 0;) extra += got;
    if (extra > 0) fail_trailing(in.path, p, p.data_bytes + extra);
  }
}

template <class Scalar>
void read_data(Input& in, const Parsed& p, Scalar* out) {
  switch (p.dtype.kind) {
    case 'f':
      if (p.dtype.size == 2) return read_elements<Scalar, 'f', 2>(in, p, out);
      if (p.dtype.size == 4) return read_elements<Scalar, 'f', 4>(in, p, out);
      return read_elements<Scalar, 'f', 8>(in, p, out);
    case 'i':
      if (p.dtype.size == 1) return read_elements<Scalar, 'i', 1>(in, p, out);
      if (p.dtype.size == 2) return read_elements<Scalar, 'i', 2>(in, p, out);
      if (p.dtype.size == 4) return read_elements<Scalar, 'i', 4>(in, p, out);
      return read_elements<Scalar, 'i', 8>(in, p, out);
    case 'u':
      if (p.dtype.size == 1) return read_elements<Scalar, 'u', 1>(in, p, out);
      if (p.dtype.size == 2) return read_elements<Scalar, 'u', 2>(in, p, out);
      if (p.dtype.size == 4) return read_elements<Scalar, 'u', 4>(in, p, out);
      return read_elements<Scalar, 'u', 8>(in, p, out);
    default:
      return read_elements<Scalar, 'b', 1>(in, p, out);
  }
}

}  // namespace

NpyHeader read_npy_header(const std::filesystem::path& file) {
  Input in(file);
  Parsed parsed = parse_header(in);
  check_size(in, parsed);
  return std::move(parsed.header);
}

template <class Scalar>
Matrix<Scalar> read_npy(const std::filesystem::path& file, NpyHeader* header) {
  Input in(file);
  Parsed parsed = parse_header(in);
  check_size(in, parsed);
  Matrix<Scalar> examples(parsed.rows, parsed.cols);
  read_data(in, parsed, examples.data());
  if (header) *header = std::move(parsed.header);
  return examples;
}

template <class Scalar>
void write_npy(const std::filesystem::path& file, ConstMatrixRef<Scalar> examples) {
  const Index rows = examples.rows();
  const Index cols = examples.cols();
  const char* descr = sizeof(Scalar) == 4 ? "<f4" : "<f8";
  const std::string shape = rows == 1
                                ? "(" + std::to_string(cols) + ",)"
                                : "(" + std::to_string(cols) + ", " + std::to_string(rows) + ")";
  std::string dict =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const std::size_t preamble = kMagic.size() + 4;  // magic, version 1.0, 2-byte header length
  const std::size_t unpadded = preamble + dict.size() + 1;  // ends with a newline
  const std::size_t data_offset = (unpadded + 63) / 64 * 64;
  dict.append(data_offset - unpadded, ' ');
  dict += '\n';
  const std::size_t header_length = dict.size();  // at most a few hundred bytes

  const std::size_t column_bytes = static_cast<std::size_t>(rows) * sizeof(Scalar);
  std::string bytes;
  bytes.reserve(data_offset + column_bytes * static_cast<std::size_t>(cols));
  bytes += kMagic;
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header_length & 0xFF);
  bytes += static_cast<char>(header_length >> 8);
  bytes += dict;
  for (Index j = 0; j < cols; ++j) {
    const Scalar* column = examples.col(j).data();
    if constexpr (std::endian::native == std::endian::little) {
      bytes.append(reinterpret_cast<const char*>(column), column_bytes);
    } else {
      for (Index i = 0; i < rows; ++i) {
        using Bits = std::conditional_t<sizeof(Scalar) == 4, std::uint32_t, std::uint64_t>;
        Bits b = std::bit_cast<Bits>(column[i]);
        if constexpr (sizeof(Scalar) == 4) {
          b = __builtin_bswap32(b);
        } else {
          b = __builtin_bswap64(b);
        }
        bytes.append(reinterpret_cast<const char*>(&b), sizeof b);
      }
    }
  }
  write_file_atomically(file, bytes, "array");
}

template Matrix<float> read_npy<float>(const std::filesystem::path&, NpyHeader*);
template Matrix<double> read_npy<double>(const std::filesystem::path&, NpyHeader*);
template void write_npy<float>(const std::filesystem::path&, ConstMatrixRef<float>);
template void write_npy<double>(const std::filesystem::path&, ConstMatrixRef<double>);

}  // namespace curvopt
