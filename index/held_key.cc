// HeldKey (see held_key.h).
#include "index/held_key.h"

#include <new>

namespace snapstore::index {

Value* HeldKey::Block::first() noexcept { return std::launder(reinterpret_cast<Value*>(this + 1)); }

template <typename Span, typename Construct>
HeldKey HeldKey::build(Span values, Construct construct) {
  void* raw = ::operator new(sizeof(Block) + values.size() * sizeof(Value));
  auto* block = new (raw) Block{0};
  Value* out = reinterpret_cast<Value*>(block + 1);
  try {
    for (; block->size < values.size(); ++block->size) construct(out + block->size, values[block->size]);
  } catch (...) {
    HeldKey partial;
    partial.block_ = block;  // releases the values built so far
    throw;
  }
  HeldKey key;
  key.block_ = block;
  return key;
}

HeldKey HeldKey::copy_of(std::span<const Value> values) {
  return build(values, [](Value* at, const Value& v) { new (at) Value(v); });
}

HeldKey HeldKey::moved_from(std::span<Value> values) {
  return build(values, [](Value* at, Value& v) { new (at) Value(std::move(v)); });
}

void HeldKey::release() noexcept {
  Value* values = block_->first();
  for (std::size_t i = 0; i < block_->size; ++i) values[i].~Value();
  block_->~Block();
  ::operator delete(block_);
  block_ = nullptr;
}

}  // namespace snapstore::index
