#pragma once
/// CRC-32 (zlib's polynomial), the checksum of model files and checkpoints: a flipped bit, a
/// truncated copy or a spliced file is refused before anything in it is trusted.

#include <cstddef>
#include <cstdint>

namespace curvopt {

/// CRC-32 of `size` bytes at `data` (the value zlib's crc32() and `gzip -l` report).
std::uint32_t crc32_of(const char* data, std::size_t size);

}  // namespace curvopt
