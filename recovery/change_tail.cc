// ChangeTail (see change_tail.h).
#include "recovery/change_tail.h"

#include "recovery/change_decode.h"
#include "recovery/store_dir.h"
#include "recovery/store_reader.h"

namespace snapstore::recovery {
namespace {
// Options::max_nesting_depth's default, as the tools' readers use.
constexpr std::size_t kMaxDepth = 100;
}  // namespace

ChangeTail::ChangeTail(std::string dir, std::uint64_t from)
    : dir_(std::move(dir)), next_(from), tail_(wal::Env::posix(), wal_dir_path(dir_), from) {}

Status ChangeTail::retired(std::uint64_t oldest) const {
  return Status::revision_retired("revision " + std::to_string(next_) + " of the store at " + dir_ +
                                  " is retired (a checkpoint removed its WAL segment): the oldest revision available "
                                  "is " + std::to_string(oldest));
}

Result<std::unique_ptr<ChangeTail>> ChangeTail::open(const std::string& dir, std::uint64_t from_revision,
                                                     bool wait_for_future) {
  if (from_revision == 0) return Status::invalid_argument("revisions start at 1: --from 0 names none");
  auto reader = StoreReader::open_live(dir);
  if (!reader) return reader.status();
  const std::uint64_t revision = (*reader)->revision();
  if (from_revision > revision + 1 && !wait_for_future) {
    return Status::invalid_argument("revision " + std::to_string(from_revision) + " is in the future: the store at " +
                                    dir + " is at revision " + std::to_string(revision));
  }
  std::unique_ptr<ChangeTail> tail(new ChangeTail(dir, from_revision));
  tail->store_revision_ = revision;
  // Changes the store already has must still be in the WAL: RocksDB keeps
  // only their effect. (The first segment may start anywhere at or below.)
  if (from_revision <= revision) {
    const auto& segments = (*reader)->wal_summary().segments;
    const std::uint64_t oldest = segments.empty() ? revision + 1 : segments.front().first_lsn;
    if (oldest > from_revision) return tail->retired(oldest);
  }
  return tail;
}

Status ChangeTail::poll(std::vector<Change>& out) {
  const std::size_t start = out.size();
  const wal::BatchVisitor visit = [&](const wal::Batch& batch) {
    const std::size_t before = out.size();
    if (Status s = append_changes(batch, kMaxDepth, out); !s) {
      out.resize(before);
      return s;
    }
    // A resume inside a batch: its earlier operations were delivered before.
    std::erase_if(out, [&](const Change& c) { return c.revision < next_; });
    return Status::ok();
  };
  auto progress = tail_.poll(visit);
  if (!progress && progress.code() == StatusCode::kCorruption) {
    // A gap may be a segment a checkpoint removed while an earlier one was
    // read: started afresh, the tail then says "retired"; real damage
    // stays Corruption.
    out.resize(start);
    tail_.reset(next_);
    progress = tail_.poll(visit);
  }
  if (!progress) {
    out.resize(start);
    return progress.status();
  }
  if (progress->retired) return retired(progress->oldest_lsn);
  if (out.size() > start) next_ = out.back().revision + 1;
  return Status::ok();
}

}  // namespace snapstore::recovery
