#include "data/gzip.h"

#include <zlib.h>

#include <algorithm>

#include "curvopt/core/errors.h"

namespace curvopt::detail {
namespace {

// zlib counts in uInt; feed and drain it in pieces well below that.
constexpr std::size_t kZlibChunk = std::size_t{1} << 30;

}  // namespace

bool is_gzip(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  return size >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

template <class Bytes>
std::optional<GzipError> gunzip(const void* data, std::size_t size, Bytes& out,
                                const std::string& name) {
  const auto* compressed = static_cast<const unsigned char*>(data);
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
    throw Error(name + ": zlib could not start a gzip decoder");
  struct End {
    z_stream* stream;
    ~End() { inflateEnd(stream); }
  } end{&stream};

  out.clear();
  out.resize(std::max<std::size_t>(size * 4, 1 << 16));
  std::size_t fed = 0;      // compressed bytes handed to zlib so far
  std::size_t written = 0;  // decompressed bytes so far
  const auto consumed = [&] { return fed - stream.avail_in; };
  const auto error = [&](std::uint64_t offset, std::string why) {
    out.resize(written);
    return GzipError{offset, std::move(why)};
  };
  for (;;) {
    if (stream.avail_in == 0 && fed < size) {
      const std::size_t n = std::min(size - fed, kZlibChunk);
      stream.next_in = const_cast<Bytef*>(compressed + fed);
      stream.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    if (written == out.size()) out.resize(out.size() * 2);
    const std::size_t room = std::min(out.size() - written, kZlibChunk);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + written);
    stream.avail_out = static_cast<uInt>(room);
    const int status = inflate(&stream, Z_NO_FLUSH);
    written += room - stream.avail_out;
    if (status == Z_STREAM_END) {
      const std::size_t at = consumed();
      if (at == size) break;
      // Another gzip member may follow (as `cat a.gz b.gz` makes); anything else is an error.
      if (is_gzip(compressed + at, size - at)) {
        inflateReset(&stream);
        continue;
      }
      return error(
          at, std::to_string(size - at) + " unexpected bytes after the end of the compressed data");
    }
    if (status == Z_NEED_DICT || status == Z_DATA_ERROR || status == Z_STREAM_ERROR)
      return error(consumed(), stream.msg ? stream.msg : "invalid data");
    if (status == Z_MEM_ERROR) throw Error(name + ": out of memory while decompressing");
    if (status == Z_BUF_ERROR && stream.avail_in == 0 && fed == size && stream.avail_out > 0)
      return error(size, "the file ends inside the compressed data (truncated after " +
                             std::to_string(written) + " decompressed bytes)");
  }
  out.resize(written);
  return std::nullopt;
}

template std::optional<GzipError> gunzip<std::string>(const void*, std::size_t, std::string&,
                                                      const std::string&);
template std::optional<GzipError> gunzip<std::vector<std::uint8_t>>(const void*, std::size_t,
                                                                    std::vector<std::uint8_t>&,
                                                                    const std::string&);

}  // namespace curvopt::detail
