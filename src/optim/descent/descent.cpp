#include "curvopt/optim/descent/descent.h"

#include "curvopt/core/enum_names.h"

namespace curvopt {

CURVOPT_ENUM_NAMES(StepScalar, {StepScalar::kDamping, "damping"},
                   {StepScalar::kRadius, "trust-region radius"},
                   {StepScalar::kStepSize, "step size"})

}  // namespace curvopt
