// AllocationMeter: counts the heap bytes requested through operator new while
// one is alive on the current thread, so a test can check that decoding
// untrusted bytes allocates in proportion to their size and no more.
//
// The counting operator new lives in allocation_meter.cc; link that file into
// a test binary to use the meter. Only the constructing thread is measured.
#pragma once

#include <cstddef>

namespace snapstore::testutil {

class AllocationMeter {
 public:
  AllocationMeter();
  ~AllocationMeter();
  AllocationMeter(const AllocationMeter&) = delete;
  AllocationMeter& operator=(const AllocationMeter&) = delete;

  // Sum of every request since construction (frees are not subtracted).
  std::size_t total_bytes() const;
  // The largest single request since construction.
  std::size_t largest_bytes() const;
};

}  // namespace snapstore::testutil
