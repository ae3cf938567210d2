// Snapshot: one immutable version of one document, shared by reference count.
//
// The document table points each id at its current Snapshot, and every index
// entry points at the Snapshot its key was read from; a write installs a new
// one and never changes an old one, so a reader, stream or cursor that holds
// a SnapshotPtr keeps that version alive, and nothing else does. The
// bytes are the document's msgpack encoding — the bytes the WAL record and
// the RocksDB value carry (unless recovery re-encoded a document whose keys
// were out of order) — always in the form value::scan::check_document()
// accepts (the encoder writes it; recovery checks what it loads), so views
// read them in place and the deep copy go-store promises decodes them
// without re-checking.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "value/doc_id.h"
#include "snapstore/value_view.h"
#include "value/msgpack_scan.h"

namespace snapstore::value {

struct Snapshot {
  DocId id;                    // the document's id, the same in every version
  std::string bytes;           // msgpack encoding of the document (an object)
  std::uint64_t version = 0;   // 1 on insert, +1 per update
  std::uint64_t revision = 0;  // the store-wide sequence number of the write
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;
using Snapshots = std::vector<SnapshotPtr>;

// The document of a snapshot, read in place.
inline ValueView view_of(const Snapshot& snapshot) noexcept {
  return detail::ViewAccess::of(value::scan::bytes_of(snapshot.bytes));
}

}  // namespace snapstore::value
