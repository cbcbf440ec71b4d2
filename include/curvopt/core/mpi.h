#pragma once
/// MPI (OpenMPI from Debian) behind the Communicator interface; present when the library is
/// built with CURVOPT_MPI=ON (mpi_available() says so). No MPI header leaks into user code.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "curvopt/core/communicator.h"

namespace curvopt {

/// True when this build of curvopt was compiled with MPI.
bool mpi_available();

/// True when this process was started by an MPI launcher (mpirun/mpiexec of OpenMPI, MPICH or
/// a PMI-based scheduler), read from the environment it sets: a program run plainly then never
/// initializes MPI.
bool started_by_mpi_launcher();

/// MPI for the lifetime of the object: initializes it (threads funneled: OpenMP threads never
/// call MPI) and finalizes it on destruction. One per process, created first in main(). A
/// program started without `mpirun` runs as a single rank. Throws ConfigError when the library
/// was built without MPI.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  /// All ranks of the job (MPI_COMM_WORLD).
  Communicator& world() { return *world_; }

  /// Ends every rank of the job at once with `status` (MPI_Abort): what a rank does after an
  /// error the others cannot know about, so that they do not wait for it forever.
  [[noreturn]] static void abort(int status);

 private:
  std::unique_ptr<Communicator> world_;
};

}  // namespace curvopt
