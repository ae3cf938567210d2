// PageAllocator: a standard allocator whose every allocation is a mapping of
// its own, unmapped again on deallocate. For the large temporary buffers a
// worker thread fills while the store builds an index: from malloc they
// would come out of that thread's arena, whose freed pages stay resident
// after the build (glibc trims a secondary arena only past its dynamic
// trim threshold), so a build would leave memory behind (DECISIONS D111).
// A mapping is pages the kernel hands out and takes back whole. Its pages
// are populated at once (MAP_POPULATE): such a buffer is reserved at about
// the size it is filled to, and one call that faults in every page costs far
// less than a fault per page (a trap each, dearer still in a VM).
//
//   std::vector<const Item*, base::PageAllocator<const Item*>> items;
//   items.reserve(n);  // one mapping of n items' pages
//
// Thread safety: stateless; any thread may allocate and free.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <limits>
#include <new>

namespace snapstore::base {

template <typename T>
class PageAllocator {
 public:
  using value_type = T;

  PageAllocator() noexcept = default;
  template <typename U>
  PageAllocator(const PageAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor): allocators convert

  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    void* p = ::mmap(nullptr, bytes(n), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept { ::munmap(p, bytes(n)); }

  template <typename U>
  friend bool operator==(const PageAllocator&, const PageAllocator<U>&) noexcept {
    return true;
  }

 private:
  // mmap rounds up to pages itself; a zero-length mapping is refused.
  static std::size_t bytes(std::size_t n) noexcept { return n == 0 ? 1 : n * sizeof(T); }
};

}  // namespace snapstore::base
