// RocksDB's Status as snapstore's: one mapping for every module that calls
// RocksDB, so the same failure has the same code everywhere.
#pragma once

#include <rocksdb/status.h>

#include <string>
#include <string_view>

#include "snapstore/status.h"

namespace snapstore::recovery {

// `what` names the operation that failed, e.g. "open RocksDB at <dir>".
inline Status from_rocksdb(const rocksdb::Status& s, std::string_view what) {
  std::string detail = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::corruption(detail);
  if (s.IsBusy() || s.IsTryAgain()) return Status::busy(detail);
  if (s.IsInvalidArgument() || s.IsNotSupported()) return Status::invalid_argument(detail);
  return Status::io_error(detail);
}

}  // namespace snapstore::recovery
