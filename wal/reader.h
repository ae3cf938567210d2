// LogReader: reads every record of a WAL directory in LSN order, verifying
// each checksum before decoding anything, and tells a torn tail apart from
// corruption.
//
// A torn tail is damage at the end of the last segment that no later sync
// mark vouches for: an incomplete header or payload, zeroed space, or a record
// whose checksum fails. A crash in the middle of a write leaves one, possibly
// with some later blocks persisted and earlier ones not (FAULTS.md F3); all of
// it was written after the last sync, so none of it was acknowledged as
// durable (sync mode acknowledges after fdatasync). It is reported and may be
// truncated, together with any valid records after the damage. Anything else
// — damage before a sync mark that says the damaged LSN was synced, damage in
// an earlier segment, a header that is not a WAL header, an LSN that does not
// follow on — is corruption: the read stops with Corruption naming the file,
// the byte offset and the expected LSN.
//
// Thread safety: read_log() is a free function without shared state.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "snapstore/status.h"
#include "wal/env.h"
#include "wal/record.h"

namespace snapstore::wal {

struct SegmentInfo {
  std::string path;
  std::uint64_t first_lsn = 0;
  std::uint64_t size = 0;
};

// Segments of `dir`, sorted by first LSN. Files that are not segments are ignored.
Result<std::vector<SegmentInfo>> list_segments(Env* env, const std::string& dir);
// The same without their sizes (SegmentInfo::size is 0), for a reader that
// opens them anyway: no stat per segment, so none can fail on a segment a
// checkpoint retires meanwhile.
Result<std::vector<SegmentInfo>> list_segment_names(Env* env, const std::string& dir);

struct TornTail {
  std::string path;          // the last segment
  std::uint64_t offset = 0;  // where the valid log ends
  std::uint64_t bytes = 0;   // bytes from there to the end of the file
  std::string reason;
};

// The first corruption salvage_log() met: where the valid log ends.
struct Damage {
  std::string path;                // the damaged segment
  std::size_t segment = 0;         // its index in ReadSummary::segments
  std::uint64_t offset = 0;        // the valid log ends here in that segment
  std::uint64_t expected_lsn = 0;  // the first LSN lost
  std::string reason;              // what read_log's Corruption would have said
};

struct ReadSummary {
  std::vector<SegmentInfo> segments;
  std::uint64_t records = 0;
  std::uint64_t first_lsn = 0;  // of the first record read (0 if none)
  std::uint64_t last_lsn = 0;   // of the last valid record (0 if none)
  std::uint64_t decoded = 0;    // records whose operations were decoded (BelowFloor)
  std::optional<TornTail> torn_tail;
  std::optional<Damage> damage;  // salvage_log() only
};

// Called with each valid batch in LSN order; a non-ok Status stops the read
// and is returned.
using BatchVisitor = std::function<Status(const Batch& batch)>;

// What read_log() does with a record whose LSNs are all at or below the
// floor. kVisit decodes and visits it like any other. kSkip, for a caller
// that only needs the records after the floor (an open replaying past the
// mirror), checks its checksum, its header's LSNs and their continuity but
// neither decodes its operations nor visits it; it still counts in the
// summary's records and LSNs. (verify and check_segments() decode every record.)
enum class BelowFloor { kVisit, kSkip };

// Reads every segment of `dir`. The first segment may start at any LSN; every
// later record must follow on from the one before — except that LSNs at or
// below `floor_lsn` are already safe elsewhere (the RocksDB mirror's
// applied_lsn), so a gap between segments, or damage at the end of a sealed
// segment, that only loses LSNs at or below it is not corruption. (A power cut
// can leave either: unsynced WAL tails the mirror had already flushed, or
// segment removals persisted out of order.)
Result<ReadSummary> read_log(Env* env, const std::string& dir, std::uint64_t floor_lsn, const BatchVisitor& visit,
                             BelowFloor below_floor = BelowFloor::kVisit);

// read_log for RecoveryPolicy::kRepair: the first corruption ends the read
// with ok and ReadSummary::damage set, after every valid record before it
// was visited. (A segment of a newer format version is still an error.)
Result<ReadSummary> salvage_log(Env* env, const std::string& dir, std::uint64_t floor_lsn, const BatchVisitor& visit,
                                BelowFloor below_floor = BelowFloor::kVisit);

// The first LSN a torn tail held (what a writable open cuts off): the one
// after the last valid record, or the last segment's first LSN when that
// segment holds no valid record. 0 without a torn tail.
std::uint64_t torn_tail_first_lsn(const ReadSummary& summary);

// One segment as check_segments() found it.
struct SegmentCheck {
  std::string path;
  std::uint64_t records = 0;  // checksum-valid records before any damage
  // Empty when every record checked out up to the end of the file or to
  // zeroed (preallocated) space; else the first damage and its offset.
  std::string damage;
  std::uint64_t damage_offset = 0;
};

// Every segment of `dir`, each on its own: its header and every record's
// checksum and decoding, whatever LSNs the mirror already holds (verify's
// view; read_log() stops caring about a segment once its LSNs are below the
// floor). Nothing is visited; LSN order across segments is read_log()'s job.
Result<std::vector<SegmentCheck>> check_segments(Env* env, const std::string& dir);

// Reads one segment's batch records in order, a few at a time, for a reader
// that follows a live log (the change feed): it keeps its place between
// calls, and refresh() reads the file again to see what was appended since.
// It stops at the end of the bytes read or at the first record that is not
// whole and valid there (an append in progress, a torn tail or damage): the
// caller knows which LSNs must be readable and decides what that means.
//
//   auto cursor = SegmentCursor::open(env, segment, /*copy=*/false);
//   while (auto batch = (*cursor)->next(from_lsn)) { if (!*batch) break; ... }
class SegmentCursor {
 public:
  // Maps `segment` (reads a private copy when `copy`: for the segment a
  // writer still appends to, which a failed append may shorten) and checks
  // its header. Corruption naming the file for a header that is not one.
  static Result<std::unique_ptr<SegmentCursor>> open(Env* env, const SegmentInfo& segment, bool copy);

  // The next batch whose last LSN is at least `from_lsn` (earlier records
  // are checked and passed over without decoding), or nullopt at the end of
  // what was read; problem() then says why it stopped short of the end of
  // the bytes, if it did. Corruption for a checksum-valid record that does
  // not decode or does not follow on from the one before.
  Result<std::optional<Batch>> next(std::uint64_t from_lsn);

  // The LSN the next record must start at.
  std::uint64_t expected_lsn() const { return expected_lsn_; }
  // Empty at a clean end; else what the record at offset() is not.
  const std::string& problem() const { return problem_; }
  std::uint64_t offset() const { return offset_; }
  const SegmentInfo& segment() const { return segment_; }

  // Reads the file again (it may have grown) and goes on from offset().
  Status refresh();

 private:
  SegmentCursor(Env* env, SegmentInfo segment, bool copy) : env_(env), segment_(std::move(segment)), copy_(copy) {}
  Status load();

  Env* const env_;
  const SegmentInfo segment_;
  const bool copy_;
  std::unique_ptr<FileBytes> mapped_;
  std::string copied_;
  std::string_view data_;
  std::uint64_t offset_ = 0;
  std::uint64_t expected_lsn_ = 0;
  std::string problem_;
};

}  // namespace snapstore::wal
