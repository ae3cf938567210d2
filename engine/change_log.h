// ChangeLog: where a durable store's change feeds read (Store::changes). It
// keeps a bounded ring of the most recent WAL records, handed to it by the
// WAL writer's listener in LSN order, and reads older revisions from the
// retained WAL segment files, a segment at a time, keeping each feed's place
// between calls. Feeds wait on it for new durable changes; the Journal tells
// it how far the log is durable (published()).
//
// The ring is filled only once some feed was made (enable()): a store
// without feeds pays one relaxed atomic load per record.
//
// Thread safety: every method from any thread; on_record() from the WAL's
// leader only (one at a time, in LSN order).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/change.h"
#include "snapstore/status.h"
#include "wal/env.h"
#include "wal/reader.h"

namespace snapstore::engine {

// One feed's place in the log.
struct FeedPosition {
  std::uint64_t next = 1;                          // the next revision to deliver
  std::unique_ptr<wal::SegmentCursor> segment;     // set while reading from the files
};

class ChangeLog {
 public:
  ChangeLog(wal::Env* env, std::string wal_dir, std::uint64_t ring_bytes, std::size_t max_depth, bool sync_mode)
      : env_(env), wal_dir_(std::move(wal_dir)), ring_bytes_(ring_bytes), max_depth_(max_depth), sync_mode_(sync_mode) {}

  void enable() { enabled_.store(true, std::memory_order_release); }
  bool enabled() const { return enabled_.load(std::memory_order_acquire); }
  // A record the writer has written (and, in sync mode, synced).
  void on_record(std::uint64_t first_lsn, std::uint64_t last_lsn, std::string_view payload);
  // Every LSN up to `durable_lsn` is durable: wakes the feeds waiting for it.
  void published(std::uint64_t durable_lsn);
  // The store is closing: wakes every waiter.
  void close();

  // The oldest revision a feed can still read: the first LSN of the oldest
  // WAL segment, or the ring's oldest when that is older.
  Result<std::uint64_t> oldest_available() const;

  // Up to about `max_changes` changes from `at.next` on, none past
  // `limit` (the durable LSN), whole records at a time; advances `at`.
  // RevisionRetired naming the oldest available revision when `at.next`
  // is no longer in the WAL; Corruption when a record the durable log must
  // hold cannot be read.
  Result<std::vector<Change>> read(FeedPosition& at, std::uint64_t limit, std::size_t max_changes);

  // Whether revision `next` has been written (none/periodic: the caller
  // makes it durable) or published.
  bool available(std::uint64_t next) const;
  // Waits until available(next), close(), or `deadline`.
  void wait(std::uint64_t next, std::chrono::steady_clock::time_point deadline) const;
  bool closed() const;

 private:
  struct Entry {
    std::uint64_t first_lsn;
    std::uint64_t last_lsn;
    std::string payload;
  };
  bool available_locked(std::uint64_t next) const;  // needs mutex_
  // From the ring, when it holds `at.next`; false when it does not.
  Result<bool> read_ring(FeedPosition& at, std::uint64_t limit, std::size_t max_changes, std::vector<Change>& out);
  Status read_files(FeedPosition& at, std::uint64_t limit, std::size_t max_changes, std::vector<Change>& out);
  Status retired(std::uint64_t next, std::uint64_t oldest) const;

  wal::Env* const env_;
  const std::string wal_dir_;
  const std::uint64_t ring_bytes_;
  const std::size_t max_depth_;
  const bool sync_mode_;
  std::atomic<bool> enabled_{false};

  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::deque<Entry> ring_;         // guarded by mutex_
  std::uint64_t ring_size_ = 0;    // guarded by mutex_: payload bytes in ring_
  std::uint64_t written_lsn_ = 0;  // guarded by mutex_: the last LSN on_record saw
  std::uint64_t durable_lsn_ = 0;  // guarded by mutex_: the last LSN published
  bool closed_ = false;            // guarded by mutex_
};

}  // namespace snapstore::engine
