// The tools' interface: everything of recovery/ — and through it of the
// layers below — that tools/ may use beyond the public API (docs/
// ARCHITECTURE.md, "The tools' interface"). tools/ includes this header or
// one of the headers it includes, and no other header of a library folder
// except fault/ and base/:
//   store_dir.h    the directory: file names, is_store, the lock
//                  (StoreDir::open_for_reading) and the file operations
//                  the tools need (path_exists, create_directory, sync_directory);
//   store_reader.h a read-only view of the files (RocksDB + WAL overlay),
//                  also of a store another process has open (open_live);
//   change_tail.h  the changes of the WAL from a revision on, live;
//   store_check.h  verify's data checks and the `wal` listing;
//   bulk_loader.h  restore's and import's writer of a new store's RocksDB;
//   build_dir.h    restore's (and backups') directory built beside its
//                  target and renamed into place;
// and here, the byte format of documents, for the dump file format.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "recovery/build_dir.h"
#include "recovery/bulk_loader.h"
#include "recovery/change_tail.h"
#include "recovery/store_check.h"
#include "recovery/store_dir.h"
#include "recovery/store_reader.h"
#include "snapstore/status.h"
#include "snapstore/value.h"

namespace snapstore::recovery {

// Appends a document's or a value's msgpack encoding, the bytes a store
// keeps (docs/FORMATS.md); InvalidDocument when nested deeper than `max_depth`.
Status encode_document(const Object& doc, std::string& out, std::size_t max_depth);
Status encode_value(const Value& value, std::string& out, std::size_t max_depth);
// Decodes exactly one value spanning all of `bytes`, nested at most
// `max_depth` deep; decode_document: and it must be a map.
Result<Value> decode_value(std::string_view bytes, std::size_t max_depth);
Result<Object> decode_document(std::string_view bytes, std::size_t max_depth);

}  // namespace snapstore::recovery
