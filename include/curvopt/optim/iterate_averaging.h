#pragma once
/// Polyak (Polyak & Juditsky 1992) and exponential iterate averaging: an average of the iterates
/// kept beside the parameters, never fed back into them, for evaluation.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "curvopt/core/types.h"

namespace curvopt {

class OptimizerState;

enum class AveragingKind {
  kNone,
  kPolyak,  ///< θ̄_k = θ̄_{k−1} + (θ_k − θ̄_{k−1})/(k+1): the exact mean of the iterates
  kExponential,  ///< θ̄_k = β θ̄_{k−1} + (1 − β) θ_k
};

std::string_view to_string(AveragingKind kind);
bool parse_enum(std::string_view text, AveragingKind& out);
std::string enum_choices(AveragingKind);

struct IterateAveragingOptions {
  AveragingKind kind = AveragingKind::kNone;
  /// kExponential: β in [0, 1). Default 0.999 (0.99–0.9999 is the usual range).
  double decay = 0.999;
  /// Updates made before averaging begins (the average starts from the iterate after them).
  std::int64_t start = 0;

  std::optional<std::string> validate() const;
};

/// Keeps θ̄. The first iterate it sees initializes it (not 0, to avoid the bias of an EMA
/// started at zero).
template <class Scalar>
class IterateAverager {
 public:
  explicit IterateAverager(const IterateAveragingOptions& options = {}) : options_(options) {}

  bool enabled() const { return options_.kind != AveragingKind::kNone; }
  /// Sizes the storage for n parameters (so that averaging never allocates inside a step).
  void reserve(Index n) { average_.resize(n); }
  /// Folds in θ, the iterate after `update` updates; ignored while update < options.start.
  void add(ConstVectorRef<Scalar> params, std::int64_t update);
  /// θ̄, or nullptr before the first averaged iterate (and always when averaging is off).
  const Vector<Scalar>* average() const { return count_ > 0 ? &average_ : nullptr; }
  void reset() { count_ = 0; }

  void save(OptimizerState& state) const;
  void load(const OptimizerState& state);

 private:
  IterateAveragingOptions options_;
  Vector<Scalar> average_;
  std::int64_t count_ = 0;
};

extern template class IterateAverager<float>;
extern template class IterateAverager<double>;

}  // namespace curvopt
