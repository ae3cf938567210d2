// ChangeTail: the changes (snapstore/change.h) of a store directory from a
// revision on, read from its WAL while another process may be writing it, or
// from a closed store: what `snapstore changes DIR --from R [--follow]` prints.
// wal::LogTail follows the files (rotation, retirement, the record being
// written); recovery::append_changes decodes each batch as Store::changes does.
//
// A change is delivered once its record is complete in the WAL file, synced
// or not (docs/GUARANTEES.md, "Followers and the change feed", D90).
//
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "snapstore/change.h"
#include "snapstore/status.h"
#include "wal/tail.h"

namespace snapstore::recovery {

class ChangeTail {
 public:
  // The changes of the store at `dir` from `from_revision` (>= 1) on. Reads
  // the store's revision as a follower would, taking no lock and writing
  // nothing. InvalidArgument: `dir` holds no store; from_revision is 0; or it
  // is already retired by a checkpoint (naming the oldest revision the WAL
  // still holds); or, unless `wait_for_future`, it lies beyond the store's
  // next revision (naming the store's revision).
  static Result<std::unique_ptr<ChangeTail>> open(const std::string& dir, std::uint64_t from_revision,
                                                  bool wait_for_future);

  // Appends every change complete in the WAL now, in revision order, from
  // next_revision() on. InvalidArgument when the next revision was retired
  // meanwhile (a consumer too slow for the owner's checkpoints); Corruption
  // naming file and offset for a damaged sealed segment.
  Status poll(std::vector<Change>& out);
  std::uint64_t next_revision() const { return next_; }
  // The store's revision when open() looked.
  std::uint64_t store_revision() const { return store_revision_; }

 private:
  ChangeTail(std::string dir, std::uint64_t from);
  Status retired(std::uint64_t oldest) const;

  const std::string dir_;
  std::uint64_t next_;
  std::uint64_t store_revision_ = 0;
  wal::LogTail tail_;
};

}  // namespace snapstore::recovery
