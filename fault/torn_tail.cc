// Deliberate torn tails (see torn_tail.h).
#include "fault/torn_tail.h"

#include "recovery/store_dir.h"
#include "wal/env.h"
#include "wal/format.h"
#include "wal/reader.h"

namespace snapstore::fault {

Result<bool> tear_wal_tail(const std::string& store_dir) {
  wal::Env* env = wal::Env::posix();
  auto segments = wal::list_segments(env, recovery::wal_dir_path(store_dir));
  if (!segments) return segments.status();
  if (segments->empty() || segments->back().size < wal::kSegmentHeaderSize) return false;
  auto file = env->reopen_file(segments->back().path);
  if (!file) return file.status();
  // A record header whose length runs past the end of the file.
  if (Status s = (*file)->append(std::string(20, '\x5a')); !s) return s;
  if (Status s = (*file)->close(); !s) return s;
  return true;
}

}  // namespace snapstore::fault
