// Document ids: UUIDv7 strings (RFC 9562), 36 lowercase characters.
//
// Ids are strictly increasing within a process, also within one millisecond
// and across threads (a 42-bit counter seeded at random each millisecond
// follows the timestamp), so id order is insertion order: RocksDB keys,
// Store::read() and Store::stream() follow it.
//
// Thread safety: next_document_id() may be called from any thread.
#pragma once

#include <string>

namespace snapstore::engine {

std::string next_document_id();

}  // namespace snapstore::engine
