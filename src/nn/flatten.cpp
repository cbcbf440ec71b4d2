#include "curvopt/nn/flatten.h"

namespace curvopt {

template class Flatten<float>;
template class Flatten<double>;

}  // namespace curvopt
