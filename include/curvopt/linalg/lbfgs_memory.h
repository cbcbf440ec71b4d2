#pragma once
/// The limited-memory BFGS inverse-Hessian approximation: a ring of curvature pairs and the
/// two-loop recursion (Liu & Nocedal 1989). Shared by L-BFGS and the sampled quasi-Newton methods.

#include "curvopt/core/types.h"

namespace curvopt {

/// Up to `capacity` pairs (s, y) with sᵀy > 0; applies H ≈ (∇²f)⁻¹ to a vector in 4·k·n flops.
/// Storage (2·capacity·n) is allocated once by resize(); push() and apply() allocate nothing.
/// @tparam Scalar float or double
template <class Scalar>
class LbfgsMemory {
 public:
  /// Allocates storage for `capacity` ≥ 1 pairs of length n and clears the memory.
  void resize(Index n, int capacity);
  void clear() { size_ = 0; }

  Index dimension() const { return s_.rows(); }
  int capacity() const { return static_cast<int>(s_.cols()); }
  /// Pairs held (≤ capacity).
  int size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// Stores (s, y) when sᵀy > curvature_epsilon·‖s‖·‖y‖ (the scale-free test of the
  /// sampled quasi-Newton code of Berahas et al. 2022), dropping the oldest pair when full.
  /// Returns whether the pair was stored.
  bool push(ConstVectorRef<Scalar> s, ConstVectorRef<Scalar> y, double curvature_epsilon);

  /// out = H q by the two-loop recursion with H₀ = γI, γ = sᵀy/yᵀy of the newest pair (γ = 1
  /// without pairs, so that out = q). `out` may not alias q.
  void apply(ConstVectorRef<Scalar> q, VectorRef<Scalar> out);

  /// Pair i, oldest first (i < size()).
  auto s(int i) const { return s_.col(slot(i)); }
  auto y(int i) const { return y_.col(slot(i)); }

 private:
  Index slot(int i) const { return (head_ + i) % s_.cols(); }

  Matrix<Scalar> s_, y_;  // n × capacity, ring buffer starting at head_
  Vector<Scalar> rho_, alpha_;
  int head_ = 0;
  int size_ = 0;
};

extern template class LbfgsMemory<float>;
extern template class LbfgsMemory<double>;

}  // namespace curvopt
