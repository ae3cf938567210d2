// Journal: directory lock, recovery on open, WAL appends, close
// (see journal.h; docs/RECOVERY.md numbers the open steps used below).
#include "engine/journal.h"

#include <chrono>

#include "base/kill_point.h"
#include "wal/reader.h"

namespace snapstore::engine {
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
  const std::string temporary = to + ".tmp";
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

// RecoveryPolicy::kRepair: the log ends at `damage`. The damaged segment is
// copied aside and cut there; every later segment is renamed aside. Each
// step leaves a state from which repairing again reaches the same end.
Status set_damage_aside(wal::Env* env, const std::string& wal_dir, const wal::Damage& damage,
                        std::vector<wal::SegmentInfo>& segments, OpenReport& report) {
  report.repaired_file = damage.path;
  report.repaired_offset = damage.offset;
  report.repaired_first_lost_lsn = damage.expected_lsn;
  report.repaired_reason = damage.reason;
  for (std::size_t i = damage.segment; i < segments.size(); ++i) {
    const wal::SegmentInfo& segment = segments[i];
    const std::string aside = segment.path + ".damaged";
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

}  // namespace

Journal::Journal(std::string dir, const Options& options, wal::Env* env)
    : env_(env != nullptr ? env : wal::Env::posix()),
      dir_(std::move(dir)),
      options_(options),
      read_only_(options.read_only) {}

Journal::~Journal() {
  {
    std::lock_guard lock(periodic_mutex_);
    stop_periodic_ = true;
  }
  periodic_cv_.notify_all();
  if (periodic_.joinable()) periodic_.join();
}

Result<std::unique_ptr<Journal>> Journal::open(const std::string& dir, const Options& options,
                                               const StorageEnv& storage, RecoverySink& sink, OpenReport& report) {
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<Journal> journal(new Journal(dir, options, storage.wal));
  wal::Env* env = journal->env_;

  // 1. The directory, and its lock: one open store per directory.
  recovery::StoreDirOptions dir_options;
  dir_options.create_if_missing = options.create_if_missing;
  dir_options.error_if_exists = options.error_if_exists;
  dir_options.read_only = options.read_only;
  dir_options.lock_timeout = options.lock_timeout;
  auto store_dir = recovery::StoreDir::open(env, dir, dir_options);
  if (!store_dir) return store_dir.status();
  journal->dir_lock_ = std::move(*store_dir);
  const std::string wal_dir = journal->dir_lock_->wal_dir();

  // 2. RocksDB: documents and index definitions as of applied_lsn.
  recovery::MirrorOptions mirror_options;
  mirror_options.max_lag_bytes = options.max_mirror_lag_bytes;
  mirror_options.checkpoint_wal_bytes = options.checkpoint_wal_bytes;
  mirror_options.checkpoint_interval = std::chrono::seconds(options.checkpoint_interval_seconds);
  mirror_options.rocksdb_env = storage.rocksdb;
  auto mirror = journal->dir_lock_->open_mirror(mirror_options);
  if (!mirror) return mirror.status();
  journal->mirror_ = std::move(*mirror);
  const std::uint64_t applied_lsn = journal->mirror_->applied_lsn();
  report.applied_lsn = applied_lsn;
  if (Status s = journal->mirror_->load(sink, options.open_threads); !s) return s;
  SNAPSTORE_KILL_POINT("recovery.after_load");

  // 3. The WAL after applied_lsn, replayed in order; the mirror gets the
  // replayed batches again so that its applied_lsn catches up.
  std::uint64_t last_lsn = applied_lsn;
  std::vector<wal::Batch> replayed;
  wal::ReadSummary summary;
  const bool repair = options.recovery_policy == RecoveryPolicy::kRepair && !options.read_only;
  if (env->exists(wal_dir)) {
    auto read =
        (repair ? wal::salvage_log : wal::read_log)(env, wal_dir, applied_lsn, [&](const wal::Batch& batch) -> Status {
          if (batch.last_lsn() <= applied_lsn) return Status::ok();  // already in RocksDB
          if (batch.first_lsn != last_lsn + 1) {
            return Status::corruption("WAL in " + wal_dir + " continues at LSN " + std::to_string(batch.first_lsn) +
                                      " but RocksDB holds the state up to LSN " + std::to_string(last_lsn) +
                                      " (records in between are missing)");
          }
          if (Status s = sink.on_batch(batch); !s) return s;
          last_lsn = batch.last_lsn();
          ++report.records_replayed;
          if (!options.read_only) replayed.push_back(batch);
          return Status::ok();
        });
    if (!read) return read.status();
    summary = std::move(*read);
  }
  report.last_lsn = last_lsn;
  if (summary.damage) {
    if (Status s = set_damage_aside(env, wal_dir, *summary.damage, summary.segments, report); !s) return s;
  }

  // 4. A torn tail holds nothing acknowledged: cut it off (read-only: skip it).
  if (summary.torn_tail) {
    report.torn_tail_file = summary.torn_tail->path;
    report.torn_tail_offset = summary.torn_tail->offset;
    report.torn_tail_bytes = summary.torn_tail->bytes;
    report.torn_tail_reason = summary.torn_tail->reason;
    if (!options.read_only) {
      SNAPSTORE_KILL_POINT("recovery.before_truncate");
      Status s = summary.torn_tail->offset == 0
                     ? env->remove(summary.torn_tail->path)
                     : truncate_durably(env, summary.torn_tail->path, summary.torn_tail->offset);
      if (!s) return s;
      if (summary.torn_tail->offset == 0) {
        summary.segments.pop_back();
        if (Status d = env->sync_dir(wal_dir); !d) return d;
      }
      SNAPSTORE_KILL_POINT("recovery.after_truncate");
    }
  }

  if (options.read_only) {
    journal->recovered_lsn_ = last_lsn;
    report.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return journal;
  }

  // 5. A last segment that starts at the next LSN holds no record: the new
  // writer takes its name.
  const std::uint64_t next_lsn = last_lsn + 1;
  if (!summary.segments.empty() && summary.segments.back().first_lsn > next_lsn) {
    return Status::corruption(summary.segments.back().path + ": the segment starts at LSN " +
                              std::to_string(summary.segments.back().first_lsn) + " but the log ends at LSN " +
                              std::to_string(last_lsn) + " (records in between are missing)");
  }
  if (!summary.segments.empty() && summary.segments.back().first_lsn == next_lsn) {
    if (Status s = env->remove(summary.segments.back().path); !s) return s;
    if (Status s = env->sync_dir(wal_dir); !s) return s;
  }
  // The replayed tail may still be only in the page cache (a crash before its
  // fdatasync): make it durable before the mirror or new writes build on it.
  if (!summary.segments.empty() && summary.segments.back().first_lsn < next_lsn) {
    auto last = env->reopen_file(summary.segments.back().path);
    if (!last) return last.status();
    if (Status s = (*last)->sync(); !s) return s;
    if (Status s = (*last)->close(); !s) return s;
  }
  for (const wal::Batch& batch : replayed) {
    std::string payload;
    wal::append_payload(payload, batch.first_lsn, wal::encode_operations(batch.ops));
    journal->mirror_->enqueue(batch.first_lsn, batch.last_lsn(), payload);
  }

  // 6. The writer starts a fresh segment at the next LSN.
  SNAPSTORE_KILL_POINT("recovery.before_writer");
  wal::WriterOptions writer_options;
  writer_options.segment_bytes = options.wal_segment_bytes;
  writer_options.sync_every_group = options.durability == Durability::kSync;
  recovery::Mirror* mirror_ptr = journal->mirror_.get();
  auto writer = wal::LogWriter::open(env, wal_dir, next_lsn, writer_options,
                                     [mirror_ptr](std::uint64_t first, std::uint64_t last, std::string_view payload) {
                                       mirror_ptr->enqueue(first, last, payload);
                                     });
  if (!writer) return writer.status();
  journal->writer_ = std::move(*writer);
  if (options.durability == Durability::kPeriodic) {
    journal->periodic_ = std::thread([j = journal.get()] { j->run_periodic_sync(); });
  }
  SNAPSTORE_KILL_POINT("recovery.after_open");
  report.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return journal;
}

void Journal::run_periodic_sync() {
  std::unique_lock lock(periodic_mutex_);
  const auto interval = std::chrono::milliseconds(std::max<std::uint32_t>(1, options_.periodic_sync_ms));
  while (!periodic_cv_.wait_for(lock, interval, [&] { return stop_periodic_; })) {
    lock.unlock();
    // A failure is sticky in the writer: the next append reports it.
    if (writer_->written_lsn() > writer_->durable_lsn()) (void)writer_->sync();
    lock.lock();
  }
}

Result<std::uint64_t> Journal::append(const std::vector<wal::Operation>& ops) {
  if (read_only_) return Status::invalid_argument("the store at " + dir_ + " is open read-only");
  if (Status s = mirror_->error(); !s) {
    return Status::io_error("the RocksDB mirror of " + dir_ + " failed; reopen the store: " + s.message());
  }
  return writer_->append(wal::encode_operations(ops), ops.size());
}

Status Journal::flush() {
  if (read_only_) return Status::ok();
  return writer_->sync();
}

Status Journal::checkpoint() {
  if (read_only_) return Status::invalid_argument("the store at " + dir_ + " is open read-only");
  if (Status s = writer_->sync(); !s) return s;
  return mirror_->checkpoint();
}

std::uint64_t Journal::durable_lsn() const { return writer_ ? writer_->durable_lsn() : recovered_lsn_; }

Status Journal::close() {
  {
    std::lock_guard lock(periodic_mutex_);
    stop_periodic_ = true;
  }
  periodic_cv_.notify_all();
  if (periodic_.joinable()) periodic_.join();
  Status status;
  if (writer_) status = writer_->close();
  if (mirror_) {
    Status s = status.is_ok() ? mirror_->close() : Status::ok();
    if (status.is_ok()) status = s;
    mirror_.reset();
  }
  dir_lock_.reset();
  return status;
}

}  // namespace snapstore::engine
