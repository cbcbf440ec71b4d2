#include "curvopt/core/mpi.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>

#include "curvopt/core/errors.h"

#if CURVOPT_HAVE_MPI
#include <mpi.h>
#endif

namespace curvopt {

bool mpi_available() { return CURVOPT_HAVE_MPI != 0; }

bool started_by_mpi_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

#if CURVOPT_HAVE_MPI
namespace {

template <class T>
MPI_Datatype mpi_type();
template <>
MPI_Datatype mpi_type<float>() {
  return MPI_FLOAT;
}
template <>
MPI_Datatype mpi_type<double>() {
  return MPI_DOUBLE;
}

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string("MPI: ") + what + " failed: " + std::string(text, length));
}

/// MPI_COMM_WORLD. The sum is a reduce-scatter followed by an allgather, both written out so that
/// the adding order is fixed: rank c owns the c-th of size() near-equal chunks, receives every
/// rank's copy of it (MPI_Alltoallv), adds them in rank order and sends the total to everyone
/// (MPI_Allgatherv). Each rank sends 2·(K − 1)/K of the vector, as a ring allreduce does, and
/// MPI's own reduction order (which may differ between algorithms and message sizes) never
/// enters. Buffers grow to the longest vector summed and are reused.
class WorldCommunicator final : public Communicator {
 public:
  WorldCommunicator() {
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    const auto k = static_cast<std::size_t>(size_);
    send_counts_.resize(k);
    send_offsets_.resize(k);
    receive_counts_.resize(k);
    receive_offsets_.resize(k);
    gather_counts_.resize(k);
    gather_offsets_.resize(k);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void sum(std::span<double> values) override { sum_in_rank_order(values, double_buffer_); }
  void sum(std::span<float> values) override { sum_in_rank_order(values, float_buffer_); }
  void gather(std::span<const double> mine, std::span<const std::int64_t> counts,
              std::span<double> all) override {
    gather_in_rank_order(mine, counts, all);
  }
  void gather(std::span<const float> mine, std::span<const std::int64_t> counts,
              std::span<float> all) override {
    gather_in_rank_order(mine, counts, all);
  }
  std::int64_t broadcast(std::int64_t value) override {
    check(MPI_Bcast(&value, 1, MPI_INT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
    if (rank_ == 0) bytes_sent_ += sizeof(value) * static_cast<std::uint64_t>(size_ - 1);
    return value;
  }
  std::uint64_t bytes_sent() const override { return bytes_sent_; }

 private:
  template <class T>
  void sum_in_rank_order(std::span<T> values, std::vector<T>& buffer) {
    if (size_ == 1 || values.empty()) return;
    if (values.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw ShapeError("MPI: cannot sum " + std::to_string(values.size()) +
                       " values in one call (MPI counts are int)");
    const int n = static_cast<int>(values.size());
    auto chunk_begin = [&](int c) {
      return static_cast<int>(static_cast<std::int64_t>(n) * c / size_);
    };
    const int mine = chunk_begin(rank_ + 1) - chunk_begin(rank_);
    for (int c = 0; c < size_; ++c) {
      send_offsets_[c] = chunk_begin(c);
      send_counts_[c] = chunk_begin(c + 1) - chunk_begin(c);
      receive_counts_[c] = mine;
      receive_offsets_[c] = c * mine;
    }
    buffer.resize(std::max(buffer.size(), static_cast<std::size_t>(mine) * size_));
    const MPI_Datatype type = mpi_type<T>();
    check(
        MPI_Alltoallv(values.data(), send_counts_.data(), send_offsets_.data(), type, buffer.data(),
                      receive_counts_.data(), receive_offsets_.data(), type, MPI_COMM_WORLD),
        "MPI_Alltoallv");
    T* own = values.data() + chunk_begin(rank_);
    for (int i = 0; i < mine; ++i) {
      T total = buffer[static_cast<std::size_t>(i)];
      for (int r = 1; r < size_; ++r) total += buffer[static_cast<std::size_t>(r * mine + i)];
      own[i] = total;
    }
    check(MPI_Allgatherv(MPI_IN_PLACE, 0, type, values.data(), send_counts_.data(),
                         send_offsets_.data(), type, MPI_COMM_WORLD),
          "MPI_Allgatherv");
    bytes_sent_ += sizeof(T) * (static_cast<std::uint64_t>(n - mine) +
                                static_cast<std::uint64_t>(mine) * (size_ - 1));
  }

  template <class T>
  void gather_in_rank_order(std::span<const T> mine, std::span<const std::int64_t> counts,
                            std::span<T> all) {
    if (counts.size() != static_cast<std::size_t>(size_))
      throw ShapeError("MPI gather: " + std::to_string(counts.size()) + " counts for " +
                       std::to_string(size_) + " ranks");
    std::int64_t total = 0;
    for (int r = 0; r < size_; ++r) {
      const std::int64_t c = counts[static_cast<std::size_t>(r)];
      if (c < 0 || total + c > std::numeric_limits<int>::max())
        throw ShapeError("MPI gather: " + std::to_string(total + c) +
                         " values do not fit one call (MPI counts are int)");
      gather_counts_[static_cast<std::size_t>(r)] = static_cast<int>(c);
      gather_offsets_[static_cast<std::size_t>(r)] = static_cast<int>(total);
      total += c;
    }
    if (static_cast<std::int64_t>(mine.size()) != counts[static_cast<std::size_t>(rank_)] ||
        static_cast<std::int64_t>(all.size()) != total)
      throw ShapeError(
          "MPI gather: rank " + std::to_string(rank_) + " gives " + std::to_string(mine.size()) +
          " of " + std::to_string(all.size()) + " values, its counts say " +
          std::to_string(counts[static_cast<std::size_t>(rank_)]) + " of " + std::to_string(total));
    const MPI_Datatype type = mpi_type<T>();
    check(MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), type, all.data(),
                         gather_counts_.data(), gather_offsets_.data(), type, MPI_COMM_WORLD),
          "MPI_Allgatherv");
    bytes_sent_ +=
        sizeof(T) * static_cast<std::uint64_t>(mine.size()) * static_cast<std::uint64_t>(size_ - 1);
  }

  int rank_ = 0, size_ = 1;
  std::vector<int> send_counts_, send_offsets_, receive_counts_, receive_offsets_;
  std::vector<int> gather_counts_, gather_offsets_;
  std::vector<double> double_buffer_;
  std::vector<float> float_buffer_;
  std::uint64_t bytes_sent_ = 0;
};

}  // namespace

MpiSession::MpiSession(int& argc, char**& argv) {
  int initialized = 0;
  check(MPI_Initialized(&initialized), "MPI_Initialized");
  if (initialized) throw ConfigError("MpiSession: MPI is already initialized (one session only)");
  int provided = 0;
  check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as codes (thrown as curvopt::Error) instead of ending the job silently.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  world_ = std::make_unique<WorldCommunicator>();
}

MpiSession::~MpiSession() {
  world_.reset();
  MPI_Finalize();
}

void MpiSession::abort(int status) {
  MPI_Abort(MPI_COMM_WORLD, status);
  std::exit(status);  // MPI_Abort does not return; this only satisfies [[noreturn]]
}

#else

MpiSession::MpiSession(int&, char**&) {
  throw ConfigError(
      "this curvopt was built without MPI: install OpenMPI (scripts/setup --mpi) and configure "
      "with -DCURVOPT_MPI=ON");
}

MpiSession::~MpiSession() = default;

void MpiSession::abort(int status) { std::exit(status); }

#endif

}  // namespace curvopt
