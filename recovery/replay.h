// Replay: the WAL after the mirror's applied_lsn, read once for everyone who
// needs the state past RocksDB (the engine's open, the tools' StoreReader),
// with the one continuity check; the operations of a batch handed to one
// visitor method per operation type (the only switch over wal::OpType that
// replays); and what recovery does to the WAL's end: cutting a torn tail and
// setting damage aside (RecoveryPolicy::kRepair). docs/RECOVERY.md.
//
// Thread safety: free functions; a visitor is called on the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "snapstore/status.h"
#include "snapstore/store.h"
#include "wal/env.h"
#include "wal/reader.h"
#include "wal/record.h"

namespace snapstore::recovery {

// One method per operation type; `lsn` is the operation's own LSN.
class OperationVisitor {
 public:
  virtual ~OperationVisitor() = default;
  virtual Status put(const wal::Operation& op, std::uint64_t lsn) = 0;  // insert or update
  virtual Status remove(const wal::Operation& op, std::uint64_t lsn) = 0;
  virtual Status create_index(const wal::Operation& op, std::uint64_t lsn) = 0;
  virtual Status drop_index(const wal::Operation& op, std::uint64_t lsn) = 0;
};

// Hands each operation of `batch` to `visitor`, in order; stops at the first
// failure and returns it.
Status visit_operations(const wal::Batch& batch, OperationVisitor& visitor);

struct Replayed {
  std::uint64_t last_lsn = 0;  // the last LSN replayed, or applied_lsn
  std::uint64_t batches = 0;   // batches handed to on_batch
  wal::ReadSummary summary;    // segments, torn tail, damage (salvage)
};

// Reads the WAL in `wal_dir` (none: nothing to replay) and hands every batch
// after `applied_lsn` to `on_batch`, in LSN order. A batch that does not
// follow on from the one before (or from applied_lsn) is Corruption: records
// in between are missing. `salvage` reads as wal::salvage_log (damage ends
// the log, reported in summary.damage) instead of wal::read_log. `on_read`,
// when given, sees every batch read, also those RocksDB already holds;
// without it those are passed over undecoded (wal::BelowFloor::kSkip).
Result<Replayed> replay_wal(wal::Env* env, const std::string& wal_dir, std::uint64_t applied_lsn, bool salvage,
                            const std::function<Status(const wal::Batch&)>& on_batch,
                            const std::function<void(const wal::Batch&)>& on_read = {});

// RecoveryPolicy::kRepair: the log ends at `damage`. The damaged segment is
// copied aside ("<segment>.damaged") and cut there; every later segment is
// renamed aside. Each step leaves a state from which repairing again reaches
// the same end. Fills the repaired_* fields and set_aside of `report`, and
// drops the segments set aside from `segments`.
Status set_damage_aside(wal::Env* env, const std::string& wal_dir, const wal::Damage& damage,
                        std::vector<wal::SegmentInfo>& segments, OpenReport& report);

// Cuts the torn tail off (a tail at offset 0 removes its segment, and drops
// it from `segments`), durably: it held nothing acknowledged.
Status cut_torn_tail(wal::Env* env, const std::string& wal_dir, const wal::TornTail& torn_tail,
                     std::vector<wal::SegmentInfo>& segments);

}  // namespace snapstore::recovery
