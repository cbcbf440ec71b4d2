#include "curvopt/data/idx.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "curvopt/core/errors.h"
#include "data/gzip.h"

namespace curvopt {
namespace {

constexpr std::uint8_t kUnsignedByte = 0x08;
constexpr std::size_t kMaxDims = 4;

// Where an offset points: the file itself, or the data a gzip file decompresses to.
struct Source {
  const std::filesystem::path& path;
  bool gzip = false;
};

[[noreturn]] void fail(const Source& source, std::uint64_t offset, const std::string& why) {
  throw ValueError(source.path.string() + ": byte " + std::to_string(offset) +
                   (source.gzip ? " of the decompressed data" : "") + ": " + why);
}

std::string hex(std::uint64_t value, int digits) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%0*llX", digits, static_cast<unsigned long long>(value));
  return buffer;
}

const char* data_type_name(std::uint8_t type) {
  switch (type) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return "not an idx data type";
  }
}

std::string dims_string(const std::vector<std::uint32_t>& dims) {
  std::string out;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) out += "×";
    out += std::to_string(dims[i]);
  }
  return out;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  const Source source{path};
  struct Closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  errno = 0;
  std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) fail(source, 0, std::string("cannot open the file: ") + std::strerror(errno));
  std::vector<std::uint8_t> bytes;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) bytes.reserve(static_cast<std::size_t>(size));
  std::array<std::uint8_t, 1 << 16> chunk;
  for (;;) {
    errno = 0;
    const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), file.get());
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
    if (got < chunk.size()) {
      if (std::ferror(file.get()))
        fail(source, bytes.size(), std::string("cannot read the file: ") + std::strerror(errno));
      break;
    }
  }
  return bytes;
}

// Decompresses the gzip members in `compressed`; offsets in errors are into the compressed file.
std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& compressed,
                                 const std::filesystem::path& path) {
  std::vector<std::uint8_t> out;
  if (auto error = detail::gunzip(compressed.data(), compressed.size(), out, path.string()))
    fail(Source{path}, error->offset, "corrupt gzip stream: " + error->why);
  out.shrink_to_fit();
  return out;
}

IdxArray read_idx(const std::filesystem::path& path, bool& gzip) {
  std::vector<std::uint8_t> bytes = read_file(path);
  gzip = detail::is_gzip(bytes.data(), bytes.size());
  if (gzip) bytes = gunzip(bytes, path);
  const Source source{path, gzip};
  const std::uint64_t size = bytes.size();
  if (size == 0) fail(source, 0, "empty file");
  if (size < 4)
    fail(source, size,
         "truncated header: the idx magic number needs 4 bytes, the file has " +
             std::to_string(size));

  const std::uint64_t magic = (std::uint64_t{bytes[0]} << 24) | (std::uint64_t{bytes[1]} << 16) |
                              (std::uint64_t{bytes[2]} << 8) | bytes[3];
  const std::string expected =
      "expected 0x000008NN (two zero bytes, data type 0x08 = unsigned byte, NN = 1 to 4 "
      "dimensions), e.g. 0x00000803 for images or 0x00000801 for labels";
  if (bytes[0] != 0 || bytes[1] != 0)
    fail(source, 0, "wrong magic number " + hex(magic, 8) + ": " + expected);
  const std::uint8_t type = bytes[2];
  if (type != kUnsignedByte)
    fail(source, 2,
         "unsupported data type " + hex(type, 2) + " (" + data_type_name(type) + ") in magic " +
             hex(magic, 8) + ": only unsigned bytes (0x08) are supported");
  const std::size_t num_dims = bytes[3];
  if (num_dims < 1 || num_dims > kMaxDims)
    fail(source, 3,
         "unsupported number of dimensions " + std::to_string(num_dims) + " in magic " +
             hex(magic, 8) + ": " + expected);

  const std::uint64_t header = 4 + 4 * num_dims;
  if (size < header)
    fail(source, size,
         "truncated header: " + std::to_string(num_dims) + " dimensions need a " +
             std::to_string(header) + "-byte header, the file has " + std::to_string(size) +
             " bytes");
  IdxArray array;
  std::uint64_t count = 1;
  bool overflow = false;
  for (std::size_t d = 0; d < num_dims; ++d) {
    const std::uint8_t* p = bytes.data() + 4 + 4 * d;
    const std::uint32_t dim = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                              (std::uint32_t{p[2]} << 8) | p[3];
    array.dims.push_back(dim);
    if (dim != 0 && count > UINT64_MAX / dim) overflow = true;
    count *= dim;
  }
  const std::uint64_t available = size - header;
  const std::string layout = "dimensions " + dims_string(array.dims);
  if (overflow || count > available)
    fail(source, size,
         "truncated data: " + layout + " need " +
             (overflow ? std::string("more than 2^64") : std::to_string(count)) +
             " data bytes after the " + std::to_string(header) + "-byte header, the file has " +
             std::to_string(available) + " (" + std::to_string(size) + " bytes in all)");
  if (count < available)
    fail(source, header + count,
         std::to_string(available - count) + " trailing bytes after the data: " + layout +
             " need " + std::to_string(count) + " data bytes after the " + std::to_string(header) +
             "-byte header (" + std::to_string(header + count) + " bytes in all), the file has " +
             std::to_string(size) + " bytes");

  // Drop the header in place rather than copying the (possibly large) data.
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
  array.data = std::move(bytes);
  return array;
}

}  // namespace

