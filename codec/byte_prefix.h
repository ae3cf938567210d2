// The first 32 bytes of a string as four big-endian words: comparing the
// words orders strings as memcmp does, as far as the prefix reaches. Sorts of
// many heap strings (document ids, index keys) compare these compact words
// first and touch the strings themselves only where prefixes tie.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace snapstore::codec {

// Zero-padded: "ab" and "ab\0" have one prefix, so equal prefixes mean
// "compare the strings", never "equal".
using BytePrefix = std::array<std::uint64_t, 4>;

inline BytePrefix byte_prefix(std::string_view s) noexcept {
  BytePrefix words{};
  for (std::size_t word = 0; word < words.size(); ++word) {
    std::uint64_t bits = 0;
    for (std::size_t b = 0; b < 8; ++b) {
      const std::size_t at = word * 8 + b;
      bits = bits << 8 | (at < s.size() ? static_cast<unsigned char>(s[at]) : 0U);
    }
    words[word] = bits;
  }
  return words;
}

}  // namespace snapstore::codec
