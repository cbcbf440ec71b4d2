#include "curvopt/core/threads.h"

#include <cblas.h>
#include <omp.h>

#include <Eigen/Core>
#include <string>

#include "curvopt/core/errors.h"

namespace curvopt {

void set_num_threads(int n) {
  if (n < 1) throw ConfigError("threads = " + std::to_string(n) + ": must be >= 1");
  omp_set_num_threads(n);
  Eigen::setNbThreads(n);
  openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace curvopt
