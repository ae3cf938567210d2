// The mirror's RocksDB column families as every open of its database lists
// them: default, docs, meta (the handles come back in this order), and the
// options the mirror writes them with.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <string>
#include <vector>

#include "recovery/mirror_format.h"

namespace snapstore::recovery {

inline std::vector<rocksdb::ColumnFamilyDescriptor> mirror_column_families(
    const rocksdb::ColumnFamilyOptions& options = {}) {
  return {
      {rocksdb::kDefaultColumnFamilyName, options},
      {std::string(kDocsFamily), options},
      {std::string(kMetaFamily), options},
  };
}

// What the mirror's applier writes with (D107). Only RocksDB's writer reads
// these: a read-only or secondary open of the same files needs none of them
// (each table block records its own compression).
inline rocksdb::ColumnFamilyOptions mirror_write_options() {
  rocksdb::ColumnFamilyOptions options;
  // Flushes write level 0 uncompressed: the flush of every document then
  // pays no snappy on the cores the writers share; compaction compresses
  // from level 1 down, where the data stays.
  options.compression_per_level = {rocksdb::kNoCompression, rocksdb::kSnappyCompression};
  return options;
}

}  // namespace snapstore::recovery
