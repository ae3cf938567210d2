// A torn tail made on purpose: tests and `snapstore crashtest` append a
// half-written record to a crashed store's log, so that the recovery that
// follows has a tail to cut and passes its truncation kill points.
//
// The damage must be one a crash can leave. A last segment shorter than its
// header is already torn (the crash came while the segment was created) and
// is left as it is: garbage appended to it would turn it into a full-size
// header that is not one, which the reader rightly calls corruption.
#pragma once

#include <string>

#include "snapstore/status.h"

namespace snapstore::fault {

// Appends a torn record to the last WAL segment of the store in `store_dir`.
// Returns true if it did, false if there was nothing to tear (no segment, or
// a last segment already torn inside its header).
Result<bool> tear_wal_tail(const std::string& store_dir);

}  // namespace snapstore::fault
