#include "curvopt/core/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

namespace curvopt {
namespace {

std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("curvopt_atomic_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::set<std::string> files_in(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  return names;
}

std::string contents(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A fixed temporary name made two writers of one file fail on each other's rename.
TEST(AtomicFile, ConcurrentWritersOfOneFileNeverShareATemporary) {
  const auto dir = temp_dir("concurrent");
  const auto file = dir / "checkpoint.bin";
  const std::string a(100000, 'a'), b(100000, 'b');
  auto writer = [&](const std::string& bytes) {
    for (int i = 0; i < 50; ++i) write_file_atomically(file, bytes, "checkpoint");
  };
  std::thread first(writer, a), second(writer, b);
  first.join();
  second.join();
  const std::string result = contents(file);
  EXPECT_TRUE(result == a || result == b) << "a torn file of " << result.size() << " bytes";
  EXPECT_EQ(files_in(dir), std::set<std::string>{"checkpoint.bin"});
  std::filesystem::remove_all(dir);
}

TEST(AtomicFile, RemovesOnlyTheTemporariesOfTheNamedFiles) {
  const auto dir = temp_dir("stale");
  for (const char* name : {"checkpoint.bin", "checkpoint.bin.tmp", "checkpoint.bin.tmp.4242.7",
                           "summary.json.tmp.1.0", "checkpoint.bin.tmp.x", "checkpoint.bin.tmp.1",
                           "checkpoint.bin.tmp.1.2.3", "notes.tmp", "other.tmp.1.2"})
    std::ofstream(dir / name) << "x";
  EXPECT_EQ(remove_stale_temporaries(dir, {"checkpoint.bin", "summary.json"}), 3);
  EXPECT_EQ(files_in(dir),
            (std::set<std::string>{"checkpoint.bin", "checkpoint.bin.tmp.x", "checkpoint.bin.tmp.1",
                                   "checkpoint.bin.tmp.1.2.3", "notes.tmp", "other.tmp.1.2"}));
  EXPECT_EQ(remove_stale_temporaries(dir / "missing", {"checkpoint.bin"}), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace curvopt
