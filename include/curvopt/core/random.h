#pragma once
/// Seeded pseudo-random numbers with results that depend only on the seed (no dependence on the
/// standard library's distribution implementations), so runs are reproducible everywhere.

#include <cstdint>

namespace curvopt {

/// xoshiro256** generator seeded through SplitMix64, with the few distributions curvopt needs.
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) { reseed(seed); }

  void reseed(std::uint64_t seed);
  /// Uniform 64-bit integer.
  std::uint64_t next_u64();
  /// Uniform on [0, 1) with 53 random bits.
  double uniform();
  /// Uniform on [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer on [0, n) without modulo bias; n must be > 0.
  std::uint64_t uniform_int(std::uint64_t n);
  /// Standard normal (Marsaglia polar method; the spare value is kept).
  double normal();
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  /// An independent generator derived from this one's stream (for per-layer or per-run streams).
  Rng split();

 private:
  std::uint64_t s_[4] = {};
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace curvopt
