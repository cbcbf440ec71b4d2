#include "curvopt/core/directory_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {
namespace {

std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("curvopt_lock_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string message_of_second_lock(const std::filesystem::path& dir) {
  try {
    DirectoryLock second(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

TEST(DirectoryLock, ASecondHolderIsRefusedWithTheDirectoryNamed) {
  const auto dir = temp_dir("twice");
  {
    DirectoryLock first(dir);
    // flock conflicts between two open file descriptions even inside one process.
    const std::string message = message_of_second_lock(dir);
    EXPECT_NE(message.find("run directory " + dir.string() + " is in use by another process"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
  // Released with its holder: the next run may take it.
  EXPECT_EQ(message_of_second_lock(dir), "");
  EXPECT_TRUE(std::filesystem::is_regular_file(dir / DirectoryLock::kFileName));
  EXPECT_EQ(std::filesystem::file_size(dir / DirectoryLock::kFileName), 0u);
  std::filesystem::remove_all(dir);
}

// Whether a forked process can take the lock: 0 yes, 3 no. The child makes only system calls
// (no allocation), which is what is safe after fork() in a process that may have threads.
int child_locks(const std::filesystem::path& dir) {
  const std::string file = (dir / DirectoryLock::kFileName).string();
  const pid_t child = ::fork();
  if (child == 0) {
    const int fd = ::open(file.c_str(), O_RDWR);
    ::_exit(fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 3);
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST(DirectoryLock, AnotherProcessIsRefusedUntilTheHolderEnds) {
  const auto dir = temp_dir("fork");
  {
    DirectoryLock held(dir);
    EXPECT_EQ(child_locks(dir), 3) << "another process took a held lock";
  }
  EXPECT_EQ(child_locks(dir), 0) << "the lock outlived its holder";
  std::filesystem::remove_all(dir);
}

TEST(DirectoryLock, AMissingDirectoryNamesTheLockFile) {
  const auto dir = temp_dir("missing") / "nope";
  try {
    DirectoryLock lock(dir);
    FAIL() << "locked a missing directory";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open lock file " + (dir / ".lock").string()),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  std::filesystem::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace curvopt
