// LogWriter: appends batches to WAL segments with group commit.
//
// Concurrent appenders queue up; the first in line becomes the leader, frames
// every record queued so far into one buffer, writes it with one write() and —
// when the group needs it — one fdatasync, then wakes the rest. LSNs are
// assigned in queue order, so file order is LSN order.
//
// In sync_every_group mode a leader first waits briefly for the writers of
// the previous group, who come back with their next appends moments after
// they were released: without that wait every other group would sync alone
// and groups would stay half as large (docs/DECISIONS.md D36).
//
// A segment is never appended to after a restart: the writer always starts a
// new segment at the next LSN. Rotation syncs the old segment first (so a
// later segment never survives a crash that an earlier one's tail did not)
// and syncs the WAL directory after creating the new one.
//
// Space is reserved (fallocate, keeping the size) as a segment grows: 64 KiB
// at first, doubling whenever a write would pass the reservation, and each
// new segment starts from the last one's reservation, up to segment_bytes.
// A small store so stays small, and a busy one reserves whole segments.
//
// In sync_every_group mode a helper thread writes zeros (and syncs them)
// ahead of the records, kZeroChunk at a time (less while the reservation
// below is smaller, so a small store stays small), up to segment_bytes
// (WritableFile::write_zeros, D109): a group's fdatasync then overwrites
// written blocks and commits no journal transaction. The leader never writes
// into a range being zeroed (it waits, which only a writer outrunning the
// helper does), and a failed zeroing is a sticky error, like a failed write.
// The first zero_chunk / 4 bytes of a segment are appended as before while
// the helper zeroes what follows them.
//
// Without sync_every_group (`none` and `periodic` durability) a segment is
// written through a shared mapping (Env::create_mapped_file, D101): an append
// is a memcpy, not a write() system call. Its reservation is real (the file
// grows with zeros, which every reader takes for preallocated space) and so
// grows by at most kMaxMappedStep at a time; a full disk fails the reserve,
// before anything of the group is stored. Closing the segment cuts it back to
// its records, so only the live segment, or one a crash left, ends in zeros.
//
// Errors are sticky (FAULTS.md oracle 6): after a failed write or sync the
// outcome on disk is unknown, so every later append and sync returns the same
// IOError until the store is reopened. A failed fsync is never retried. The
// failed group is cut off the segment (truncated back to the size before it),
// so that the next open does not replay records whose writers got an error.
//
// Thread safety: append(), sync() and the accessors may be called from any
// thread; close() once, after the last append.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "snapstore/status.h"
#include "wal/env.h"
#include "wal/record.h"

namespace snapstore::wal {

// The first segment's first reservation (see above).
inline constexpr std::uint64_t kFirstPreallocation = 64ULL << 10;
// The most a mapped segment's reservation grows by at once: the zeros a
// follower or change feed reads past the live segment's records stay small.
inline constexpr std::uint64_t kMaxMappedStep = 1ULL << 20;

// Zeros written ahead of a `sync` segment's records at a time (D109): one
// write and one fdatasync on the helper thread per chunk. At most 1.75
// chunks of zeros lie past the records, which followers re-read on each poll
// (near kMaxMappedStep's bound).
inline constexpr std::uint64_t kZeroChunk = 1ULL << 20;

struct WriterOptions {
  // A segment is closed and a new one started once it holds this many bytes.
  std::uint64_t segment_bytes = 64ULL << 20;
  // true: every group is fdatasync'ed before its appends return (`sync`
  // durability). false: appends return after write(); sync() makes them durable.
  bool sync_every_group = true;
  // Without sync_every_group: append through a shared mapping of the segment
  // (see above). false: one write() per group, as in sync_every_group mode.
  bool map_segments = true;
  // With sync_every_group: write zeros ahead of the records on a helper
  // thread, this many bytes at a time (see above); 0: append into reserved
  // space only. The helper starts zero_chunk / 4 past a segment's records.
  std::uint64_t zero_chunk = kZeroChunk;
};

// Called by the leader, in LSN order, for every record once it is written
// (and synced, when sync_every_group): the payload is the record's msgpack
// batch. It may block (back-pressure from the mirror) but must not append.
using RecordListener = std::function<void(std::uint64_t first_lsn, std::uint64_t last_lsn, std::string_view payload)>;

struct SegmentName {
  static std::string for_lsn(std::uint64_t first_lsn);                 // "00000000000000000001.log"
  static bool parse(std::string_view name, std::uint64_t& first_lsn);  // false if not a segment name
};

class LogWriter {
 public:
  // Starts a new segment at `next_lsn` in `dir` (which must exist).
  static Result<std::unique_ptr<LogWriter>> open(Env* env, std::string dir, std::uint64_t next_lsn,
                                                 WriterOptions options, RecordListener listener);
  ~LogWriter();

  // Appends one batch of `op_count` operations (encoded by
  // encode_operations). Returns its first LSN once written — and durable, in
  // sync_every_group mode.
  Result<std::uint64_t> append(std::string encoded_operations, std::size_t op_count);
  // The same for inserts, updates and deletes given as views (D115): the
  // leader writes their bytes (write_operations) straight into the record,
  // so nothing is copied before then. The views must stay valid until this
  // returns; the record's bytes are those of the append above.
  //   wal::DocumentOperation op{wal::OpType::kInsert, id, 1, document_bytes};
  //   auto lsn = writer->append(std::span(&op, 1));
  Result<std::uint64_t> append(std::span<const DocumentOperation> ops);

