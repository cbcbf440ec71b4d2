# Third-party dependencies, all from Debian packages (see scripts/setup).
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(OpenMP REQUIRED COMPONENTS CXX)
# Gzip-compressed idx files (Fashion-MNIST from Debian's dataset-fashion-mnist).
find_package(ZLIB REQUIRED)

# Eigen routes its dense products through BLAS (EIGEN_USE_BLAS). We link the OpenMP build of
# OpenBLAS directly so that there is exactly one threading runtime (libgomp) in the process:
# mixing it with the pthreads OpenBLAS halved throughput in our measurements.
find_library(CURVOPT_OPENBLAS_LIBRARY NAMES openblas
  HINTS /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/aarch64-linux-gnu/openblas-openmp
  REQUIRED)
find_path(CURVOPT_OPENBLAS_INCLUDE_DIR NAMES cblas.h
  HINTS /usr/include/x86_64-linux-gnu/openblas-openmp /usr/include/aarch64-linux-gnu/openblas-openmp
        /usr/include/openblas
  REQUIRED)
message(STATUS "curvopt: OpenBLAS ${CURVOPT_OPENBLAS_LIBRARY} (headers ${CURVOPT_OPENBLAS_INCLUDE_DIR})")
if(CURVOPT_MPI)
  # OpenMPI from Debian (scripts/setup --mpi); mpirun starts the ranks (tests use MPIEXEC_*).
  # The C API from C++ (the project enables no C compiler); MPI's deprecated C++ bindings are
  # neither used nor linked.
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI REQUIRED COMPONENTS CXX)
endif()
