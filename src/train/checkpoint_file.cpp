// The checkpoint file format (docs/reliability.md).

#include "train/checkpoint_file.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <sstream>

#include "curvopt/core/atomic_file.h"
#include "curvopt/core/checksum.h"
#include "curvopt/core/errors.h"

namespace curvopt::detail {
namespace {

// Checkpoint layout, little-endian: 8 bytes magic, the trainer's position and the optimizer's
// state (each an OptimizerState block), then (format 2) the CRC-32 of every byte before it.
// Format 1, without the checksum, is still read.
constexpr char kCheckpointMagic[8] = {'C', 'V', 'C', 'K', 'P', 'T', '2', '\n'};
constexpr char kCheckpointMagicV1[8] = {'C', 'V', 'C', 'K', 'P', 'T', '1', '\n'};

// The last finished epoch as checkpoint entries, so that a resumed run reports what an
// uninterrupted one would (summary.json's final metrics): "last_epoch" = (epoch,
// mean_step_loss, seconds), and per evaluated set "last_epoch_<set>" = (loss, then a presence
// flag and a value for accuracy, MSE and RMSE: a NaN value is a measurement, not an absence).
constexpr const char* kEvaluationSets[] = {"train", "validation", "test"};

template <class Info>  // EpochInfo or const EpochInfo
auto& metrics_of(Info& info, int set) {
  return set == 0 ? info.train : set == 1 ? info.validation : info.test;
}

}  // namespace

void write_checkpoint_file(const std::filesystem::path& file, const OptimizerState& position,
                           const OptimizerState& optimizer) {
  std::ostringstream out;
  out.write(kCheckpointMagic, sizeof kCheckpointMagic);
  position.write(out);
  optimizer.write(out);
  std::string bytes = std::move(out).str();
  const std::uint32_t crc = crc32_of(bytes.data(), bytes.size());
  char crc_bytes[4];
  std::memcpy(crc_bytes, &crc, 4);  // little-endian, as the rest (checked in OptimizerState)
  bytes.append(crc_bytes, 4);
  write_file_atomically(file, bytes, "checkpoint");
}

std::pair<OptimizerState, OptimizerState> read_checkpoint_file(const std::filesystem::path& file) {
  const std::string f = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ValueError("cannot open checkpoint " + f);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw ValueError("cannot read checkpoint " + f);
  const bool v2 = bytes.size() >= sizeof kCheckpointMagic &&
                  std::memcmp(bytes.data(), kCheckpointMagic, sizeof kCheckpointMagic) == 0;
  const bool v1 = bytes.size() >= sizeof kCheckpointMagicV1 &&
                  std::memcmp(bytes.data(), kCheckpointMagicV1, sizeof kCheckpointMagicV1) == 0;
  if (!v1 && !v2) throw ValueError(f + ": not a curvopt checkpoint (wrong magic bytes)");
  std::size_t end = bytes.size();
  if (v2) {
    if (bytes.size() < sizeof kCheckpointMagic + 4)
      throw ValueError(f + ": truncated checkpoint (" + std::to_string(bytes.size()) + " bytes)");
    end -= 4;
    std::uint32_t stored;
    std::memcpy(&stored, bytes.data() + end, 4);
    if (crc32_of(bytes.data(), end) != stored)
      throw ValueError(f + ": checksum mismatch: the checkpoint is corrupt or truncated");
  }
  std::istringstream payload(bytes.substr(sizeof kCheckpointMagic, end - sizeof kCheckpointMagic));
  OptimizerState position = OptimizerState::read(payload, f);
  OptimizerState optimizer = OptimizerState::read(payload, f);
  const auto read_bytes = static_cast<std::size_t>(payload.tellg());
  if (read_bytes != end - sizeof kCheckpointMagic)
    throw ValueError(f + ": " + std::to_string(end - sizeof kCheckpointMagic - read_bytes) +
                     " unexpected bytes after the optimizer state");
  return {std::move(position), std::move(optimizer)};
}

void put_last_epoch(OptimizerState& position, const EpochInfo& info) {
  position.put("last_epoch",
               Eigen::Vector3d(static_cast<double>(info.epoch), info.mean_step_loss, info.seconds));
  position.put("last_epoch_finite_steps", static_cast<double>(info.finite_steps));
  auto present = [](const std::optional<double>& v) { return v ? 1.0 : 0.0; };
  for (int set = 0; set < 3; ++set) {
    const std::optional<Metrics>& m = metrics_of(info, set);
    if (!m) continue;
    Eigen::Matrix<double, 7, 1> v;
    v << m->loss, present(m->accuracy), m->accuracy.value_or(0), present(m->mse),
        m->mse.value_or(0), present(m->rmse), m->rmse.value_or(0);
    position.put(std::string("last_epoch_") + kEvaluationSets[set], v);
  }
}

// The inverse of put_last_epoch; nothing for checkpoints written before it existed.
std::optional<EpochInfo> get_last_epoch(const OptimizerState& position, const std::string& file) {
  if (!position.contains("last_epoch")) return std::nullopt;
  const std::span<const double> head = position.get("last_epoch");
  if (head.size() != 3) throw ValueError(file + ": entry 'last_epoch' must hold 3 values");
  EpochInfo info;
  if (!OptimizerState::is_count(head[0]))
    throw ValueError(file + ": entry 'last_epoch' holds an epoch that is not a count");
  info.epoch = static_cast<std::int64_t>(head[0]);
  info.mean_step_loss = head[1];
  // Checkpoints written before the count existed: a finite mean had at least one finite step.
  info.finite_steps = position.contains("last_epoch_finite_steps")
                          ? position.get_count("last_epoch_finite_steps")
                          : (std::isfinite(info.mean_step_loss) ? 1 : 0);
  info.seconds = head[2];
  for (int set = 0; set < 3; ++set) {
    const std::string name = std::string("last_epoch_") + kEvaluationSets[set];
    if (!position.contains(name)) continue;
    const std::span<const double> v = position.get(name);
    if (v.size() != 7) throw ValueError(file + ": entry '" + name + "' must hold 7 values");
    auto optional = [](double present, double value) {
      return present != 0 ? std::optional<double>(value) : std::nullopt;
    };
    metrics_of(info, set) =
        Metrics{v[0], optional(v[1], v[2]), optional(v[3], v[4]), optional(v[5], v[6])};
  }
  return info;
}

}  // namespace curvopt::detail
