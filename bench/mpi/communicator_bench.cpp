// Time of one Communicator::sum of n floats over the ranks of mpirun, for n from 1 to 10⁷, and
// the bytes each rank sent: the latency α and inverse bandwidth β of the docs' scaling model
// t(n) = α + β·(bytes per rank). Run: mpirun -np K curvopt_communicator_bench.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <span>
#include <vector>

#include "curvopt/core/mpi.h"

int main(int argc, char** argv) {
  curvopt::MpiSession session(argc, argv);
  curvopt::Communicator& world = session.world();
  if (world.rank() == 0)
    std::printf("ranks %d\n%10s %14s %14s %12s\n", world.size(), "floats", "seconds/sum",
                "bytes/rank", "GB/s/rank");
  for (std::size_t n :
       {1ul, 10ul, 100ul, 1000ul, 10000ul, 100000ul, 1000000ul, 2424753ul, 10000000ul}) {
    std::vector<float> x(n, 1.0f);
    const int repeats = static_cast<int>(std::clamp<std::size_t>(20000000 / (n + 1000), 5, 2000));
    world.sum(std::span<float>(x));  // warm-up: buffers and connections
    const std::uint64_t sent_before = world.bytes_sent();
    world.broadcast(0);  // every rank starts together
    const auto start = std::chrono::steady_clock::now();
    for (int k = 0; k < repeats; ++k) world.sum(std::span<float>(x));
    world.broadcast(0);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
    const double bytes = static_cast<double>(world.bytes_sent() - sent_before) / repeats;
    if (world.rank() == 0)
      std::printf("%10zu %14.3g %14.0f %12.2f\n", n, seconds, bytes, bytes / seconds / 1e9);
  }
  return 0;
}
