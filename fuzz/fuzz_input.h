#pragma once
// Shared by the fuzz targets: each hands the fuzzer's bytes to a reader through a real file, so
// that what is fuzzed is the reader a user's file reaches (open, gzip detection, sizes), not a
// test-only entry point. The file lives in memory (/dev/shm when present) and is rewritten for
// every input.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "curvopt/core/checksum.h"

namespace curvopt::fuzz {

// A per-process path with the given suffix (readers may look at it: "x.gz", "iris.csv").
inline std::filesystem::path input_path(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  return dir / ("curvopt_fuzz_" + std::to_string(::getpid()) + "_" + name);
}

// The path is fixed at the first call (one static per process): a target uses one name.
inline const std::filesystem::path& write_input(const std::uint8_t* data, std::size_t size,
                                                const std::string& name) {
  static const std::filesystem::path path = input_path(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

// The input followed by its CRC-32, as model files and checkpoints end: most mutations of such a
// file stop at the checksum, so the formats' parsers behind it are fuzzed through this second
// file, whose checksum is always right.
inline const std::filesystem::path& write_input_with_crc(const std::uint8_t* data, std::size_t size,
                                                         const std::string& name) {
  static const std::filesystem::path path = input_path("crc_" + name);
  const std::uint32_t crc = crc32_of(reinterpret_cast<const char*>(data), size);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.write(reinterpret_cast<const char*>(&crc), 4);  // little-endian, as the formats
  return path;
}

}  // namespace curvopt::fuzz
