// The msgpack encoding of Values: the one byte format snapstore keeps a
// document in, from the in-memory snapshot to the WAL record and the RocksDB
// value (docs/FORMATS.md, "Document encoding").
//
// Encoding is canonical: integers in their smallest msgpack form (non-negative
// ones as unsigned), doubles always as float64, strings as str, binary as bin,
// object fields in sorted order. Decoding accepts any well-formed msgpack that
// maps onto a Value (float32 widens to double; map keys must be strings) and
// never trusts its input: malformed, truncated, over-deep or trailing bytes are
// Corruption, never a crash or an unbounded allocation.
//
// Thread safety: free functions without shared state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "snapstore/status.h"
#include "snapstore/value.h"

namespace snapstore::value {

// Appends the encoding of `v` to `out`. InvalidDocument when arrays and
// objects nest deeper than `max_depth` (a top-level object is depth 1); `out`
// may then hold a partial encoding, which the caller discards.
Status encode_msgpack(const Value& v, std::string& out, std::size_t max_depth);
Status encode_msgpack(const Object& doc, std::string& out, std::size_t max_depth);
// Encodes the document `doc` into `scratch`, which the caller keeps from call
// to call: it is written over from its start (its size is room, never
// cleared), so once it has grown to the largest document nothing is
// allocated. Returns the encoding, the bytes encode_msgpack(doc, ...) would
// append, as a view into `scratch` that lives until `scratch` changes; the
// same errors. What a write uses to build its snapshot with one copy:
//   std::string scratch;  // kept, e.g. thread_local
//   auto bytes = encode_document_in(doc, scratch, max_depth);
//   if (bytes) snapshot = Snapshot::make(id, *bytes, 1, revision);
Result<std::string_view> encode_document_in(const Object& doc, std::string& scratch, std::size_t max_depth);

// Decodes exactly one Value spanning all of `bytes`.
Result<Value> decode_msgpack(std::string_view bytes, std::size_t max_depth);
// Decodes a document: like decode_msgpack, and the value must be a map.
Result<Object> decode_document(std::string_view bytes, std::size_t max_depth);

// Makes `bytes` a document that scan::check_document() accepts (what every
// Snapshot holds): unchanged when they already are; re-encoded when they are
// a well-formed document whose map keys are merely out of order (another
// writer's msgpack); Corruption naming why when they are not a document.
Status make_checked_document(std::string& bytes, std::size_t max_depth);

}  // namespace snapstore::value
