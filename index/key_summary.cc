// KeySummary (see key_summary.h).
#include "index/key_summary.h"

#include <bit>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace snapstore::index {
namespace {

struct Summary {
  std::uint64_t bits = 0;
  bool exact = false;
};

constexpr int kClassShift = 56;
constexpr std::uint64_t kLowMask = (std::uint64_t{1} << kClassShift) - 1;

Summary summarize_number(double d, bool representable, bool single) {
  constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  constexpr std::uint64_t kClass = std::uint64_t{3} << kClassShift;
  // NaN sorts after every other number, and all NaNs are equal.
  if (std::isnan(d)) return {kClass | kLowMask, single};
  if (d == 0) d = 0.0;  // -0.0 == 0.0 in the order
  const auto raw = std::bit_cast<std::uint64_t>(d);
  // The IEEE bits, made to sort as unsigned integers in numeric order.
  const std::uint64_t ordered = (raw & kSign) != 0 ? ~raw : (raw | kSign);
  // Exact when the dropped byte is zero in the double itself: `ordered` of a
  // negative number is inverted, so its low byte would be 0xFF instead.
  return {kClass | (ordered >> 8), single && representable && (raw & 0xFF) == 0};
}

std::uint64_t load_be(const char* data, std::size_t size) {
  std::uint64_t v = 0;
  if (size == 8) {
    std::memcpy(&v, data, 8);
    return std::endian::native == std::endian::little ? __builtin_bswap64(v) : v;
  }
  std::uint32_t w = 0;
  std::memcpy(&w, data, 4);
  return std::endian::native == std::endian::little ? __builtin_bswap32(w) : w;
}

// The first 8 bytes of `s`, zero-padded, as a big-endian number (the first
// byte highest): the string's bytewise order up to there. Reads only inside
// the string: two overlapping 4-byte loads cover 4 to 7 bytes.
std::uint64_t first_bytes(std::string_view s) {
  const std::size_t n = s.size();
  const auto byte = [&s](std::size_t i) { return std::uint64_t{static_cast<unsigned char>(s[i])}; };
  if (n >= 8) return load_be(s.data(), 8);
  if (n >= 4) return (load_be(s.data(), 4) << 32) | (load_be(s.data() + n - 4, 4) << (8 * (8 - n)));
  if (n == 0) return 0;
  return (byte(0) << 56) | (byte(n / 2) << (8 * (7 - n / 2))) | (byte(n - 1) << (8 * (8 - n)));
}

// Whether the first `size` (at most 7) bytes of `head` hold a NUL: the bytes
// past them are set first, then the usual test for a zero byte.
bool has_nul(std::uint64_t head, std::size_t size) {
  const std::uint64_t v = head | (size == 0 ? ~std::uint64_t{0} : ~std::uint64_t{0} >> (8 * size));
  return ((v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL) != 0;
}

Summary summarize(KeyValues key) {
  if (key.empty()) return {0, true};
  const Value& v = key.front();
  const bool single = key.size() == 1;
  switch (v.type()) {
    case ValueType::kNull:
      return {std::uint64_t{1} << kClassShift, single};
    case ValueType::kBool:
      return {(std::uint64_t{2} << kClassShift) | (v.as_bool() ? 1U : 0U), single};
    case ValueType::kInt: {
      const std::int64_t i = v.as_int();
      constexpr std::int64_t kExactDouble = std::int64_t{1} << 53;
      return summarize_number(static_cast<double>(i), i >= -kExactDouble && i <= kExactDouble, single);
    }
    case ValueType::kUint:  // only above INT64_MAX: never an exact double
      return summarize_number(static_cast<double>(v.as_uint()), false, single);
    case ValueType::kDouble:
      return summarize_number(v.as_double(), true, single);
    case ValueType::kString: {
      // The first 7 bytes, zero-padded: bytewise order is kept. Without NUL
      // bytes a string of up to 7 bytes is all there in its summary.
      const std::string& s = v.as_string();
      const std::uint64_t head = first_bytes(s);
      const bool exact = single && s.size() <= 7 && !has_nul(head, s.size());
      return {(std::uint64_t{4} << kClassShift) | (head >> 8), exact};
    }
    case ValueType::kBinary:
      return {std::uint64_t{5} << kClassShift, false};
    case ValueType::kArray:
      return {std::uint64_t{6} << kClassShift, false};
    case ValueType::kObject:
      return {std::uint64_t{7} << kClassShift, false};
  }
  return {kLowMask | (std::uint64_t{7} << kClassShift), false};
}

}  // namespace

Value KeySummary::value() const noexcept {
  assert(exact());
  const std::uint64_t low = bits_ & kLowMask;
  switch ((bits_ & kOrderBits) >> kClassShift) {
    case 1:
      return Value();
    case 2:
      return Value(low != 0);
    case 3: {
      // Undoes summarize_number: the dropped byte was zero in the double,
      // which is 0xFF in the inverted bits of a negative number.
      constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
      std::uint64_t ordered = low << 8;
      const bool negative = (ordered & kSign) == 0;
      if (negative) ordered |= 0xFF;
      return Value(std::bit_cast<double>(negative ? ~ordered : ordered & ~kSign));
    }
    case 4: {
      char text[7];
      std::size_t size = 0;
      while (size < sizeof text && ((low >> (48 - 8 * size)) & 0xFF) != 0) {
        text[size] = static_cast<char>((low >> (48 - 8 * size)) & 0xFF);
        ++size;
      }
      return Value(std::string(text, size));  // within the small-string buffer: no allocation
    }
  }
  // The empty key has no value, and no other class is ever exact.
  std::abort();
}

KeySummary::KeySummary(KeyValues key) noexcept {
  const Summary summary = summarize(key);
  bits_ = summary.bits | (summary.exact ? kExactBit : 0);
}

}  // namespace snapstore::index
