#pragma once
// The flags of `curvopt train` (and compare) that describe the user's own data and network.

#include <CLI/CLI.hpp>

#include "run_config.h"

namespace curvopt::cli {

/// Adds --model, --target, --features, --target-file, --validation[-target-file],
/// --test[-target-file], --test-fraction, --kind, --loss, --standardize, --init, --precision,
/// --no-header and --delimiter to `command`, writing into `own`. (--data is the command's own:
/// with --model it names the training file.)
void add_own_data_flags(CLI::App* command, OwnDataConfig& own);

/// Copies into `into` every field whose flag was given on `command` (flags override --config).
void merge_own_data_flags(const CLI::App* command, const OwnDataConfig& given, OwnDataConfig& into);

/// The flags that give `own` (those that differ from the defaults), as a command line writes
/// them, each preceded by a space: ` --model "dense 8 relu dense 1" --data a.csv --target y`.
std::string own_data_flags_text(const OwnDataConfig& own);

/// A model description as given: "@FILE" reads it from FILE (comments and line breaks allowed),
/// anything else is the description itself. Throws ConfigError when the file cannot be read.
std::string model_description_text(const std::string& flag_value);

}  // namespace curvopt::cli
