// ConsumerSlots: the store's named change-feed consumers, like PostgreSQL's
// replication slots. Each slot remembers the last revision its consumer
// acknowledged; the mirror keeps every WAL segment holding a later revision
// (Mirror's retention hook asks keep_from()), across checkpoints and
// restarts, until the slot acknowledges it, is dropped, or falls beyond the
// retention bound (enforce()), so a dead consumer cannot fill the disk.
//
// The slots live in <dir>/consumers (docs/FORMATS.md, "Consumer slots"),
// rewritten whole on every change: a temporary file, fdatasync, rename, and
// a sync of the directory before the call returns (DECISIONS D80). A crash
// at any point leaves the old file or the new one, never a mix; a call that
// returned ok is durable.
//
// Thread safety: every method from any thread (one mutex; the file is
// written under it, so changes reach the disk in the order they were made).
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/status.h"
#include "wal/env.h"
#include "wal/reader.h"

namespace snapstore::recovery {

struct ConsumerSlot {
  std::string name;
  std::uint64_t acknowledged = 0;       // the consumer has every change up to this revision
  std::int64_t acknowledged_at_ms = 0;  // when (ms since the Unix epoch): registration or the last ack
  friend bool operator==(const ConsumerSlot&, const ConsumerSlot&) = default;
};

struct RetentionLimits {
  std::uint64_t max_bytes = 0;        // 0: no limit
  std::chrono::milliseconds max_age{0};  // 0: no limit
};

// "nobody needs anything": keep_from() without slots.
inline constexpr std::uint64_t kKeepNothing = std::numeric_limits<std::uint64_t>::max();

class ConsumerSlots {
 public:
  // Reads <dir>/consumers (none yet: no slots). Corruption naming the file
  // when it is not a slot file this build reads.
  static Result<std::unique_ptr<ConsumerSlots>> open(wal::Env* env, const std::string& dir, bool read_only);

  // A new slot that has acknowledged `acknowledged`. InvalidArgument for a
  // name outside [A-Za-z0-9_.-]{1,64} or one already registered.
  Status add(std::string_view name, std::uint64_t acknowledged);
  // InvalidArgument for an unknown name (saying when it was dropped for the
  // retention bound, if it was) or a revision below the one acknowledged.
  Status acknowledge(std::string_view name, std::uint64_t revision);
  // InvalidArgument for an unknown name.
  Status remove(std::string_view name);

  std::vector<ConsumerSlot> list() const;
  Result<ConsumerSlot> find(std::string_view name) const;

  // The first revision some slot still needs, or kKeepNothing.
  std::uint64_t keep_from() const;

  // Drops every slot that holds more than `limits.max_bytes` of WAL, that
  // is behind `last_lsn` and has not acknowledged for `limits.max_age`, or
  // whose next revision the WAL no longer holds. Returns one warning per
  // slot dropped, naming it and why. Dropping happens in memory even when
  // the file cannot be rewritten (the warning then says so).
  std::vector<std::string> enforce(const std::vector<wal::SegmentInfo>& segments, std::uint64_t last_lsn,
                                   const RetentionLimits& limits);

  // The bytes of the segments holding revisions after `acknowledged`.
  static std::uint64_t held_bytes(const std::vector<wal::SegmentInfo>& segments, std::uint64_t acknowledged);

 private:
  ConsumerSlots(wal::Env* env, std::string dir, bool read_only)
      : env_(env), dir_(std::move(dir)), read_only_(read_only) {}
  Status write(const std::vector<ConsumerSlot>& slots);  // needs mutex_
  std::vector<ConsumerSlot>::const_iterator lookup(std::string_view name) const;  // needs mutex_
  Status unknown(std::string_view name) const;  // needs mutex_

  wal::Env* const env_;
  const std::string dir_;
  const bool read_only_;
  mutable std::mutex mutex_;
  std::vector<ConsumerSlot> slots_;    // guarded by mutex_, sorted by name
  std::vector<std::string> dropped_;   // guarded by mutex_: why each dropped slot went, this session
};

}  // namespace snapstore::recovery
