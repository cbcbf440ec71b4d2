// read_csv<float> on a ~100 MB numeric CSV (1,000,000 rows × 10 columns printed with %.6g, one
// header row), next to what the machine does with the same bytes: a `wc -l` (read the file in
// 128 KiB pieces and count '\n' with memchr) and a memcpy of the whole text (memory bandwidth).
// Then the same for the file gzipped with zlib (MB/s are of the decompressed text). Best of 3 of
// each, one thread. Temporary files go to the system's temp directory and are removed.
//
// Usage: curvopt_csv_read_bench [--rows N] [--repeats R]

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "curvopt/core/errors.h"
#include "curvopt/data/csv.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kColumns = 10;

// Deterministic values of mixed sign and magnitude, printed as %.6g.
std::string make_csv(long rows) {
  std::string text;
  text.reserve(static_cast<std::size_t>(rows) * 11 * kColumns + 64);
  for (int j = 0; j < kColumns; ++j) text += (j ? ",c" : "c") + std::to_string(j);
  text += '\n';
  std::uint64_t state = 0x9E3779B97F4A7C15u;
  char buffer[32];
  for (long i = 0; i < rows; ++i) {
    for (int j = 0; j < kColumns; ++j) {
      state = state * 6364136223846793005u + 1442695040888963407u;
      const double unit = static_cast<double>(state >> 11) * 0x1.0p-53;  // [0, 1)
      // Mostly O(1) values, some large and some small ones (exponent notation).
      const int scale = static_cast<int>((state >> 3) % 16) - 4;
      const double value = (unit - 0.5) * std::pow(10.0, scale < 0 ? 0 : scale > 6 ? -5 : scale);
      const int n = std::snprintf(buffer, sizeof buffer, "%.6g", value);
      if (j) text += ',';
      text.append(buffer, static_cast<std::size_t>(n));
    }
    text += '\n';
  }
  return text;
}

double best_seconds(int repeats, const std::function<void()>& run) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    run();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

// `wc -l`: the file read in 128 KiB pieces, '\n' counted with memchr.
std::size_t count_lines(const fs::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path.string());
  std::vector<char> chunk(1 << 17);
  std::size_t lines = 0;
  for (;;) {
    const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), file);
    const char* p = chunk.data();
    const char* end = p + got;
    while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))))
      ++lines, ++p;
    if (got < chunk.size()) break;
  }
  std::fclose(file);
  return lines;
}

// `zcat | wc -l`: gzread in 128 KiB pieces, '\n' counted with memchr.
std::size_t count_gz_lines(const fs::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path.string());
  gzbuffer(file, 1 << 17);
  std::vector<char> chunk(1 << 17);
  std::size_t lines = 0;
  for (;;) {
    const int got = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (got < 0) throw std::runtime_error("gzread failed on " + path.string());
    const char* p = chunk.data();
    const char* end = p + got;
    while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))))
      ++lines, ++p;
    if (got == 0) break;
  }
  gzclose(file);
  return lines;
}

struct Figures {
  double read_csv;
  double wc;
};

Figures measure(const fs::path& path, std::size_t bytes, std::size_t expected_lines, bool gzip,
                int repeats) {
  const double mb = static_cast<double>(bytes) / 1e6;
  long examples = 0;
  const double csv_s = best_seconds(repeats, [&] {
    const curvopt::Dataset<float> data = curvopt::read_csv<float>(path);
    examples = data.size();
  });
  if (static_cast<std::size_t>(examples) + 1 != expected_lines)
    throw std::runtime_error("read_csv read " + std::to_string(examples) + " examples, expected " +
                             std::to_string(expected_lines - 1));
  std::size_t lines = 0;
  const double wc_s =
      best_seconds(repeats, [&] { lines = gzip ? count_gz_lines(path) : count_lines(path); });
  if (lines != expected_lines) throw std::runtime_error("the line count is wrong");
  return {mb / csv_s, mb / wc_s};
}

}  // namespace

int main(int argc, char** argv) {
  long rows = 1'000'000;
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rows") == 0) {
      rows = std::atol(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--repeats") == 0) {
      repeats = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--rows N] [--repeats R]\n", argv[0]);
      return 2;
    }
  }
  if (rows < 1 || repeats < 1) {
    std::fprintf(stderr, "--rows and --repeats must be >= 1\n");
    return 2;
  }

  const fs::path dir =
      fs::temp_directory_path() / ("curvopt_csv_read_bench_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  int status = 0;
  try {
    const std::string text = make_csv(rows);
    const fs::path plain = dir / "numbers.csv";
    const fs::path packed = dir / "numbers.csv.gz";
    std::ofstream(plain, std::ios::binary) << text;
    gzFile gz = gzopen(packed.c_str(), "wb6");
    if (!gz ||
        gzwrite(gz, text.data(), static_cast<unsigned>(text.size())) !=
            static_cast<int>(text.size()) ||
        gzclose(gz) != Z_OK)
      throw std::runtime_error("cannot write " + packed.string());
    const std::size_t lines = static_cast<std::size_t>(rows) + 1;
    const double mb = static_cast<double>(text.size()) / 1e6;

    // Memory bandwidth: a memcpy of the text into a buffer already touched.
    std::string copy(text.size(), '\0');
    const double memcpy_mb_s =
        mb / best_seconds(repeats, [&] { std::memcpy(copy.data(), text.data(), text.size()); });
    if (copy != text) throw std::runtime_error("memcpy mismatch");

    std::printf("file: %ld rows x %d columns (%%.6g), %.1f MB; gzipped %.1f MB; best of %d\n", rows,
                kColumns, mb, static_cast<double>(fs::file_size(packed)) / 1e6, repeats);
    std::printf("memcpy                 %8.1f MB/s\n", memcpy_mb_s);
    const Figures p = measure(plain, text.size(), lines, false, repeats);
    std::printf("plain  wc -l           %8.1f MB/s\n", p.wc);
    std::printf("plain  read_csv<float> %8.1f MB/s   read_csv/wc-l %.3f   read_csv/memcpy %.4f\n",
                p.read_csv, p.read_csv / p.wc, p.read_csv / memcpy_mb_s);
    const Figures g = measure(packed, text.size(), lines, true, repeats);
    std::printf("gzip   zcat | wc -l    %8.1f MB/s (of decompressed text)\n", g.wc);
    std::printf("gzip   read_csv<float> %8.1f MB/s   read_csv/wc-l %.3f   read_csv/memcpy %.4f\n",
                g.read_csv, g.read_csv / g.wc, g.read_csv / memcpy_mb_s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "curvopt_csv_read_bench: %s\n", e.what());
    status = 1;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return status;
}
