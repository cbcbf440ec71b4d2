#pragma once
/// Files that a reader sees either whole or not at all, even across a crash.

#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

namespace curvopt {

/// Writes `bytes` to `file` atomically: into a temporary file beside it whose name is unique to
/// this process and call (so concurrent writers never share one), flushed to disk, then renamed
/// over `file`. On failure the temporary file is removed and Error names `what` (e.g.
/// "checkpoint"), the file and the system's reason; `file` is then left as it was.
void write_file_atomically(const std::filesystem::path& file, std::string_view bytes,
                           std::string_view what);

/// Removes the temporary files that a process killed inside write_file_atomically() left beside
/// each of `names` in `directory`: `<name>.tmp.<pid>.<n>`, and `<name>.tmp` from versions that
/// used one fixed name. Other files are left alone. Call it only while no other process writes
/// those files (holding the directory's DirectoryLock). Returns how many files it removed.
int remove_stale_temporaries(const std::filesystem::path& directory,
                             std::initializer_list<std::string_view> names);

}  // namespace curvopt
