// IdOrder: 128 bits and a kind (24 bytes with padding), kept in each index
// entry, that order document ids as their text does, so that ties between equal keys are broken without
// reading the id from the entry's snapshot (a cache miss per comparison;
// in an index over a few distinct values nearly every comparison is a tie).
//
// A canonical lowercase UUID (the ids snapstore generates) packs into its 128
// bits, which order exactly as the text does: the dashes sit at the same
// places in every such id and '0'-'9' < 'a'-'f' in ASCII as in value. Any
// other id keeps its first 16 bytes, zero-padded, which order as a prefix
// does. Two packed UUIDs decide every comparison; two prefixes decide
// unless they are equal; a UUID against another id never decides.
//
// Thread safety: a value type, immutable once built.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace snapstore::index {

class IdOrder {
 public:
  // compare()'s answer when only the ids themselves can tell.
  static constexpr int kUndecided = 2;

  explicit IdOrder(std::string_view id) noexcept {
    if (pack_uuid(id)) {
      kind_ = Kind::kUuid;
      return;
    }
    kind_ = Kind::kPrefix;
    high_ = prefix_word(id, 0);
    low_ = prefix_word(id, 8);
  }

  // The order of a canonical lowercase UUID given as its 128 bits (the
  // first character's digit in the top bits of `high`): equal to
  // IdOrder(the UUID's text), without reading the text. The engine's id
  // generator has the bits at hand, so a generated id's order costs nothing.
  static IdOrder of_uuid(std::uint64_t high, std::uint64_t low) noexcept { return IdOrder(high, low); }

  // Whether the id was a canonical lowercase UUID, and then its 128 bits
  // (the engine's table key packs them: engine/table_key.h).
  bool is_uuid() const noexcept { return kind_ == Kind::kUuid; }
  std::uint64_t high() const noexcept { return high_; }
  std::uint64_t low() const noexcept { return low_; }

  // -1, 0 or 1 as the ids compare, or kUndecided.
  static int compare(const IdOrder& a, const IdOrder& b) noexcept {
    if (a.kind_ != b.kind_) return kUndecided;
    if (a.high_ != b.high_) return a.high_ < b.high_ ? -1 : 1;
    if (a.low_ != b.low_) return a.low_ < b.low_ ? -1 : 1;
    return a.kind_ == Kind::kUuid ? 0 : kUndecided;  // equal prefixes: the rest decides
  }

 private:
  enum class Kind : std::uint8_t { kUuid, kPrefix };

  static constexpr std::size_t kUuidLength = 36;

  IdOrder(std::uint64_t high, std::uint64_t low) noexcept : high_(high), low_(low), kind_(Kind::kUuid) {}

  // "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lowercase hex only. The 32
  // digits go eight at a time through one 64-bit word each (see hex_digits).
  bool pack_uuid(std::string_view id) noexcept {
    if (id.size() != kUuidLength || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-') return false;
    const char* text = id.data();
    const auto eight = [text](std::size_t at) { return load(text + at, 8); };
    const auto four_and_four = [text](std::size_t at, std::size_t then) {
      return load(text + at, 4) | load(text + then, 4) << 32;
    };
    std::uint32_t digits[4];
    if (!hex_digits(eight(0), digits[0]) || !hex_digits(four_and_four(9, 14), digits[1]) ||
        !hex_digits(four_and_four(19, 24), digits[2]) || !hex_digits(eight(28), digits[3])) {
      return false;
    }
    high_ = std::uint64_t{digits[0]} << 32 | digits[1];
    low_ = std::uint64_t{digits[2]} << 32 | digits[3];
    return true;
  }

  // `n` bytes of text, the first in the lowest byte.
  static std::uint64_t load(const char* text, std::size_t n) noexcept {
    if constexpr (std::endian::native == std::endian::little) {  // one load, not n (a table lookup parses its id)
      if (n == 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, text, 8);
        return word;
      }
      if (n == 4) {
        std::uint32_t word = 0;
        std::memcpy(&word, text, 4);
        return word;
      }
    }
    std::uint64_t word = 0;
    for (std::size_t i = 0; i < n; ++i) word |= std::uint64_t{static_cast<unsigned char>(text[i])} << (8 * i);
    return word;
  }

  // Eight characters (the first in the lowest byte) as the 32-bit number
  // they spell in lowercase hex; false if any is not '0'-'9' or 'a'-'f'.
  // Bytewise comparisons by carries into each byte's top bit, all eight at
  // once: a byte below 0x80 plus (0x80 - k) has its top bit set iff >= k.
  static bool hex_digits(std::uint64_t chars, std::uint32_t& value) noexcept {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kTops = kOnes * 0x80;
    if ((chars & kTops) != 0) return false;
    const auto at_least = [chars](std::uint64_t k) { return (chars + kOnes * (0x80 - k)) & kTops; };
    const std::uint64_t decimal = at_least('0') & ~at_least('9' + 1);
    const std::uint64_t letter = at_least('a') & ~at_least('f' + 1);
    if ((decimal | letter) != kTops) return false;
    // '0'-'9' end in their value, 'a'-'f' in their value less 9.
    std::uint64_t nibbles = (chars & (kOnes * 0x0F)) + (letter >> 7) * 9;
    // Pairs, quads, then all eight, the earlier character always the higher.
    nibbles = (nibbles & 0x000F000F000F000FULL) << 4 | (nibbles >> 8 & 0x000F000F000F000FULL);
    nibbles = (nibbles & 0x000000FF000000FFULL) << 8 | (nibbles >> 16 & 0x000000FF000000FFULL);
    value = static_cast<std::uint32_t>((nibbles & 0xFFFF) << 16 | (nibbles >> 32 & 0xFFFF));
    return true;
  }

  // Bytes [from, from + 8) of `id` as a big-endian word, zero-padded.
  static std::uint64_t prefix_word(std::string_view id, std::size_t from) noexcept {
    std::uint64_t word = 0;
    for (std::size_t i = from; i < from + 8; ++i) {
      word = word << 8 | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0U);
    }
    return word;
  }

  std::uint64_t high_ = 0;
  std::uint64_t low_ = 0;
  Kind kind_ = Kind::kPrefix;
};

static_assert(sizeof(IdOrder) == 24, "an index entry's size counts on it (DECISIONS.md D7)");

}  // namespace snapstore::index
