// Journal: directory lock, recovery on open, WAL appends, close
// (see journal.h; docs/RECOVERY.md numbers the open steps used below).
#include "engine/journal.h"

#include <chrono>

#include "base/kill_point.h"
#include "recovery/backup.h"
#include "recovery/replay.h"

namespace snapstore::engine {

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
  auto slots = recovery::ConsumerSlots::open(env, dir, options.read_only);
  if (!slots) return slots.status();
  journal->slots_ = std::move(*slots);
  journal->change_log_ = std::make_shared<ChangeLog>(env, wal_dir, options.change_buffer_bytes,
                                                     options.max_nesting_depth,
                                                     options.durability == Durability::kSync);

  // 2. RocksDB: documents and index definitions as of applied_lsn.
  recovery::MirrorOptions mirror_options;
  mirror_options.max_lag_bytes = options.max_mirror_lag_bytes;
  mirror_options.checkpoint_wal_bytes = options.checkpoint_wal_bytes;
  mirror_options.checkpoint_interval = std::chrono::seconds(options.checkpoint_interval_seconds);
  mirror_options.rocksdb_env = storage.rocksdb;
  mirror_options.retention = journal->retention_hook();
  auto mirror = journal->dir_lock_->open_mirror(mirror_options);
  if (!mirror) return mirror.status();
  journal->mirror_ = std::move(*mirror);
  const std::uint64_t applied_lsn = journal->mirror_->applied_lsn();
  report.applied_lsn = applied_lsn;
  if (Status s = journal->mirror_->load(sink, options.open_threads); !s) return s;
  SNAPSTORE_KILL_POINT("recovery.after_load");

  // 3. The WAL after applied_lsn, replayed in order; the mirror gets the
  // replayed batches again so that its applied_lsn catches up.
  std::vector<wal::Batch> replayed;
  const bool repair = options.recovery_policy == RecoveryPolicy::kRepair && !options.read_only;
  auto replay = recovery::replay_wal(env, wal_dir, applied_lsn, repair, [&](const wal::Batch& batch) -> Status {
    if (Status s = recovery::visit_operations(batch, sink); !s) return s;
    ++report.records_replayed;
    if (!options.read_only) replayed.push_back(batch);
    return Status::ok();
  });
  if (!replay) return replay.status();
  const std::uint64_t last_lsn = replay->last_lsn;
  wal::ReadSummary& summary = replay->summary;
  report.last_lsn = last_lsn;
  if (summary.damage) {
    if (Status s = recovery::set_damage_aside(env, wal_dir, *summary.damage, summary.segments, report); !s) return s;
  }

  // 4. A torn tail holds nothing acknowledged: cut it off (read-only: skip it).
  if (summary.torn_tail) {
    report.torn_tail_file = summary.torn_tail->path;
    report.torn_tail_offset = summary.torn_tail->offset;
    report.torn_tail_bytes = summary.torn_tail->bytes;
    report.torn_tail_reason = summary.torn_tail->reason;
    if (!options.read_only) {
      if (Status s = recovery::cut_torn_tail(env, wal_dir, *summary.torn_tail, summary.segments); !s) return s;
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
  ChangeLog* change_log = journal->change_log_.get();
  auto writer = wal::LogWriter::open(env, wal_dir, next_lsn, writer_options,
                                     [mirror_ptr, change_log](std::uint64_t first, std::uint64_t last,
                                                              std::string_view payload) {
                                       change_log->on_record(first, last, payload);
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

Status Journal::check_appendable() const {
  if (read_only_) return Status::invalid_argument("the store at " + dir_ + " is open read-only");
  if (Status s = mirror_->error(); !s) {
    return Status::io_error("the RocksDB mirror of " + dir_ + " failed; reopen the store: " + s.message());
  }
  return Status::ok();
}

Result<std::uint64_t> Journal::append(const std::vector<wal::Operation>& ops) {
  if (Status s = check_appendable(); !s) return s;
  auto first = writer_->append(wal::encode_operations(ops), ops.size());
  if (first && change_log_->enabled()) change_log_->published(writer_->durable_lsn());
  return first;
}

Result<std::uint64_t> Journal::append(std::span<const wal::DocumentOperation> ops) {
  if (Status s = check_appendable(); !s) return s;
  auto first = writer_->append(ops);
  if (first && change_log_->enabled()) change_log_->published(writer_->durable_lsn());
  return first;
}

Status Journal::flush() {
  if (read_only_) return Status::ok();
  Status s = writer_->sync();
  if (s) change_log_->published(writer_->durable_lsn());
  return s;
}

Status Journal::checkpoint() {
  if (read_only_) return Status::invalid_argument("the store at " + dir_ + " is open read-only");
  if (Status s = writer_->sync(); !s) return s;
  return mirror_->checkpoint();
}

bool Journal::enter_backup() {
  std::lock_guard lock(backup_mutex_);
  if (closing_) return false;
  ++backups_;
  return true;
}

void Journal::leave_backup() {
  // Notified under the lock: once close() sees no backup it may destroy
  // the journal, condition variable included.
  std::lock_guard lock(backup_mutex_);
  --backups_;
  backup_cv_.notify_all();
}

Result<BackupInfo> Journal::backup(const std::string& dir, std::optional<std::uint64_t> since) {
  if (read_only_) {
    return Status::invalid_argument("a backup of the store at " + dir_ +
                                    ", which is open read-only: back it up from the process that has it open");
  }
  if (Status s = mirror_->error(); !s) {
    return Status::io_error("the RocksDB mirror of " + dir_ + " failed; reopen the store: " + s.message());
  }
  recovery::BackupSource source;
  source.env = env_;
  source.store_dir = dir_;
  source.wal_dir = dir_lock_->wal_dir();
  source.mirror = mirror_.get();
  source.segment_bytes = options_.wal_segment_bytes;
  source.make_durable = [this]() -> Result<std::uint64_t> {
    if (Status s = writer_->sync(); !s) return s;
    return writer_->durable_lsn();
  };
  return recovery::create_backup(source, dir, since);
}

std::uint64_t Journal::durable_lsn() const { return writer_ ? writer_->durable_lsn() : recovered_lsn_; }

Status Journal::close() {
  if (change_log_) change_log_->close();
  {
    // A backup reads the WAL and RocksDB until it returns.
    std::unique_lock lock(backup_mutex_);
    closing_ = true;
    backup_cv_.wait(lock, [&] { return backups_ == 0; });
  }
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
