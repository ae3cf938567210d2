// IdOrder: 16 bytes, kept in each index entry, that order document ids as
// their text does, so that ties between equal keys are broken without
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

#include <array>
#include <cstddef>
#include <cstdint>
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

  // Each byte's value as a lowercase hex digit, or kNotHex.
  static constexpr std::uint8_t kNotHex = 0xFF;
  static constexpr std::array<std::uint8_t, 256> kHexValue = [] {
    std::array<std::uint8_t, 256> table{};
    table.fill(kNotHex);
    for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) table[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - 'a' + 10);
    return table;
  }();

  // "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lowercase hex only.
  bool pack_uuid(std::string_view id) noexcept {
    if (id.size() != kUuidLength || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-') return false;
    // The 32 digits' places in the text, most significant first.
    static constexpr std::array<std::uint8_t, 32> kDigitAt = {0,  1,  2,  3,  4,  5,  6,  7,  9,  10, 11,
                                                              12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25,
                                                              26, 27, 28, 29, 30, 31, 32, 33, 34, 35};
    std::uint64_t words[2] = {0, 0};
    std::uint8_t seen = 0;  // every digit's value or-ed: a kNotHex shows above the low nibble
    for (std::size_t i = 0; i < kDigitAt.size(); ++i) {
      const std::uint8_t nibble = kHexValue[static_cast<unsigned char>(id[kDigitAt[i]])];
      seen |= nibble;
      words[i / 16] = words[i / 16] << 4 | (nibble & 0xF);
    }
    if ((seen & 0xF0) != 0) return false;
    high_ = words[0];
    low_ = words[1];
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

}  // namespace snapstore::index
