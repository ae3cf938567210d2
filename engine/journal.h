// Journal: what makes a Store durable. It holds the directory (recovery's
// StoreDir: creation rules and the lock), the WAL
// writer and the RocksDB mirror, runs the open-time recovery (docs/RECOVERY.md)
// and appends each mutation to the WAL before the engine makes it visible.
//
// The engine stays the only owner of documents and indexes: recovery hands it
// documents, index definitions and replayed WAL operations through
// RecoverySink.
//
// Thread safety: append(), flush() and the accessors from any thread;
// close() once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/change_log.h"
#include "engine/storage_env.h"
#include "recovery/consumer_slots.h"
#include "recovery/mirror.h"
#include "recovery/replay.h"
#include "recovery/store_dir.h"
#include "snapstore/options.h"
#include "snapstore/store.h"
#include "wal/env.h"
#include "wal/record.h"
#include "wal/writer.h"

namespace snapstore::engine {

// Receives the recovered state: first the mirror's (as a LoadSink), then the
// operations of every WAL batch after the mirror's applied_lsn.
class RecoverySink : public recovery::LoadSink, public recovery::OperationVisitor {};

class Journal {
 public:
  static Result<std::unique_ptr<Journal>> open(const std::string& dir, const Options& options, const StorageEnv& env,
                                               RecoverySink& sink, OpenReport& report);
  ~Journal();

  // Appends one batch to the WAL; returns its first LSN once acknowledged
  // according to the durability mode. Fails with the sticky I/O error after
  // any earlier failure, and with the mirror's error once it has failed.
  Result<std::uint64_t> append(const std::vector<wal::Operation>& ops);
  // The same for inserts, updates and deletes as views (the snapshot's
  // bytes, the id's text), encoded once, straight into the WAL record (D115).
  Result<std::uint64_t> append(std::span<const wal::DocumentOperation> ops);

  Status flush();
  Status checkpoint();

  // Online backup (recovery/backup.h), beside the writers. Call between
  // enter_backup() (false once close() has begun: StoreClosed) and
  // leave_backup(); close() waits for the backups in progress.
  bool enter_backup();
  void leave_backup();
  Result<BackupInfo> backup(const std::string& dir, std::optional<std::uint64_t> since);
  std::uint64_t durable_lsn() const;
  bool read_only() const { return read_only_; }
  const std::string& dir() const { return dir_; }

  // Syncs and closes the WAL, checkpoints, releases the lock.
  Status close();

  // ---- The change feed (journal_changes.cc). ----
  // Where feeds read and wait; it outlives the Journal for waiting feeds.
  const std::shared_ptr<ChangeLog>& change_log() const { return change_log_; }
  // The changes after `at` that are durable, making the written ones
  // durable first in the none and periodic modes (so that no feed reader
  // ever sees a change a power cut could take back).
  Result<std::vector<Change>> read_changes(FeedPosition& at, std::size_t max_changes);
  recovery::ConsumerSlots& consumer_slots() { return *slots_; }
  // The WAL's segments now, for the bytes each consumer holds.
  Result<std::vector<wal::SegmentInfo>> wal_segments() const;

 private:
  Journal(std::string dir, const Options& options, wal::Env* env);
  void run_periodic_sync();
  // Why nothing can be appended (read-only, a failed mirror), or ok.
  Status check_appendable() const;
  // The mirror's WAL retention: the consumers' needs and bounds.
  recovery::RetentionHook retention_hook();

  wal::Env* const env_;
  const std::string dir_;
  const Options options_;
  const bool read_only_;
  std::unique_ptr<recovery::StoreDir> dir_lock_;  // the directory and its lock, released last
  std::unique_ptr<recovery::ConsumerSlots> slots_;  // outlives the mirror, whose retention asks it
  std::unique_ptr<recovery::Mirror> mirror_;
  std::shared_ptr<ChangeLog> change_log_;
  std::unique_ptr<wal::LogWriter> writer_;
  std::uint64_t recovered_lsn_ = 0;  // read-only stores: the last LSN recovered

  std::mutex backup_mutex_;
  std::condition_variable backup_cv_;
  int backups_ = 0;       // guarded by backup_mutex_: in progress
  bool closing_ = false;  // guarded by backup_mutex_

  std::mutex periodic_mutex_;
  std::condition_variable periodic_cv_;
  bool stop_periodic_ = false;  // guarded by periodic_mutex_
  std::thread periodic_;
};

}  // namespace snapstore::engine
