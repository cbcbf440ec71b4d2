#include "curvopt/optim/search/learning_rate_rescue.h"

#include "curvopt/core/enum_names.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(LrSearchGrid, {LrSearchGrid::kS1, "s1"}, {LrSearchGrid::kHalving, "halving"})

}  // namespace curvopt
