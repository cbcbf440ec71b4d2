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

namespace {

// `<name>.tmp`, or `<name>.tmp.<digits>.<digits>` as write_file_atomically() names them.
bool is_temporary_of(std::string_view file, std::string_view name) {
  const std::string prefix = std::string(name) + ".tmp";
  if (file.substr(0, prefix.size()) != prefix) return false;
  std::string_view rest = file.substr(prefix.size());
  if (rest.empty()) return true;
  int groups = 0;
  while (!rest.empty()) {
    if (rest.front() != '.') return false;
    rest.remove_prefix(1);
    std::size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 0) return false;
    rest.remove_prefix(digits);
    ++groups;
  }
  return groups == 2;
}

}  // namespace

int remove_stale_temporaries(const std::filesystem::path& directory,
                             std::initializer_list<std::string_view> names) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    const std::string file = entry.path().filename().string();
    for (std::string_view name : names) {
      if (!is_temporary_of(file, name)) continue;
      std::error_code remove_error;
      if (std::filesystem::remove(entry.path(), remove_error)) ++removed;
      break;
    }
  }
  return removed;
}

}  // namespace curvopt
