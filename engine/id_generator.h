// Document ids: UUIDv7 strings (RFC 9562), 36 lowercase characters.
//
// Ids are strictly increasing within a process, also within one millisecond
// and across threads (a 42-bit counter seeded at random each millisecond
// follows the timestamp), so id order is insertion order: RocksDB keys,
// Store::read() and Store::stream() follow it.
//
// Thread safety: next_document_id() may be called from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace snapstore::engine {

std::string next_document_id();

// A generated id with the 128 bits its text spells (`high` holds the first
// 16 hex digits, `low` the last 16): a writer orders the id in its indexes
// from the bits (index::IdOrder::of_uuid) instead of parsing the text.
struct GeneratedId {
  std::string text;
  std::uint64_t high = 0;
  std::uint64_t low = 0;
};
GeneratedId next_generated_id();

}  // namespace snapstore::engine
