// The counting replacement of the global operator new behind AllocationMeter.
// Array and aligned forms default to this one or do not concern the decoders.
#include "testutil/allocation_meter.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace snapstore::testutil {
namespace {

// Plain thread_locals: operator new must not allocate, and only the
// measuring thread's requests count.
thread_local bool metering = false;
thread_local std::size_t total = 0;
thread_local std::size_t largest = 0;

}  // namespace

AllocationMeter::AllocationMeter() {
  total = 0;
  largest = 0;
  metering = true;
}

AllocationMeter::~AllocationMeter() { metering = false; }

std::size_t AllocationMeter::total_bytes() const { return total; }
std::size_t AllocationMeter::largest_bytes() const { return largest; }

}  // namespace snapstore::testutil

void* operator new(std::size_t size) {
  if (snapstore::testutil::metering) {
    snapstore::testutil::total += size;
    snapstore::testutil::largest = std::max(snapstore::testutil::largest, size);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t /*size*/) noexcept { std::free(p); }
