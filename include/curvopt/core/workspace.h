#pragma once
/// Grow-only scratch memory: matrices of varying shape carved from one buffer that is enlarged
/// only when a larger shape is first requested, so alternating between oracles of different
/// sizes (e.g. m = b and m = b·c rows) does not allocate on every switch.

#include "curvopt/core/types.h"

namespace curvopt {

template <class Scalar>
class Workspace {
 public:
  /// A rows × cols view; its contents are unspecified, and invalidated by the next call.
  MatrixMap<Scalar> matrix(Index rows, Index cols) {
    if (buffer_.size() < rows * cols) buffer_.resize(rows * cols);
    return MatrixMap<Scalar>(buffer_.data(), rows, cols);
  }

 private:
  Vector<Scalar> buffer_;
};

}  // namespace curvopt
