// HeldKey: a key's values in one heap block behind one pointer, for the index
// entries whose KeySummary cannot stand in for their key (composite keys,
// long strings, numbers a double cannot hold). A std::vector in the entry
// would cost 24 bytes of every slot; behind a unique_ptr, a second block and
// a second cache miss on every comparison that reads the key.
//
// Thread safety: a value type; const access from many threads is safe.
#pragma once

#include <cstddef>
#include <span>
#include <utility>

#include "snapstore/value.h"

namespace snapstore::index {

class HeldKey {
 public:
  HeldKey() noexcept = default;
  // Copies `values` into a new block.
  static HeldKey copy_of(std::span<const Value> values);
  // Moves `values` into a new block; they are left moved-from.
  static HeldKey moved_from(std::span<Value> values);

  HeldKey(const HeldKey& other) : HeldKey(other.block_ == nullptr ? HeldKey() : copy_of(other.values())) {}
  HeldKey& operator=(const HeldKey& other) {
    if (this != &other) *this = HeldKey(other);
    return *this;
  }
  HeldKey(HeldKey&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  HeldKey& operator=(HeldKey&& other) noexcept {
    if (this != &other) {
      if (block_ != nullptr) release();
      block_ = std::exchange(other.block_, nullptr);
    }
    return *this;
  }
  // Inline for the common case: the B-tree moves slots, leaving empty keys.
  ~HeldKey() {
    if (block_ != nullptr) release();
  }

  explicit operator bool() const noexcept { return block_ != nullptr; }
  // The values; empty when nothing is held.
  std::span<const Value> values() const noexcept {
    if (block_ == nullptr) return {};
    return {block_->first(), block_->size};
  }

 private:
  // The block: this header, then `size` Values.
  struct Block {
    std::size_t size;
    Value* first() noexcept;
  };
  static_assert(alignof(Value) <= alignof(Block) && sizeof(Block) % alignof(Value) == 0);

  template <typename Span, typename Construct>
  static HeldKey build(Span values, Construct construct);
  void release() noexcept;  // needs a block

  Block* block_ = nullptr;
};

}  // namespace snapstore::index
