#pragma once
// The checkpoint file: how a trainer's position and an optimizer's state are framed on disk and
// verified before anything in them is trusted. Internal to the trainer (src/train/).

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "curvopt/optim/optimizer_state.h"
#include "curvopt/train/callback.h"

namespace curvopt::detail {

/// Writes the two blocks as a checkpoint of format 2 (magic, position, optimizer state, CRC-32 of
/// every byte before it), atomically.
void write_checkpoint_file(const std::filesystem::path& file, const OptimizerState& position,
                           const OptimizerState& optimizer);

/// Reads a checkpoint of format 2 (checksum verified first) or 1 (no checksum) and returns its
/// (position, optimizer state) blocks; throws ValueError naming the file on a wrong magic, a
/// truncated file, a checksum mismatch, malformed blocks or bytes after them.
std::pair<OptimizerState, OptimizerState> read_checkpoint_file(const std::filesystem::path& file);

/// The last finished epoch as entries of the position, so that a resumed run reports what an
/// uninterrupted one would (summary.json's final metrics), and the inverse (nullopt for a
/// checkpoint written without one); get_last_epoch throws ValueError naming `file`.
void put_last_epoch(OptimizerState& position, const EpochInfo& info);
std::optional<EpochInfo> get_last_epoch(const OptimizerState& position, const std::string& file);

}  // namespace curvopt::detail
