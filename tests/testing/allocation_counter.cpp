#include "testing/allocation_counter.h"

#include <link.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CURVOPT_COUNT_ALLOCATIONS 0
#else
#define CURVOPT_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};
std::atomic<std::size_t> largest{0};

// OpenBLAS's small-matrix GEMM kernels for AVX-512 CPUs (e.g. sgemm_small_kernel_nn_COOPERLAKE)
// malloc a scratch block on every call. That is the BLAS library's business, not curvopt's, so
// allocations whose immediate caller lies inside libopenblas are not counted.
std::uintptr_t blas_begin = 0, blas_end = 0;

int find_blas(dl_phdr_info* info, std::size_t, void*) {
  if (!info->dlpi_name || !std::strstr(info->dlpi_name, "libopenblas")) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD) continue;
    const std::uintptr_t lo = info->dlpi_addr + segment.p_vaddr, hi = lo + segment.p_memsz;
    if (blas_begin == 0 || lo < blas_begin) blas_begin = lo;
    if (hi > blas_end) blas_end = hi;
  }
  return 1;
}

#if CURVOPT_COUNT_ALLOCATIONS
void note(void* caller, std::size_t bytes) {
  if (!counting.load(std::memory_order_relaxed)) return;
  const auto address = reinterpret_cast<std::uintptr_t>(caller);
  if (address >= blas_begin && address < blas_end) return;
  allocations.fetch_add(1, std::memory_order_relaxed);
  std::size_t seen = largest.load(std::memory_order_relaxed);
  while (bytes > seen && !largest.compare_exchange_weak(seen, bytes)) {
  }
}
#endif
}  // namespace

namespace curvopt::testing {

bool allocation_counting_available() { return CURVOPT_COUNT_ALLOCATIONS != 0; }

void start_counting_allocations() {
  if (blas_end == 0) dl_iterate_phdr(find_blas, nullptr);
  allocations = 0;
  largest = 0;
  counting = true;
}

std::size_t largest_counted_allocation() { return largest.load(); }

std::size_t stop_counting_allocations() {
  counting = false;
  return allocations.load();
}

}  // namespace curvopt::testing

#if CURVOPT_COUNT_ALLOCATIONS
// glibc supports replacing its allocator from the executable ("Replacing malloc" in the glibc
// manual); the __libc_* entry points remain available for forwarding.
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t size) {
  note(__builtin_return_address(0), size);
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
  note(__builtin_return_address(0), count * size);
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) {
  note(__builtin_return_address(0), size);
  return __libc_realloc(p, size);
}
void free(void* p) { __libc_free(p); }
void* memalign(std::size_t alignment, std::size_t size) {
  note(__builtin_return_address(0), size);
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
  note(__builtin_return_address(0), size);
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
  note(__builtin_return_address(0), size);
  void* p = __libc_memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
}
#endif
