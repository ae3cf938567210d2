// Mirror: the RocksDB copy of the store, fed from the WAL.
//
// A background applier writes each durable WAL batch, in LSN order, to RocksDB
// as one atomic WriteBatch with RocksDB's own WAL disabled; every batch also
// stores `applied_lsn` in the meta column family. A checkpoint flushes all
// column families atomically (atomic_flush) and then deletes the WAL segments
// that lie wholly at or below the flushed applied_lsn. After a crash RocksDB
// therefore holds the state of a prefix of the log, and the WAL holds
// everything after it (docs/RECOVERY.md).
//
// Layout (docs/FORMATS.md, "RocksDB mirror"):
//   docs: id -> version u64 LE | revision u64 LE | document msgpack
//   meta: "applied_lsn" -> u64 LE; "format_version" -> u32 LE;
//         "index/<name>" -> msgpack array of field paths (and options)
//
// Memory is bounded: enqueue() blocks while more than max_lag_bytes of
// batches wait to be applied. A failure to apply or checkpoint is sticky and
// reported by error(); it is never retried silently.
//
// The queue is a single-producer, single-consumer list of byte chunks
// (D107): enqueue() copies a batch into the chunk being filled and publishes
// it with one release store, so a write takes no lock and no heap block of
// its own; the applier reads batches in place and hands back whole chunks.
//
// Thread safety: enqueue() from one thread at a time (the WAL's leader, whose
// hand-over orders successive leaders), in LSN order; the other methods from
// any thread.
#pragma once

#include <chrono>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "snapstore/status.h"
#include "wal/env.h"
#include "wal/reader.h"
#include "wal/record.h"

namespace rocksdb {
class DB;
class Env;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace snapstore::recovery {

// What WAL retirement must keep for readers other than the mirror (the
// change feed's named consumers), and what to log about it.
struct RetentionDecision {
  std::uint64_t keep_from = UINT64_MAX;  // the first LSN to keep; UINT64_MAX: none
  std::vector<std::string> warnings;     // written to the store's info log (db/LOG)
};
// Asked at every retirement with the segments as listed and the applied LSN.
using RetentionHook = std::function<RetentionDecision(const std::vector<wal::SegmentInfo>&, std::uint64_t)>;

struct MirrorOptions {
  bool read_only = false;
  bool create_if_missing = true;
  std::uint64_t max_lag_bytes = 64ULL << 20;
  std::uint64_t checkpoint_wal_bytes = 256ULL << 20;
  std::chrono::milliseconds checkpoint_interval{std::chrono::minutes(5)};
  rocksdb::Env* rocksdb_env = nullptr;  // nullptr: RocksDB's default; tests inject faults here
  RetentionHook retention;  // none: retire every segment the mirror covers
};

// Takes the documents one loading thread reads: made by LoadSink::make_loader
// on the thread that calls Mirror::load, then used by one loading thread only.
class DocumentLoader {
 public:
  virtual ~DocumentLoader() = default;
  // `id` and `document` point into RocksDB's buffers: copy what you keep.
  virtual Status on_document(std::string_view id, std::uint64_t version, std::uint64_t revision,
                             std::string_view document) = 0;
  // After this thread's last document, still on this thread (for work that
  // should run in parallel, such as sorting what it gathered).
  virtual Status finish() = 0;
};

// Receives what the mirror holds at open: the DESIGN.md sink between the
// loader and the engine, so nothing here knows an engine type.
class LoadSink {
 public:
  virtual ~LoadSink() = default;
  // Every index definition, first, on the calling thread.
  virtual Status on_index(std::string_view name, std::vector<std::string> fields, IndexOptions options) = 0;
  // RocksDB's estimate of the number of documents (it may be off either
  // way), on the calling thread before any loader is made: room to reserve.
  virtual void expect_documents(std::uint64_t estimate) = 0;
  // One loader per loading thread, made on the calling thread before any
  // document is read. A loader receives its documents in increasing id order.
  virtual std::unique_ptr<DocumentLoader> make_loader() = 0;
  // After every loader has finished successfully, on the calling thread.
  virtual Status on_loaded() = 0;
};

struct MirrorStats {
  std::uint64_t applied_lsn = 0;
  std::uint64_t flushed_lsn = 0;
  std::uint64_t checkpoints = 0;
  std::uint64_t segments_retired = 0;
};

class Mirror {
 public:
  static Result<std::unique_ptr<Mirror>> open(wal::Env* env, const std::string& db_dir, const std::string& wal_dir,
                                              const MirrorOptions& options);
  ~Mirror();  // stops the applier; what was not checkpointed is replayed from the WAL next time

  // The LSN whose state RocksDB holds (as loaded, then as applied).
  std::uint64_t applied_lsn() const;

  // Hands every index definition, then every document, to `sink`: the docs
  // column family is split into key ranges of about equal size
  // (load_split_points) that `threads` threads (0: one per core) read from
  // one RocksDB snapshot, each range once. Stops at the first failure.
  // RocksDB compacts nothing until the load is over (or, without a load,
  // until the first write or checkpoint): the load has the cores (D120).
  Status load(LoadSink& sink, unsigned threads) const;

