// Backups: writing a full or incremental backup of a live store, reading a
// backup's manifest, and restoring a chain (snapstore/backup.h is the public
// side; docs/FORMATS.md "Backups" the layout).
//
// A backup is built in a temporary directory beside its target
// (".<target>.backup-XXXXXX", or ".<target>.restore-XXXXXX" for a restored
// chain), checked, synced and only then renamed into place, so the target is
// never a half copy. The writers of the store never wait for it: the WAL
// segments it needs are hard-linked first (a checkpoint retiring them
// meanwhile removes only the store's names), RocksDB writes its checkpoint
// beside the applier, and the WAL records are read from the links.
//
// Thread safety: free functions; a BackupSource's callbacks must be safe to
// call beside the store's writers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "recovery/mirror.h"
#include "snapstore/backup.h"
#include "snapstore/status.h"
#include "wal/env.h"

namespace snapstore::recovery {

// The manifest in every backup's directory (JSON, docs/FORMATS.md).
inline constexpr std::string_view kBackupManifestName = "BACKUP";
// Store::backup builds "<parent>/.<target>.backup-XXXXXX" and renames it.
inline constexpr std::string_view kBackupTempInfix = ".backup-";

// The live store a backup reads.
struct BackupSource {
  // The store's WAL file system: its segments are listed and read, and the
  // backup's own log written, through it (the fault tests inject errors there).
  wal::Env* env = nullptr;
  std::string store_dir;    // for messages
  std::string wal_dir;
  const Mirror* mirror = nullptr;
  // Makes every WAL record written so far durable and returns the durable
  // LSN (a batch's last LSN).
  std::function<Result<std::uint64_t>()> make_durable;
  std::uint64_t segment_bytes = 64ULL << 20;  // the backup's own WAL segments
};

// A full backup (`since` empty) or the changes after `since`, into `target`
// (missing, or an empty directory). See snapstore/backup.h for the errors.
Result<BackupInfo> create_backup(const BackupSource& source, const std::string& target,
                                 std::optional<std::uint64_t> since);

}  // namespace snapstore::recovery
