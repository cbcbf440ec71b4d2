#include "curvopt/linalg/lbfgs_memory.h"

#include <cmath>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

template <class Scalar>
void LbfgsMemory<Scalar>::resize(Index n, int capacity) {
  if (capacity < 1)
    throw ConfigError("LbfgsMemory: capacity = " + std::to_string(capacity) + ": must be >= 1");
  s_.resize(n, capacity);
  y_.resize(n, capacity);
  rho_.resize(capacity);
  alpha_.resize(capacity);
  head_ = 0;
  size_ = 0;
}

template <class Scalar>
bool LbfgsMemory<Scalar>::push(ConstVectorRef<Scalar> s, ConstVectorRef<Scalar> y,
                               double curvature_epsilon) {
  if (s.size() != dimension() || y.size() != dimension())
    throw ShapeError("LbfgsMemory: pair of length " + std::to_string(s.size()) + "/" +
                     std::to_string(y.size()) + ", expected " + std::to_string(dimension()));
  const auto sy = static_cast<double>(s.dot(y));
  const double scale = static_cast<double>(s.norm()) * static_cast<double>(y.norm());
  if (!(sy > curvature_epsilon * scale) || !std::isfinite(sy)) return false;
  Index target;
  if (size_ < capacity()) {
    target = slot(size_);
    ++size_;
  } else {
    target = head_;  // overwrite the oldest
    head_ = static_cast<int>((head_ + 1) % capacity());
  }
  s_.col(target) = s;
  y_.col(target) = y;
  rho_(target) = static_cast<Scalar>(1 / sy);
  return true;
}

template <class Scalar>
void LbfgsMemory<Scalar>::apply(ConstVectorRef<Scalar> q, VectorRef<Scalar> out) {
  out = q;
  if (size_ == 0) return;
  for (int i = size_ - 1; i >= 0; --i) {
    const Index k = slot(i);
    alpha_(k) = rho_(k) * s_.col(k).dot(out);
    out.noalias() -= alpha_(k) * y_.col(k);
  }
  const Index newest = slot(size_ - 1);
  const Scalar gamma = s_.col(newest).dot(y_.col(newest)) / y_.col(newest).squaredNorm();
  out *= gamma;
  for (int i = 0; i < size_; ++i) {
    const Index k = slot(i);
    const Scalar beta = rho_(k) * y_.col(k).dot(out);
    out.noalias() += (alpha_(k) - beta) * s_.col(k);
  }
}

template class LbfgsMemory<float>;
template class LbfgsMemory<double>;

}  // namespace curvopt
