#pragma once
/// The state an optimizer carries between steps (moments, curvature pairs, counters), in a form
/// that checkpoints can write and read back exactly.

#include <iosfwd>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "curvopt/core/types.h"

namespace curvopt {

/// Named arrays of numbers. Values are stored as double, which holds every float and every
/// integer below 2⁵³ exactly, so a float optimizer resumes bit-identically.
class OptimizerState {
 public:
  OptimizerState() = default;
  /// `optimizer` is the registry name of the optimizer the state belongs to.
  explicit OptimizerState(std::string optimizer) : optimizer_(std::move(optimizer)) {}

  const std::string& optimizer() const { return optimizer_; }
  bool contains(std::string_view name) const;
  /// Names of every entry, sorted.
  std::vector<std::string> names() const;

  void put(std::string_view name, double value);
  template <class Derived>
  void put(std::string_view name, const Eigen::DenseBase<Derived>& values) {
    auto& entry = entries_[std::string(name)];
    entry.resize(static_cast<std::size_t>(values.size()));
    Index i = 0;
    for (Index c = 0; c < values.cols(); ++c)
      for (Index r = 0; r < values.rows(); ++r)
        entry[static_cast<std::size_t>(i++)] = static_cast<double>(values.derived()(r, c));
  }

  /// The entry called `name`; throws ValueError naming it when missing.
  std::span<const double> get(std::string_view name) const;
  /// A one-element entry; throws ValueError when missing or not a single value.
  double get_scalar(std::string_view name) const;
  /// A one-element entry holding a count: a whole number in [0, 2⁵³] (what a double holds
  /// exactly). Throws ValueError naming the entry otherwise, so that a forged or corrupt state
  /// (NaN, −1, 1e300) never reaches an integer cast.
  std::int64_t get_count(std::string_view name) const;
  /// Whether `value` is such a count (for counts stored inside a larger entry).
  static bool is_count(double value);
  /// Copies an entry into `out` (column-major), which must have exactly as many elements;
  /// throws ValueError naming the entry and both sizes otherwise.
  template <class Derived>
  void get_into(std::string_view name, Eigen::DenseBase<Derived>& out) const {
    const std::span<const double> values = get(name);
    check_size(name, values.size(), out.size());
    Index i = 0;
    for (Index c = 0; c < out.cols(); ++c)
      for (Index r = 0; r < out.rows(); ++r)
        out.derived()(r, c) =
            static_cast<typename Derived::Scalar>(values[static_cast<std::size_t>(i++)]);
  }

  /// Binary form: magic, version, optimizer name, then (name, values) entries, little-endian.
  void write(std::ostream& out) const;
  /// Reads what write() wrote; throws ValueError naming `source` and the byte offset on a wrong
  /// magic, unknown version or truncated input.
  static OptimizerState read(std::istream& in, std::string_view source = "optimizer state");

  /// Bit-for-bit equality of the name and every entry: what a checkpoint restores. A NaN entry
  /// (a loss not yet measured) equals the same NaN, unlike under double's ==.
  bool operator==(const OptimizerState& other) const;

 private:
  void check_size(std::string_view name, std::size_t stored, Index expected) const;

  std::string optimizer_;
  std::map<std::string, std::vector<double>, std::less<>> entries_;
};

}  // namespace curvopt
