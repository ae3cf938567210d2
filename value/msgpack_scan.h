// Reading document bytes in place: the fast path behind ValueView, index key
// extraction and the deep-copy decode of stored documents.
//
// check_document() is the gate. It walks untrusted bytes once, bounds-checked
// and without allocating, and accepts exactly one msgpack map whose keys are
// strings in strictly increasing byte order at every level (so no duplicates),
// with no ext values and nesting within a limit. Every Snapshot's bytes pass
// it: the encoder produces such bytes, and recovery checks what it loads from
// RocksDB and the WAL. Everything else here trusts that: it reads accepted
// bytes without bounds checks, and handing it anything else is undefined.
//
// Maps in sorted order let a field search stop early and let the decoder
// append every field at the end of its std::map.
//
// Thread safety: free functions over immutable bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "snapstore/status.h"
#include "snapstore/value.h"
#include "snapstore/value_view.h"

namespace snapstore::value::scan {

// The header of one encoded value.
struct Head {
  ValueType type = ValueType::kNull;
  std::uint32_t length = 0;             // string/binary: bytes; array: elements; object: fields
  const unsigned char* body = nullptr;  // string/binary: the bytes; array/object: the first element or key
  union {
    bool boolean;
    std::int64_t integer;  // kInt (also positive numbers that fit)
    std::uint64_t unsigned_integer;  // kUint: above INT64_MAX
    double real;
  };
  Head() : unsigned_integer(0) {}
};

// Only for bytes check_document() accepted (or values inside them).
Head read_head(const unsigned char* p) noexcept;
// Where the value starting at p ends.
const unsigned char* skip(const unsigned char* p) noexcept;
// The value of `field` in the object whose head is `object`, or nullptr.
const unsigned char* find_field(const Head& object, std::string_view field) noexcept;
// Deep copies.
Value decode(const unsigned char* p);
Object decode_object(const unsigned char* p);

inline const unsigned char* bytes_of(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Whether `bytes` are a document the functions above may read: ok, or
// Corruption "msgpack: <reason> at byte <offset>". A well-formed map whose
// keys are out of order or repeated is Corruption too; decode_document()
// still reads those (keys in any order) and reports repeats, so a caller
// holding such bytes can decode and re-encode them.
Status check_document(std::string_view bytes, std::size_t max_depth);

}  // namespace snapstore::value::scan

namespace snapstore::detail {

// Makes ValueViews of checked bytes and reads their position (ValueView's
// constructor is private so that users cannot view unchecked bytes).
struct ViewAccess {
  static ValueView of(const unsigned char* encoded) noexcept { return ValueView(encoded); }
  static const unsigned char* bytes(const ValueView& view) noexcept { return view.data_; }
};

}  // namespace snapstore::detail
