#pragma once
/// An exclusive lock on a directory, so that two processes never write one run directory at once.

#include <filesystem>

namespace curvopt {

/// Holds an exclusive advisory lock (flock) on `<directory>/.lock` for its lifetime; the
/// operating system releases it when the process ends, however it ends, so a crashed run never
/// leaves a directory locked. The lock file is created empty when missing and never written.
/// Every curvopt process that writes a run directory takes this lock first.
class DirectoryLock {
 public:
  /// Takes the lock without waiting. The directory must exist. Throws Error with one line naming
  /// the directory when another process holds the lock, or the lock file and the system's reason
  /// when it cannot be opened.
  explicit DirectoryLock(const std::filesystem::path& directory);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

  /// The lock file's name inside the directory.
  static constexpr const char* kFileName = ".lock";

 private:
  int fd_ = -1;
};

}  // namespace curvopt