IdxArray read_idx(const std::filesystem::path& path) {
  bool gzip = false;
  return read_idx(path, gzip);
}

template <class Scalar>
Dataset<Scalar> load_idx_classification(const std::filesystem::path& images,
                                        const std::filesystem::path& labels, std::string name,
                                        Index num_classes) {
  if (num_classes < 1 || num_classes > 256)
    throw ConfigError("load_idx_classification: num_classes = " + std::to_string(num_classes) +
                      ": must be in [1, 256] (idx labels are bytes)");
  bool images_gzip = false;
  bool labels_gzip = false;
  const IdxArray image_array = read_idx(images, images_gzip);
  const IdxArray label_array = read_idx(labels, labels_gzip);
  const Source image_source{images, images_gzip};
  const Source label_source{labels, labels_gzip};

  if (image_array.dims.size() < 2)
    fail(image_source, 3,
         "expected an image file with 2 to 4 dimensions (N × rows × cols), found 1 dimension (" +
             dims_string(image_array.dims) + ")");
  if (label_array.dims.size() != 1)
    fail(label_source, 3,
         "expected a label file with 1 dimension (N), found " +
             std::to_string(label_array.dims.size()) + " dimensions (" +
             dims_string(label_array.dims) + ")");
  const std::uint64_t num_examples = image_array.dims[0];
  if (label_array.dims[0] != num_examples)
    fail(label_source, 4,
         "the label file has " + std::to_string(label_array.dims[0]) + " labels but the image " +
             "file " + images.string() + " has " + std::to_string(num_examples) + " images");
  if (num_examples == 0) fail(image_source, 4, "the files hold no examples");
  std::uint64_t pixels = 1;
  for (std::size_t d = 1; d < image_array.dims.size(); ++d) pixels *= image_array.dims[d];
  if (pixels == 0)
    fail(image_source, 8,
         "images have no pixels (dimensions " + dims_string(image_array.dims) + ")");

  const std::uint64_t label_header = 8;  // magic + one dimension
  for (std::uint64_t i = 0; i < num_examples; ++i) {
    const std::uint8_t label = label_array.data[i];
    if (label >= num_classes)
      fail(label_source, label_header + i,
           "example " + std::to_string(i) + ": label " + std::to_string(label) +
               " is out of range for num_classes = " + std::to_string(num_classes));
  }

  // pixel / 255 with one correctly rounded division per byte value.
  std::array<Scalar, 256> scale;
  for (int v = 0; v < 256; ++v) scale[v] = static_cast<Scalar>(v) / static_cast<Scalar>(255);

  Dataset<Scalar> dataset;
  dataset.name = std::move(name);
  dataset.num_classes = num_classes;
  const auto dim = [&](std::size_t d) { return static_cast<Index>(image_array.dims[d]); };
  switch (image_array.dims.size()) {
    case 2:
      dataset.example_shape = Shape::flat(dim(1));
      break;
    case 3:
      dataset.example_shape = Shape::image(1, dim(1), dim(2));
      break;
    default:
      dataset.example_shape = Shape::image(dim(1), dim(2), dim(3));
      break;
  }
  dataset.inputs.resize(static_cast<Index>(pixels), static_cast<Index>(num_examples));
  // idx stores image after image, each row-major: exactly one column per image.
  Scalar* in = dataset.inputs.data();
  for (std::size_t k = 0; k < image_array.data.size(); ++k) in[k] = scale[image_array.data[k]];
  dataset.targets.resize(1, static_cast<Index>(num_examples));
  for (std::uint64_t i = 0; i < num_examples; ++i)
    dataset.targets(0, static_cast<Index>(i)) = static_cast<Scalar>(label_array.data[i]);
  return dataset;
}

template Dataset<float> load_idx_classification<float>(const std::filesystem::path&,
                                                       const std::filesystem::path&, std::string,
                                                       Index);
template Dataset<double> load_idx_classification<double>(const std::filesystem::path&,
                                                         const std::filesystem::path&, std::string,
                                                         Index);

}  // namespace curvopt
