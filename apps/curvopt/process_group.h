#pragma once
// The ranks of `mpirun -np K curvopt ...`: MPI is started only when an MPI launcher started the
// process, and an error on any rank ends the whole job with one line and a non-zero status.

#include <memory>

#include "curvopt/core/communicator.h"
#include "curvopt/core/mpi.h"

namespace curvopt::cli {

/// Holds MPI for main()'s lifetime when the process was started by an MPI launcher.
class ProcessGroup {
 public:
  ProcessGroup(int& argc, char**& argv);
  /// The job's ranks, or nullptr when the process runs alone (started plainly, or `-np 1`).
  static Communicator* world();
  /// Rank of this process (0 when alone): only rank 0 prints and writes files.
  static int rank() { return world() ? world()->rank() : 0; }
  /// Prints `message` as curvopt's one error line and returns `status`, or, in a job of several
  /// ranks, ends every rank with `status` (their peers would otherwise wait in a collective
  /// forever). Rank 0 prints at once; another rank waits a moment first, so that an error every
  /// rank meets (a bad flag) is printed once, by rank 0, whose abort ends the others.
  static int fail(const char* message, int status);

 private:
  std::unique_ptr<MpiSession> session_;
};

}  // namespace curvopt::cli
