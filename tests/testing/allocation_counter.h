#pragma once
/// Counts heap allocations (malloc and friends, which Eigen and operator new both reach) while
/// enabled. Built by replacing glibc's malloc family in the test executable; not available under
/// AddressSanitizer, which replaces them itself.

#include <cstddef>

namespace curvopt::testing {

/// Whether this build can count (false under sanitizers).
bool allocation_counting_available();
/// Starts counting allocations made by any thread.
void start_counting_allocations();
/// Stops counting and returns the number of allocations since the start.
std::size_t stop_counting_allocations();
/// The largest single allocation (bytes) counted since the last start.
std::size_t largest_counted_allocation();

}  // namespace curvopt::testing
