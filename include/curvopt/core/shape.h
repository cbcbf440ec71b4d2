#pragma once
/// Per-example tensor shape (channels × height × width); a flat feature vector is {n, 1, 1}.

#include <string>

#include "curvopt/core/types.h"

namespace curvopt {

struct Shape {
  Index channels = 1;
  Index height = 1;
  Index width = 1;

  /// Number of scalars one example occupies (the row count of a batch matrix).
  Index size() const { return channels * height * width; }
  bool is_flat() const { return height == 1 && width == 1; }
  bool operator==(const Shape&) const = default;

  static Shape flat(Index n) { return Shape{n, 1, 1}; }
  static Shape image(Index c, Index h, Index w) { return Shape{c, h, w}; }
};

/// "3x28x28" for images, "64" for flat shapes.
std::string to_string(const Shape& shape);

}  // namespace curvopt
