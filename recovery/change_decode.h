// change_decode: turns a WAL batch (wal/record.h) into the public Changes of
// the change feed (snapstore/change.h). It lives below the engine so that the
// store's own feed and a reader in another process (a follower, the CLI)
// decode the log one way.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <vector>

#include "snapstore/change.h"
#include "snapstore/status.h"
#include "wal/record.h"

namespace snapstore::recovery {

// Appends one Change per operation of `batch` to `out`, revision first_lsn + i,
// each carrying the batch's bounds. A document that does not decode within
// `max_depth` is Corruption naming its revision and id; `out` then keeps the
// changes appended before it, which the caller discards.
Status append_changes(const wal::Batch& batch, std::size_t max_depth, std::vector<Change>& out);

// The same, as a fresh vector.
Result<std::vector<Change>> changes_of(const wal::Batch& batch, std::size_t max_depth);

}  // namespace snapstore::recovery
