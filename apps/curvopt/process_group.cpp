#include "process_group.h"

#include <chrono>
#include <cstdio>
#include <thread>

namespace curvopt::cli {
namespace {

Communicator* the_world = nullptr;

}  // namespace

ProcessGroup::ProcessGroup(int& argc, char**& argv) {
  if (!started_by_mpi_launcher()) return;
  session_ = std::make_unique<MpiSession>(argc, argv);  // ConfigError when built without MPI
  if (session_->world().size() > 1) the_world = &session_->world();
}

Communicator* ProcessGroup::world() { return the_world; }

int ProcessGroup::fail(const char* message, int status) {
  Communicator* world = the_world;
  if (!world) {
    std::fprintf(stderr, "curvopt: error: %s\n", message);
    return status;
  }
  if (world->rank() != 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::fprintf(stderr, "curvopt: error (rank %d of %d): %s\n", world->rank(), world->size(),
               message);
  std::fflush(stderr);
  MpiSession::abort(status);
}

}  // namespace curvopt::cli
