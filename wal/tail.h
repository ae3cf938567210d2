// LogTail: follows a WAL directory that another process is writing, and hands
// each complete batch after a given LSN to a visitor, in LSN order. The
// follower (recovery::StoreReader::open_live) and `snapstore changes` read
// the live log through it.
//
// Unlike read_log(), it expects the log to be in motion:
//   - an incomplete, zeroed or checksum-failing record at the end of the
//     newest segment is "not yet" (the writer is appending, and preallocated
//     space is zeroed), never damage: the next poll() reads it again;
//   - the writer may start a new segment: the current one is read to its end
//     first, then the tail moves on;
//   - a checkpoint may retire segments: poll() says so (TailProgress::retired,
//     with the oldest LSN the WAL still holds) when the next LSN is gone;
//   - a new owner may cut a torn tail and append again: only records already
//     visited are consumed, everything after them is read afresh each time,
//     a window at a time (64 KiB, growing to 1 MiB while records fill it),
//     so a poll stops at the zeroed reservation instead of reading it all.
// A record is visited as soon as it is complete and checksum-valid in the
// file, whether or not it was synced yet (docs/GUARANTEES.md, "Followers and
// the change feed").
//
// Thread safety: one thread at a time per LogTail.
#pragma once

#include <cstdint>
#include <string>

#include "snapstore/status.h"
#include "wal/env.h"
#include "wal/reader.h"

namespace snapstore::wal {

struct TailProgress {
  std::uint64_t batches = 0;  // batches visited by this poll
  // The next LSN is no longer in the WAL (a checkpoint retired it): nothing
  // was visited, and oldest_lsn is the first LSN the WAL still holds.
  bool retired = false;
  std::uint64_t oldest_lsn = 0;
};

class LogTail {
 public:
  // Follows `wal_dir` from `next_lsn` on (1: from the start).
  LogTail(Env* env, std::string wal_dir, std::uint64_t next_lsn);
  ~LogTail();
  LogTail(const LogTail&) = delete;
  LogTail& operator=(const LogTail&) = delete;

  // Visits every batch whose last LSN is at or after next_lsn() that is
  // complete in the files now, then returns. A batch that starts before
  // next_lsn() (a resume inside a batch) is visited whole. A non-ok Status
  // from `visit` stops the poll and is returned (the batch counts as not
  // read). Corruption names file and offset when a sealed segment is damaged
  // or LSNs do not follow on; IOError from the file system.
  Result<TailProgress> poll(const BatchVisitor& visit);

  // The first LSN not read yet.
  std::uint64_t next_lsn() const { return next_lsn_; }
  // Starts over from `next_lsn` (the follower after re-reading RocksDB).
  void reset(std::uint64_t next_lsn);

 private:
  void close_segment();
  Status open_segment(const SegmentInfo& segment);
  // Reads the current segment from offset_ to its end; `stuck` is set when
  // it stopped before the end of the file (a record not complete yet).
  Status read_segment(const BatchVisitor& visit, TailProgress& progress, bool& stuck);
  // Whether the current segment's path still names the file we hold open.
  bool same_file() const;

  Env* const env_;
  const std::string dir_;
  std::uint64_t next_lsn_;
  int fd_ = -1;
  std::string path_;                  // of the current segment
  std::uint64_t segment_first_ = 0;   // its first LSN
  std::uint64_t segment_next_ = 0;    // the LSN the next record in it must have
  std::uint64_t offset_ = 0;          // consumed bytes: header and records read
};

}  // namespace snapstore::wal
