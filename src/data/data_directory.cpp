#include "curvopt/data/data_directory.h"

#include <cstdlib>

namespace curvopt {

std::string resolve_data_directory(const std::string& explicit_dir) {
  if (!explicit_dir.empty()) return explicit_dir;
  if (const char* env = std::getenv("CURVOPT_DATA"); env && *env) return env;
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache)
    return std::string(cache) + "/curvopt/data";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/curvopt/data";
}

}  // namespace curvopt
