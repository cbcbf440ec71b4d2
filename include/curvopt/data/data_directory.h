#pragma once
/// Where the datasets live: the one rule the command line, the benchmarks and the tests share,
/// so that data fetched once (scripts/fetch_data, `curvopt data fetch`) is found by all of them.

#include <string>

namespace curvopt {

/// `explicit_dir` when not empty, else $CURVOPT_DATA, else $XDG_CACHE_HOME/curvopt/data, else
/// ~/.cache/curvopt/data.
std::string resolve_data_directory(const std::string& explicit_dir = "");

}  // namespace curvopt