  // Keys that cut the docs column family into at most `parts` ranges of
  // about equal size on disk, increasing; empty when there is nothing to
  // split. Found by bisecting RocksDB's approximate sizes, so skewed ids
  // split as evenly as uniform ones.
  Result<std::vector<std::string>> load_split_points(std::size_t parts) const;

  // Queues one batch for the applier. Blocks while the queue is over its bound.
  void enqueue(std::uint64_t first_lsn, std::uint64_t last_lsn, std::string_view payload);

  // Applies everything queued so far, flushes RocksDB and retires the WAL
  // segments it covers. Returns the first failure.
  Status checkpoint();

  // Writes a RocksDB checkpoint into `dir`, which must not exist: the SST
  // files hard-linked (copied where links fail, e.g. across file systems),
  // after an atomic flush of every column family, so the copy holds one
  // consistent state and its meta holds that state's applied_lsn. Runs
  // beside the applier; the online backup's first step (recovery/backup.h).
  Status create_checkpoint(const std::string& dir) const;
  // Writes a warning to the store's info log (db/LOG); never fails.
  void log_warning(const std::string& message) const;

  // The sticky failure of the applier or of a checkpoint, or ok.
  Status error() const;
  MirrorStats stats() const;

  // Drains the queue, checkpoints and closes RocksDB.
  Status close();

 private:
  // A run of queued batches, each a header (first_lsn, last_lsn, payload
  // size: three u64) and then the payload. The producer appends and
  // publishes `written`; it links `next` only after its last append here.
  struct Chunk {
    explicit Chunk(std::size_t bytes) : data(new char[bytes]), capacity(bytes) {}
    std::unique_ptr<char[]> data;
    const std::size_t capacity;
    std::atomic<std::size_t> written{0};
    std::atomic<Chunk*> next{nullptr};
  };
  // One queued batch as the applier reads it: a view into its chunk.
  struct Queued {
    std::uint64_t first_lsn;
    std::uint64_t last_lsn;
    std::string_view payload;
  };

  Mirror(wal::Env* env, std::string wal_dir, MirrorOptions options);
  Status load_documents(LoadSink& sink, unsigned threads) const;
  // Turns on the automatic compactions a read-write mirror opens without;
  // once, from whichever comes first: the end of the load, a write, a flush.
  Status resume_compactions() const;
  void run();                                        // the applier thread
  Status apply(const std::vector<Queued>& batches);  // applier only
  Status flush_and_retire();                         // applier only, or after it stopped
  // Producer side: a chunk with room for `bytes`, linked after the current one.
  void start_chunk(std::size_t bytes);
  // Applier side: reads up to `limit` published batches into `out` (empty:
  // none), without releasing their chunks; returns their bytes.
  std::uint64_t take(std::vector<Queued>& out, std::size_t limit);
  // Applier side: hands back the chunks `take` read to the end, and the bytes.
  void release_taken(std::uint64_t bytes);
  bool has_queued() const;  // applier only: a published batch waits

  wal::Env* const env_;
  const std::string wal_dir_;
  const MirrorOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* docs_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;                        // the applier waits for work
  std::condition_variable done_cv_;                        // producers wait for room, checkpointers for completion
  std::deque<std::unique_ptr<Chunk>> chunks_;              // guarded by mutex_: oldest (the applier's) first
  std::vector<std::unique_ptr<Chunk>> spare_chunks_;       // guarded by mutex_: emptied, for reuse
  Chunk* fill_ = nullptr;                                  // producer only: the chunk being filled
  std::size_t fill_used_ = 0;                              // producer only
  Chunk* read_ = nullptr;                                  // applier only: the chunk being read
  std::size_t read_pos_ = 0;                               // applier only
  std::size_t taken_chunks_ = 0;                           // applier only: read to the end, not yet released
  std::atomic<std::uint64_t> queued_bytes_{0};             // published and not yet released
  std::atomic<std::uint64_t> enqueued_lsn_{0};             // the last LSN published
  std::atomic<bool> refusing_{false};                      // error_ or stopping_: enqueue drops
  std::atomic<bool> applier_waiting_{false};               // the applier sleeps on work_cv_
  std::uint64_t bytes_since_checkpoint_ = 0;               // guarded by mutex_
  std::uint64_t applied_lsn_ = 0;                          // guarded by mutex_
  std::uint64_t flushed_lsn_ = 0;                          // guarded by mutex_
  std::uint64_t checkpoint_requests_ = 0;                  // guarded by mutex_
  std::uint64_t checkpoint_target_lsn_ = 0;                // guarded by mutex_: enqueued_lsn_ at the latest request
  std::uint64_t checkpoints_done_ = 0;                     // guarded by mutex_
  std::uint64_t segments_retired_ = 0;                     // guarded by mutex_
  Status error_;                                           // guarded by mutex_
  bool stopping_ = false;                                  // guarded by mutex_
  std::chrono::steady_clock::time_point last_checkpoint_;  // applier only
  mutable std::once_flag compactions_resumed_;
  mutable Status resume_status_;  // written once, under compactions_resumed_
  std::thread applier_;
};

}  // namespace snapstore::recovery
