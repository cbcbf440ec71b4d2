#pragma once
/// Files that a reader sees either whole or not at all, even across a crash.

#include <filesystem>
#include <string>
#include <string_view>

namespace curvopt {

/// Writes `bytes` to `file` atomically: into a temporary file beside it whose name is unique to
/// this process and call (so concurrent writers never share one), flushed to disk, then renamed
/// over `file`. On failure the temporary file is removed and Error names `what` (e.g.
/// "checkpoint"), the file and the system's reason; `file` is then left as it was.
void write_file_atomically(const std::filesystem::path& file, std::string_view bytes,
                           std::string_view what);

}  // namespace curvopt
