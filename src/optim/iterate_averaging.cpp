#include "curvopt/optim/iterate_averaging.h"

#include <cmath>

#include "curvopt/core/enum_names.h"
#include "curvopt/optim/optimizer_state.h"
#include "curvopt/optim/option_fields.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(AveragingKind, {AveragingKind::kNone, "none"},
                   {AveragingKind::kPolyak, "polyak"}, {AveragingKind::kExponential, "exponential"})

std::optional<std::string> IterateAveragingOptions::validate() const {
  const std::string p = "IterateAveragingOptions::";
  if (!(decay >= 0 && decay < 1))
    return p + "decay = " + format_option_value(decay) + ": must be in [0, 1)";
  if (start < 0) return p + "start = " + format_option_value(start) + ": must be >= 0";
  return std::nullopt;
}

template <class Scalar>
void IterateAverager<Scalar>::add(ConstVectorRef<Scalar> params, std::int64_t update) {
  if (!enabled() || update < options_.start) return;
  if (count_ == 0 || average_.size() != params.size()) {
    average_ = params;  // no allocation when reserve() sized it
    count_ = 1;
    return;
  }
  ++count_;
  if (options_.kind == AveragingKind::kPolyak) {
    average_ += (params - average_) / static_cast<Scalar>(count_);
  } else {
    const auto beta = static_cast<Scalar>(options_.decay);
    average_ = beta * average_ + (1 - beta) * params;
  }
}

template <class Scalar>
void IterateAverager<Scalar>::save(OptimizerState& state) const {
  if (!enabled()) return;
  state.put("average_count", static_cast<double>(count_));
  if (count_ > 0) state.put("average", average_);
}

template <class Scalar>
void IterateAverager<Scalar>::load(const OptimizerState& state) {
  if (!enabled()) return;
  count_ = state.get_count("average_count");
  if (count_ > 0) {
    average_.resize(static_cast<Index>(state.get("average").size()));
    state.get_into("average", average_);
  }
}

template class IterateAverager<float>;
template class IterateAverager<double>;

}  // namespace curvopt