  // Makes everything appended so far durable; returns once it is.
  Status sync();

  // Syncs and closes the current segment. Appends after close fail.
  Status close();

  std::uint64_t next_lsn() const;
  std::uint64_t written_lsn() const;  // last LSN handed to write()
  std::uint64_t durable_lsn() const;  // last LSN known to be synced
  Status error() const;               // the sticky error, or ok
  // How far the current segment holds synced zeros written ahead (0: none).
  std::uint64_t zeroed_end() const;

 private:
  struct Pending;
  LogWriter(Env* env, std::string dir, WriterOptions options, RecordListener listener, std::uint64_t next_lsn);

  Status start_segment(std::uint64_t first_lsn);                  // leader only
  // Extends the current segment's reservation to cover `size` bytes. Leader only.
  Status reserve(std::uint64_t size);
  // After a failed append or sync: truncates the segment to `good_size` and
  // closes it; a failure to do so is added to `failure`. Leader only.
  void discard_failed_tail(Status& failure, std::uint64_t good_size);
  // Writes and, if asked, syncs one group; `synced_lsn` is durable_lsn_ as
  // the leader saw it, recorded in a sync mark ahead of the group's records.
  Status write_group(std::uint64_t synced_lsn, bool& synced);  // leader only: writes group_
  Result<std::uint64_t> enqueue_and_wait(Pending& pending);
  // The leader's wait for the previous group's writers (see above). Needs mutex_.
  void gather_group(std::unique_lock<std::mutex>& lock, Pending& leader);
  // Completes a group with `status`, wakes its waiters and the next leader. Needs mutex_.
  void finish_group(const Status& status, const Pending& leader);  // of group_
  // Zeros ahead (see above). Leader only: asks the helper for the next
  // chunk when the records come near the zeros' end; waits until no zeroing
  // of the current segment is under way (before a write that would reach it,
  // and before the segment is cut or closed); the helper's failure, if any.
  void request_zeros();
  void wait_for_zeros();
  Status zero_error() const;
  // Whether this log zeroes ahead of its records (a written `sync` segment).
  bool zeroes_ahead() const { return options_.sync_every_group && options_.zero_chunk != 0 && !mapped_; }
  void run_zeroer();  // the helper thread

  Env* const env_;
  const std::string dir_;
  const WriterOptions options_;
  const RecordListener listener_;

  mutable std::mutex mutex_;
  std::deque<Pending*> queue_;        // guarded by mutex_
  std::uint64_t next_lsn_;            // guarded by mutex_
  std::uint64_t written_lsn_;         // guarded by mutex_
  std::uint64_t durable_lsn_;         // guarded by mutex_
  Status error_;                      // guarded by mutex_
  bool closed_ = false;               // guarded by mutex_
  // How many requests the next leader may expect in its group: those of the
  // last group (their writers return) and those already queued behind it.
  std::size_t expected_group_ = 0;         // guarded by mutex_
  Pending* gathering_ = nullptr;           // the leader waiting in gather_group; guarded by mutex_
  std::size_t gather_target_ = 0;          // the queue length that completes its group; guarded by mutex_
  std::chrono::nanoseconds last_sync_{0};  // the last group's fdatasync; guarded by mutex_

  // Touched by the current leader only (one at a time, by the queue protocol).
  std::unique_ptr<WritableFile> file_;
  std::uint64_t segment_size_ = 0;
  std::uint64_t preallocated_ = 0;                          // reserved in the current segment
  bool mapped_ = false;                                     // the current segment is mapped
  std::uint64_t next_preallocation_ = kFirstPreallocation;  // a new segment's first reservation
  std::uint64_t marked_lsn_ = 0;  // the synced LSN of the last sync mark written
  // Kept from group to group, so that a group of one allocates nothing here.
  std::vector<Pending*> group_;  // the requests the leader writes
  std::string buffer_;           // their records, framed
  struct Framed {
    std::uint64_t first_lsn, last_lsn;
    std::size_t payload_offset, payload_size;
  };
  std::vector<Framed> framed_;  // where each record's payload is in buffer_, for the listener

  // The zeroing helper (see above). Requests come from the leader only.
  mutable std::mutex zero_mutex_;
  std::condition_variable zero_cv_;
  std::thread zeroer_;
  WritableFile* zero_file_ = nullptr;  // the segment to zero; guarded by zero_mutex_
  std::uint64_t zero_from_ = 0;        // the range asked for; guarded by zero_mutex_
  std::uint64_t zero_to_ = 0;          // guarded by zero_mutex_
  bool zero_busy_ = false;             // a range is asked for or being zeroed; guarded by zero_mutex_
  bool zero_stop_ = false;             // guarded by zero_mutex_
  std::uint64_t zeroed_end_ = 0;       // synced zeros of the current segment end here; guarded by zero_mutex_
  Status zero_error_;                  // guarded by zero_mutex_
};

}  // namespace snapstore::wal
