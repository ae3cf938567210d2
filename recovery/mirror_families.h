// The mirror's RocksDB column families as every open of its database lists
// them: default, docs, meta (the handles come back in this order).
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

}  // namespace snapstore::recovery
