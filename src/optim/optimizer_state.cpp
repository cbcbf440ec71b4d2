#include "curvopt/optim/optimizer_state.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <istream>
#include <ostream>
#include <sstream>

#include "curvopt/core/errors.h"

namespace curvopt {

bool OptimizerState::operator==(const OptimizerState& other) const {
  if (optimizer_ != other.optimizer_ || entries_.size() != other.entries_.size()) return false;
  for (auto a = entries_.begin(), b = other.entries_.begin(); a != entries_.end(); ++a, ++b) {
    if (a->first != b->first || a->second.size() != b->second.size()) return false;
    for (std::size_t i = 0; i < a->second.size(); ++i)
      if (std::bit_cast<std::uint64_t>(a->second[i]) != std::bit_cast<std::uint64_t>(b->second[i]))
        return false;
  }
  return true;
}
namespace {

constexpr char kMagic[8] = {'C', 'V', 'O', 'P', 'T', 'S', 'T', '\n'};
constexpr std::uint32_t kVersion = 1;
// Names and arrays beyond these sizes mean a corrupt file, not a real optimizer state.
constexpr std::uint64_t kMaxNameLength = 1 << 16;
constexpr std::uint64_t kMaxEntries = 1 << 20;

static_assert(std::endian::native == std::endian::little,
              "the optimizer-state format is written little-endian");

void write_u64(std::ostream& out, std::uint64_t v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof v);
}

void write_string(std::ostream& out, std::string_view s) {
  write_u64(out, s.size());
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

// Reads with offsets for error messages.
class Reader {
 public:
  Reader(std::istream& in, std::string_view source) : in_(in), source_(source) {}

  void bytes(char* dst, std::uint64_t count, const char* what) {
    in_.read(dst, static_cast<std::streamsize>(count));
    if (static_cast<std::uint64_t>(in_.gcount()) != count)
      fail(std::string("truncated while reading ") + what);
    offset_ += count;
  }
  std::uint64_t u64(const char* what) {
    std::uint64_t v = 0;
    bytes(reinterpret_cast<char*>(&v), sizeof v, what);
    return v;
  }
  std::string string(const char* what) {
    const std::uint64_t size = u64(what);
    if (size > kMaxNameLength) fail(std::string(what) + " is implausibly long");
    std::string s(size, '\0');
    bytes(s.data(), size, what);
    return s;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw ValueError(std::string(source_) + ": byte " + std::to_string(offset_) + ": " + why);
  }

 private:
  std::istream& in_;
  std::string_view source_;
  std::uint64_t offset_ = 0;
};

}  // namespace

bool OptimizerState::contains(std::string_view name) const {
  return entries_.find(name) != entries_.end();
}

std::vector<std::string> OptimizerState::names() const {
  std::vector<std::string> out;
  for (const auto& [name, values] : entries_) out.push_back(name);
  return out;
}

void OptimizerState::put(std::string_view name, double value) {
  entries_[std::string(name)] = {value};
}

std::span<const double> OptimizerState::get(std::string_view name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end())
    throw ValueError("optimizer state" + (optimizer_.empty() ? "" : " of '" + optimizer_ + "'") +
                     " has no entry '" + std::string(name) + "'");
  return it->second;
}

double OptimizerState::get_scalar(std::string_view name) const {
  const std::span<const double> values = get(name);
  check_size(name, values.size(), 1);
  return values[0];
}

bool OptimizerState::is_count(double value) {
  constexpr double kLargestExact = 9007199254740992.0;  // 2⁵³
  return value >= 0 && value <= kLargestExact && value == std::floor(value);
}

std::int64_t OptimizerState::get_count(std::string_view name) const {
  const double value = get_scalar(name);
  if (!is_count(value)) {
    std::ostringstream text;
    text << value;
    throw ValueError("optimizer state entry '" + std::string(name) + "' = " + text.str() +
                     ": expected a count (a whole number >= 0)");
  }
  return static_cast<std::int64_t>(value);
}

void OptimizerState::check_size(std::string_view name, std::size_t stored, Index expected) const {
  if (stored != static_cast<std::size_t>(expected))
    throw ValueError("optimizer state entry '" + std::string(name) + "' has " +
                     std::to_string(stored) + " values, expected " + std::to_string(expected));
}

void OptimizerState::write(std::ostream& out) const {
  out.write(kMagic, sizeof kMagic);
  write_u64(out, kVersion);
  write_string(out, optimizer_);
  write_u64(out, entries_.size());
  for (const auto& [name, values] : entries_) {
    write_string(out, name);
    write_u64(out, values.size());
    out.write(reinterpret_cast<const char*>(values.data()),
              static_cast<std::streamsize>(values.size() * sizeof(double)));
  }
  if (!out) throw Error("could not write the optimizer state");
}

OptimizerState OptimizerState::read(std::istream& in, std::string_view source) {
  Reader reader(in, source);
  char magic[sizeof kMagic];
  reader.bytes(magic, sizeof magic, "the header");
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    reader.fail("not an optimizer state (wrong magic bytes)");
  const std::uint64_t version = reader.u64("the version");
  if (version != kVersion)
    reader.fail("unsupported optimizer-state version " + std::to_string(version) +
                " (this build reads version " + std::to_string(kVersion) + ")");
  OptimizerState state(reader.string("the optimizer name"));
  const std::uint64_t count = reader.u64("the entry count");
  if (count > kMaxEntries) reader.fail("implausible entry count " + std::to_string(count));
  for (std::uint64_t e = 0; e < count; ++e) {
    std::string name = reader.string("an entry name");
    const std::uint64_t size = reader.u64("an entry size");
    // Grow as the data arrives, so a corrupt size cannot make us allocate terabytes up front.
    std::vector<double> values;
    constexpr std::uint64_t kChunk = 1 << 16;
    for (std::uint64_t done = 0; done < size;) {
      const std::uint64_t take = std::min(kChunk, size - done);
      values.resize(done + take);
      reader.bytes(reinterpret_cast<char*>(values.data() + done), take * sizeof(double),
                   ("entry '" + name + "'").c_str());
      done += take;
    }
    state.entries_[std::move(name)] = std::move(values);
  }
  return state;
}

}  // namespace curvopt
