// Replay, torn tail and repair (see replay.h; docs/RECOVERY.md).
#include "recovery/replay.h"

#include "base/kill_point.h"
#include "recovery/store_dir.h"

namespace snapstore::recovery {
namespace {

// Makes a shortened segment durable: truncate, then sync the file itself.
Status truncate_durably(wal::Env* env, const std::string& path, std::uint64_t size) {
  if (Status s = env->truncate(path, size); !s) return s;
  auto file = env->reopen_file(path);
  if (!file) return file.status();
  if (Status s = (*file)->sync(); !s) return s;
  return (*file)->close();
}

// Copies `from` to `to` so that `to` exists only complete: through a
// temporary file, synced, then renamed (the caller syncs the directory).
Status copy_durably(wal::Env* env, const std::string& from, const std::string& to) {
  auto content = env->read_file(from);
  if (!content) return content.status();
  const std::string temporary = temporary_path(to);
  if (env->exists(temporary)) {
    if (Status s = env->remove(temporary); !s) return s;
  }
  auto file = env->create_file(temporary);
  if (!file) return file.status();
  if (Status s = (*file)->append(*content); !s) return s;
  if (Status s = (*file)->sync(); !s) return s;
  if (Status s = (*file)->close(); !s) return s;
  return env->rename(temporary, to);
}

}  // namespace

Status visit_operations(const wal::Batch& batch, OperationVisitor& visitor) {
  std::uint64_t lsn = batch.first_lsn;
  for (const wal::Operation& op : batch.ops) {
    Status status;
    switch (op.type) {
      case wal::OpType::kInsert:
      case wal::OpType::kUpdate:
        status = visitor.put(op, lsn);
        break;
      case wal::OpType::kDelete:
        status = visitor.remove(op, lsn);
        break;
      case wal::OpType::kCreateIndex:
        status = visitor.create_index(op, lsn);
        break;
      case wal::OpType::kDropIndex:
        status = visitor.drop_index(op, lsn);
        break;
    }
    if (!status) return status;
    ++lsn;
  }
  return Status::ok();
}

Result<Replayed> replay_wal(wal::Env* env, const std::string& wal_dir, std::uint64_t applied_lsn, bool salvage,
                            const std::function<Status(const wal::Batch&)>& on_batch,
                            const std::function<void(const wal::Batch&)>& on_read) {
  Replayed replayed;
  replayed.last_lsn = applied_lsn;
  if (!env->exists(wal_dir)) return replayed;
  // Without on_read nothing needs the records RocksDB holds: the reader
  // passes over them undecoded (D63).
  const wal::BelowFloor below_floor = on_read ? wal::BelowFloor::kVisit : wal::BelowFloor::kSkip;
  auto read = (salvage ? wal::salvage_log : wal::read_log)(
      env, wal_dir, applied_lsn,
      [&](const wal::Batch& batch) -> Status {
        if (on_read) on_read(batch);
        if (batch.last_lsn() <= applied_lsn) return Status::ok();  // already in RocksDB
        if (batch.first_lsn != replayed.last_lsn + 1) {
          return Status::corruption("WAL in " + wal_dir + " continues at LSN " + std::to_string(batch.first_lsn) +
                                    " but RocksDB holds the state up to LSN " + std::to_string(replayed.last_lsn) +
                                    " (records in between are missing)");
        }
        if (Status s = on_batch(batch); !s) return s;
        replayed.last_lsn = batch.last_lsn();
        ++replayed.batches;
        return Status::ok();
      },
      below_floor);
  if (!read) return read.status();
  replayed.summary = std::move(*read);
  return replayed;
}

Status set_damage_aside(wal::Env* env, const std::string& wal_dir, const wal::Damage& damage,
                        std::vector<wal::SegmentInfo>& segments, OpenReport& report) {
  report.repaired_file = damage.path;
  report.repaired_offset = damage.offset;
  report.repaired_first_lost_lsn = damage.expected_lsn;
  report.repaired_reason = damage.reason;
  for (std::size_t i = damage.segment; i < segments.size(); ++i) {
    const wal::SegmentInfo& segment = segments[i];
    const std::string aside = damaged_path(segment.path);
    const bool keep_prefix = i == damage.segment && damage.offset > 0;
    report.repaired_bytes_dropped += keep_prefix ? segment.size - damage.offset : segment.size;
    if (keep_prefix) {
      if (!env->exists(aside)) {
        if (Status s = copy_durably(env, segment.path, aside); !s) return s;
      }
      if (Status s = truncate_durably(env, segment.path, damage.offset); !s) return s;
    } else if (Status s = env->rename(segment.path, aside); !s) {
      return s;
    }
    report.set_aside.push_back(aside);
  }
  if (Status s = env->sync_dir(wal_dir); !s) return s;
  segments.resize(damage.offset > 0 ? damage.segment + 1 : damage.segment);
  return Status::ok();
}

Status cut_torn_tail(wal::Env* env, const std::string& wal_dir, const wal::TornTail& torn_tail,
                     std::vector<wal::SegmentInfo>& segments) {
  SNAPSTORE_KILL_POINT("recovery.before_truncate");
  if (torn_tail.offset == 0) {
    if (Status s = env->remove(torn_tail.path); !s) return s;
    segments.pop_back();
    if (Status s = env->sync_dir(wal_dir); !s) return s;
  } else if (Status s = truncate_durably(env, torn_tail.path, torn_tail.offset); !s) {
    return s;
  }
  SNAPSTORE_KILL_POINT("recovery.after_truncate");
  return Status::ok();
}

}  // namespace snapstore::recovery
