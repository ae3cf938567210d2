// UUIDv7 generation (see id_generator.h).
//
// Layout: 48-bit Unix milliseconds | version 7 | 12-bit counter high part |
// variant 10 | 30-bit counter low part | 32 random bits. The 42-bit counter
// starts at a random value below 2^41 each new millisecond, leaving at least
// 2^41 increments before it would overflow; on overflow the timestamp moves
// one millisecond ahead, as RFC 9562 section 6.2 allows.
#include "engine/id_generator.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>

namespace snapstore::engine {
namespace {

constexpr std::uint64_t kCounterBits = 42;
constexpr std::uint64_t kCounterMax = (std::uint64_t{1} << kCounterBits) - 1;

std::uint64_t random_u64() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

struct IdClock {
  std::mutex mutex;
  std::uint64_t last_ms = 0;
  std::uint64_t counter = 0;
};

IdClock& id_clock() {
  static IdClock clock;
  return clock;
}

// The two lowercase hex digits of every byte value, so that an id is
// written a byte (two digits) per step rather than a digit per step.
constexpr std::array<char, 512> kHexPairs = [] {
  constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 512> pairs{};
  for (std::size_t b = 0; b < 256; ++b) {
    pairs[2 * b] = kHex[b >> 4];
    pairs[2 * b + 1] = kHex[b & 0xF];
  }
  return pairs;
}();

// `digits` (even) lowercase hex digits of `value` at out[pos...].
void put_hex(std::string& out, std::size_t pos, std::uint64_t value, int digits) {
  for (int i = digits - 2; i >= 0; i -= 2) {
    const std::size_t byte = value & 0xFF;
    out[pos + static_cast<std::size_t>(i)] = kHexPairs[2 * byte];
    out[pos + static_cast<std::size_t>(i) + 1] = kHexPairs[2 * byte + 1];
    value >>= 8;
  }
}

}  // namespace

std::string next_document_id() { return next_generated_id().text; }

GeneratedId next_generated_id() {
  const auto now_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  std::uint64_t ms = 0;
  std::uint64_t counter = 0;
  {
    IdClock& clock = id_clock();
    std::lock_guard lock(clock.mutex);
    if (now_ms > clock.last_ms) {
      clock.last_ms = now_ms;
      clock.counter = random_u64() & (kCounterMax >> 1);
    } else if (clock.counter == kCounterMax) {
      ++clock.last_ms;
      clock.counter = random_u64() & (kCounterMax >> 1);
    } else {
      ++clock.counter;
    }
    ms = clock.last_ms;
    counter = clock.counter;
  }
  const std::uint64_t counter_high = counter >> 30;          // 12 bits
  const std::uint64_t counter_low = counter & 0x3FFFFFFFULL;  // 30 bits
  const std::uint64_t random_low = random_u64() & 0xFFFFFFFFULL;

  // xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx
  const std::uint64_t hi = (ms << 16) | (std::uint64_t{7} << 12) | counter_high;
  const std::uint64_t lo = (std::uint64_t{2} << 62) | (counter_low << 32) | random_low;
  GeneratedId id{std::string(36, '-'), hi, lo};
  put_hex(id.text, 0, hi >> 32, 8);
  put_hex(id.text, 9, (hi >> 16) & 0xFFFF, 4);
  put_hex(id.text, 14, hi & 0xFFFF, 4);
  put_hex(id.text, 19, lo >> 48, 4);
  put_hex(id.text, 24, lo & 0xFFFFFFFFFFFFULL, 12);
  return id;
}

}  // namespace snapstore::engine
