// KeySummary: 64 bits, kept in each index entry, that order keys by their
// first value, so that most comparisons in the B-tree never reach the key's
// values in their heap block (a cache miss each). Where the summary holds
// the key whole, the entry keeps no other copy of it.
//
// The top bits hold the class of the first value (the order of classes is
// compare()'s), the rest 7 bytes that order values within the class:
// numbers by their double's bits, strings by their first 7 bytes. A smaller
// summary means an earlier key. Equal summaries decide nothing unless both
// are exact, which means equal summaries imply equal keys: one value, held
// whole (a string of up to 7 bytes without NUL, a number whose double has
// its lowest byte zero: every integer up to 2^45 in magnitude, and halves,
// quarters and the like of them; null; a bool).
//
// Thread safety: a value type, immutable once built.
#pragma once

#include <cstdint>

#include "index/key.h"

namespace snapstore::index {

class KeySummary {
 public:
  // compare()'s answer when only the keys themselves can tell.
  static constexpr int kUndecided = 2;

  explicit KeySummary(KeyValues key) noexcept;

  // Whether the summary holds its key whole.
  bool exact() const noexcept { return (bits_ & kExactBit) != 0; }
  // For an exact summary of a one-value key: a value that compare() finds
  // equal to the key's, rebuilt from the bits (a number comes back as a
  // double, which compares equal to the integer it may have been; a string
  // of up to 7 bytes needs no heap block). Index entries keep no key of
  // their own when their summary is exact.
  Value value() const noexcept;

  // The bits compare() orders by, as one unsigned number: a radix sort's
  // key. Equal numbers decide nothing unless both summaries are exact.
  std::uint64_t order_bits() const noexcept { return bits_ & kOrderBits; }

  static int compare(KeySummary a, KeySummary b) noexcept {
    const std::uint64_t x = a.bits_ & kOrderBits;
    const std::uint64_t y = b.bits_ & kOrderBits;
    if (x != y) return x < y ? -1 : 1;
    return (a.bits_ & b.bits_ & kExactBit) != 0 ? 0 : kUndecided;
  }

 private:
  static constexpr std::uint64_t kExactBit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kOrderBits = ~kExactBit;

  std::uint64_t bits_ = 0;
};

}  // namespace snapstore::index
