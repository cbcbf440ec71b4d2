#include "curvopt/loss/loss.h"

#include <cmath>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

std::string to_string(Reduction reduction) {
  switch (reduction) {
    case Reduction::kMean:
      return "mean";
    case Reduction::kSum:
      return "sum";
    case Reduction::kHalfSum:
      return "half_sum";
  }
  return "unknown";
}

std::optional<Reduction> parse_reduction(std::string_view name) {
  if (name == "mean") return Reduction::kMean;
  if (name == "sum") return Reduction::kSum;
  if (name == "half_sum") return Reduction::kHalfSum;
  return std::nullopt;
}

template <class Scalar>
Scalar Loss<Scalar>::scale(Index b, Index c) const {
  switch (reduction_) {
    case Reduction::kMean:
      return Scalar(1) / mean_count(b, c);
    case Reduction::kSum:
      return Scalar(1);
    case Reduction::kHalfSum:
      return Scalar(0.5);
  }
  return Scalar(1);
}

template <class Scalar>
void Loss<Scalar>::sample_gauss_newton_cotangents(ConstRef Z, Rng& rng, Ref U) const {
  signs_.resize(Z.rows(), Z.cols());
  for (Index s = 0; s < Z.cols(); ++s)
    for (Index k = 0; k < Z.rows(); ++k)
      signs_(k, s) = (rng.next_u64() >> 63) != 0 ? Scalar(1) : Scalar(-1);
  factor_product(Z, signs_, U);
}

template <class Scalar>
void Loss<Scalar>::target_error(const std::string& what, const std::string& received,
                                const std::string& expected, bool shape) const {
  const std::string message = type() + ": " + what + " is " + received + ", expected " + expected;
  if (shape) throw ShapeError(message);
  throw ValueError(message);
}

template <class Scalar>
bool Loss<Scalar>::check_class_labels(Index outputs, ConstRef Y) const {
  if (Y.rows() == 1) {
    for (Index s = 0; s < Y.cols(); ++s) {
      const Scalar label = Y(0, s);
      if (!(label >= 0 && label < static_cast<Scalar>(outputs) && std::floor(label) == label))
        target_error("the class label of example " + std::to_string(s),
                     std::to_string(static_cast<double>(label)),
                     "an integer in [0, " + std::to_string(outputs) + ")", false);
    }
    return true;
  }
  if (Y.rows() != outputs)
    target_error("target rows", std::to_string(Y.rows()),
                 "1 (class indices) or " + std::to_string(outputs) + " (probabilities)", true);
  return false;
}

template class Loss<float>;
template class Loss<double>;

}  // namespace curvopt
