#pragma once
/// The best iterate seen on the current data: what a non-monotone method (uphill steps, momentum)
/// reports instead of its last iterate, and the reference uphill acceptance compares with.

#include <cstdint>
#include <limits>
#include <string_view>

#include "curvopt/core/types.h"
#include "curvopt/optim/optimizer_state.h"

namespace curvopt {

/// Records the lowest loss seen and its parameters while the problem's data_version() stays
/// the same (a full batch); a new version starts a new record. Buffers are sized on the first
/// observation; later ones allocate nothing.
/// @tparam Scalar float or double
template <class Scalar>
class BestIterate {
 public:
  /// The loss f at the parameters a step starts from, on data `data_version`.
  void observe_start(std::uint64_t data_version, double f, ConstVectorRef<Scalar> params);
  /// The loss after an accepted step (same data as its start).
  void observe_accepted(double f, ConstVectorRef<Scalar> params);

  bool has_best() const { return has_best_; }
  double best_loss() const { return best_loss_; }
  /// The best iterate when it is better than the current one; else nullptr.
  const Vector<Scalar>* better_than_current() const {
    return has_best_ && best_loss_ < current_loss_ ? &best_ : nullptr;
  }

  void reset();
  /// Adds the record to a checkpoint, and reads it back (n: the number of parameters). After
  /// load() the first data version observed is taken as the one the record was made on.
  /// `prefix` keeps the entries apart from the owner's own (a wrapper's record).
  void save(OptimizerState& state, std::string_view prefix = "") const;
  void load(const OptimizerState& state, Index n, std::string_view prefix = "");

 private:
  double current_loss_ = std::numeric_limits<double>::quiet_NaN();
  double best_loss_ = std::numeric_limits<double>::infinity();
  Vector<Scalar> best_;
  bool has_best_ = false;
  std::uint64_t data_version_ = 0;
  bool adopt_version_ = false;
};

extern template class BestIterate<float>;
extern template class BestIterate<double>;

}  // namespace curvopt
