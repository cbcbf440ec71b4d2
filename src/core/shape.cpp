#include "curvopt/core/shape.h"

namespace curvopt {

std::string to_string(const Shape& shape) {
  if (shape.is_flat()) return std::to_string(shape.channels);
  return std::to_string(shape.channels) + "x" + std::to_string(shape.height) + "x" +
         std::to_string(shape.width);
}

}  // namespace curvopt
