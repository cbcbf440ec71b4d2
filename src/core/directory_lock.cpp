#include "curvopt/core/directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

DirectoryLock::DirectoryLock(const std::filesystem::path& directory) {
  const std::filesystem::path file = directory / kFileName;
  // A separate lock file rather than the directory itself: flock on a read-only directory
  // descriptor cannot take an exclusive lock where flock is emulated by POSIX locks (NFS).
  // O_CLOEXEC: a child process (gnuplot, a shell) must not keep the lock alive.
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("cannot open lock file " + file.string() + ": " + std::strerror(errno));
  int result = 0;
  do {
    result = ::flock(fd_, LOCK_EX | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  if (result != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK)
      throw Error("run directory " + directory.string() +
                  " is in use by another process (it holds " + file.string() +
                  "); wait for that run to end or choose another directory");
    throw Error("cannot lock " + file.string() + ": " + std::strerror(error));
  }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace curvopt
