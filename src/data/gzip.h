#pragma once
// gzip decoding shared by the file readers (idx, CSV); not part of the public API.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace curvopt::detail {

/// Whether `data` starts with the gzip magic bytes 0x1f 0x8b.
bool is_gzip(const void* data, std::size_t size);

/// Why gzip data could not be decoded: the offset into the compressed bytes where it went wrong
/// and a reason without any prefix ("invalid block type", "the file ends inside the compressed
/// data (truncated after 120 decompressed bytes)"); callers say that it is gzip data.
struct GzipError {
  std::uint64_t offset = 0;
  std::string why;
};

/// Decompresses every gzip member in `data` (as `cat a.gz b.gz` makes), replacing the contents of
/// `out`. Returns the first problem with the data, or nothing. Throws Error naming `name` when
/// zlib cannot start or runs out of memory.
/// @tparam Bytes std::string or std::vector<std::uint8_t>
template <class Bytes>
std::optional<GzipError> gunzip(const void* data, std::size_t size, Bytes& out,
                                const std::string& name);

extern template std::optional<GzipError> gunzip<std::string>(const void*, std::size_t, std::string&,
                                                             const std::string&);
extern template std::optional<GzipError> gunzip<std::vector<std::uint8_t>>(
    const void*, std::size_t, std::vector<std::uint8_t>&, const std::string&);

}  // namespace curvopt::detail
