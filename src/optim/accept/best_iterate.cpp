#include "curvopt/optim/accept/best_iterate.h"

#include <string>
#include <utility>

namespace curvopt {

template <class Scalar>
void BestIterate<Scalar>::observe_start(std::uint64_t data_version, double f,
                                        ConstVectorRef<Scalar> params) {
  // Losses on other data are not comparable: forget the record, unless it was just loaded from a
  // checkpoint (then this is the data it was made on, rebound under a fresh version).
  if (data_version != data_version_ && !std::exchange(adopt_version_, false)) has_best_ = false;
  data_version_ = data_version;
  current_loss_ = f;
  if (!has_best_ || f < best_loss_) {
    best_ = params;
    best_loss_ = f;
    has_best_ = true;
  }
}

template <class Scalar>
void BestIterate<Scalar>::observe_accepted(double f, ConstVectorRef<Scalar> params) {
  current_loss_ = f;
  if (f < best_loss_) {
    best_ = params;
    best_loss_ = f;
  }
}

template <class Scalar>
void BestIterate<Scalar>::reset() {
  has_best_ = false;
  adopt_version_ = false;
  current_loss_ = std::numeric_limits<double>::quiet_NaN();
  best_loss_ = std::numeric_limits<double>::infinity();
}

template <class Scalar>
void BestIterate<Scalar>::save(OptimizerState& state, std::string_view prefix) const {
  const std::string p(prefix);
  state.put(p + "current_loss", current_loss_);
  state.put(p + "has_best", has_best_ ? 1.0 : 0.0);
  if (has_best_) {
    state.put(p + "best_loss", best_loss_);
    state.put(p + "best_parameters", best_);
  }
}

template <class Scalar>
void BestIterate<Scalar>::load(const OptimizerState& state, Index n, std::string_view prefix) {
  const std::string p(prefix);
  current_loss_ = state.get_scalar(p + "current_loss");
  has_best_ = state.get_scalar(p + "has_best") != 0;
  adopt_version_ = true;
  if (has_best_) {
    best_loss_ = state.get_scalar(p + "best_loss");
    best_.resize(n);
    state.get_into(p + "best_parameters", best_);
  }
}

template class BestIterate<float>;
template class BestIterate<double>;

}  // namespace curvopt
