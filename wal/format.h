// The write-ahead log's on-disk format: this header and docs/FORMATS.md
// ("Write-ahead log") define it, and nothing else does.
//
//   segment := header record*
//   header  := magic[8] "SNAPWAL\n" | format_version u32 | flags u32 (0)
//              | first_lsn u64 | checksum u64 (xxh64 of the 24 bytes before)
//   record  := checksum u64 | length u32 | type u8 | payload[length]
//              checksum = xxh64(length, type, payload), seed 0
//   types   := 1 batch (payload: record.h) | 0x81 sync mark (synced_lsn u64)
//
// All integers are little-endian. A segment is named by its first LSN
// (`<first_lsn, 20 decimal digits>.log`) and holds records whose LSNs follow
// on without gaps from that first LSN.
//
// Record types carry explicit numbers that are never reused. Type 0 is
// reserved: zeroed space (preallocation, a torn write) never looks like a
// record. Types with the high bit set are "safe to ignore": a reader that does
// not know one skips it; an unknown type without the bit is corruption.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace snapstore::wal {

// "<path> at offset <offset>": how every WAL error names a place in a segment.
inline std::string at_offset(const std::string& path, std::uint64_t offset) {
  return path + " at offset " + std::to_string(offset);
}

inline constexpr std::array<char, 8> kSegmentMagic = {'S', 'N', 'A', 'P', 'W', 'A', 'L', '\n'};
inline constexpr std::uint32_t kFormatVersion = 1;

inline constexpr std::size_t kSegmentHeaderSize = 32;
inline constexpr std::size_t kSegmentHeaderChecksummed = 24;  // bytes covered by the header checksum

inline constexpr std::size_t kRecordHeaderSize = 13;  // checksum 8 + length 4 + type 1
inline constexpr std::size_t kRecordChecksumSize = 8;

// No record payload may be larger: a length above it is corruption, so a bad
// length never makes the reader allocate gigabytes.
inline constexpr std::uint32_t kMaxRecordPayload = 256U << 20;

inline constexpr std::uint8_t kIgnorableTypeBit = 0x80;

enum class RecordType : std::uint8_t {
  kZero = 0,   // reserved: zeroed space, never written
  kBatch = 1,  // one atomic batch of operations (record.h)
  // The writer's durable LSN when the records after it were written: every
  // record up to that LSN had been synced. Lets the reader tell a torn,
  // never-synced tail from damage to synced records (docs/FORMATS.md).
  kSyncMark = kIgnorableTypeBit | 1,  // payload: synced_lsn u64
};
inline constexpr std::uint32_t kSyncMarkPayloadSize = 8;

static_assert(kSegmentHeaderSize == sizeof(kSegmentMagic) + 4 + 4 + 8 + 8);
static_assert(kSegmentHeaderChecksummed == kSegmentHeaderSize - 8);
static_assert(kRecordHeaderSize == kRecordChecksumSize + sizeof(std::uint32_t) + sizeof(std::uint8_t));

}  // namespace snapstore::wal
