// Online backups of a durable store and restoring them (docs/FORMATS.md,
// "Backups"; docs/GUARANTEES.md, "Backups").
//
// Store::backup(dir) writes a full backup while writes go on: an openable
// store as of one revision R (a RocksDB checkpoint plus the WAL records after
// it up to R), checked before the call returns and renamed into place only
// then, so `dir` is either absent or a complete backup whatever happens.
// Store::backup(dir, since) writes an incremental backup: the WAL records
// (since, R]. restore_backup() joins a full backup and its increments, in
// order, into a new store at the chain's last revision:
//
//   auto full = store.backup("/backups/full");                      // revision R1
//   auto inc1 = store.backup("/backups/inc1", full->revision);      // (R1, R2]
//   auto inc2 = store.backup("/backups/inc2", inc1->revision);      // (R2, R3]
//   auto restored = snapstore::restore_backup("/data/copy", "/backups/full",
//                                             {"/backups/inc1", "/backups/inc2"});
//   // restored->revision == inc2->revision; Store::open("/data/copy") opens it.
//
// Thread safety: free functions; restore_backup() may run beside anything
// that does not write the same target.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapstore/status.h"

namespace snapstore {

// What a backup (or a restored chain) holds.
struct BackupInfo {
  std::string dir;
  bool incremental = false;
  // An incremental backup holds the changes after this revision (its `since`);
  // 0 for a full backup.
  std::uint64_t base_revision = 0;
  // The revision R the backup (or the restored store) stands at.
  std::uint64_t revision = 0;
  // A full backup: the revision its RocksDB checkpoint holds; the WAL
  // records after it up to `revision` are in its wal/.
  std::uint64_t checkpoint_revision = 0;
  std::uint64_t wal_records = 0;  // WAL batches written into the backup
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  double elapsed_seconds = 0;
};

// A backup's manifest (its BACKUP file): InvalidArgument naming `dir` when it
// is not a backup, Corruption when the manifest is damaged.
Result<BackupInfo> read_backup(const std::string& dir);

// Builds a new store in `target` (missing, or an empty directory) from a full
// backup and its increments, applied in order: each increment must start at
// the revision where the chain so far ends (InvalidArgument naming both
// revisions otherwise). The store is built beside `target` and renamed into
// place once it checks out at the chain's last revision, so a failure or a
// kill leaves `target` as it was. The backups themselves are only read.
Result<BackupInfo> restore_backup(const std::string& target, const std::string& full,
                                  const std::vector<std::string>& increments = {});

}  // namespace snapstore
