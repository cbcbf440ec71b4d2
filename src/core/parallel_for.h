#pragma once
/// Loops spread over the OpenMP threads, for the element-wise and unfolding passes that BLAS does
/// not parallelize for us.

#include <omp.h>

#include <algorithm>

#include "curvopt/core/types.h"

namespace curvopt::detail {

/// Threads worth using for `count` independent items of about `item_work` scalars each: one when
/// a single thread is in force or the whole loop is too small to pay for waking a second one.
inline int threads_for(Index count, Index item_work) {
  constexpr Index kMinWorkPerThread = Index(1) << 15;
  const Index by_work = std::max<Index>(1, count * item_work / kMinWorkPerThread);
  return static_cast<int>(std::min<Index>({omp_get_max_threads(), count, by_work}));
}

/// body(i, thread) for i in [0, count) on `threads` threads, each taking a contiguous range
/// (static schedule), so that which thread did what depends only on count and threads. With one
/// thread the loop runs inline, without a parallel construct: libgomp allocates a team even for
/// a serialized region, and the hot paths promise no allocations after warm-up.
template <class Body>
void parallel_for(Index count, int threads, Body&& body) {
  if (threads <= 1) {
    for (Index i = 0; i < count; ++i) body(i, 0);
    return;
  }
#pragma omp parallel for num_threads(threads) schedule(static)
  for (Index i = 0; i < count; ++i) body(i, omp_get_thread_num());
}

}  // namespace curvopt::detail
