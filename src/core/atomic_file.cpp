#include "curvopt/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "curvopt/core/errors.h"

namespace curvopt {

void write_file_atomically(const std::filesystem::path& file, std::string_view bytes,
                           std::string_view what) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path temporary = file.string() + ".tmp." + std::to_string(::getpid()) +
                                          "." + std::to_string(counter.fetch_add(1));
  auto fail = [&](const std::string& action, int error) {
    ::unlink(temporary.c_str());
    throw Error("cannot " + action + " " + std::string(what) + " " + file.string() + ": " +
                std::strerror(error));
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    throw Error("cannot write " + std::string(what) + " " + temporary.string() + ": " +
                std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      fail("write", error);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    fail("flush", error);
  }
  if (::close(fd) != 0) fail("flush", errno);
  if (::rename(temporary.c_str(), file.c_str()) != 0) fail("rename into place", errno);
}

}  // namespace curvopt
