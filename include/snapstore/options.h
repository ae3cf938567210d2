// Options: how a Store is opened. Every field documents its default; a
// default-constructed Options is what most programs want: durable,
// acknowledged only after fdatasync, with bounded log and memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace snapstore {

// When a write is acknowledged (docs/GUARANTEES.md has the full table).
enum class Durability : std::uint8_t {
  // After fdatasync of its WAL record (shared by concurrent writers: group
  // commit). Survives a killed process and a power cut.
  kSync = 0,
  // After write() to the OS; a background thread syncs every
  // `periodic_sync_ms`. Survives a killed process; a power cut may lose the
  // last interval.
  kPeriodic = 1,
  // After write() to the OS; synced at segment rotation, flush() and close.
  // Survives a killed process; a power cut loses whatever the OS had not
  // written back.
  kNone = 2,
};

// What Store::open does with a damaged WAL (docs/RECOVERY.md).
enum class RecoveryPolicy : std::uint8_t {
  // A torn tail — damage after the last synced record, which nothing
  // acknowledged as durable can lie in — is cut off and reported in
  // OpenReport. Damage to records known to be synced refuses the open with
  // Corruption naming the file, the offset and the first LSN lost.
  kTruncateTornTail = 0,
  // Keeps every valid record up to the first damage and drops the rest:
  // a copy of the damaged segment and every later segment are set aside as
  // "<segment>.damaged" files, the damaged segment is cut at the damage, and
  // OpenReport says exactly what was dropped. For when losing the records
  // after the damage is better than not opening; never chosen silently.
  kRepair = 1,
};

// How far Store::open has got loading documents from RocksDB, for a progress
// bar. Counts only grow from one call to the next.
struct OpenProgress {
  std::uint64_t documents_loaded = 0;  // documents read from RocksDB so far
  std::uint64_t bytes_loaded = 0;      // their ids and encoded documents, in bytes
  double elapsed_seconds = 0;          // since Store::open began
};

struct Options {
  // Largest accepted document, measured as its msgpack encoding (the bytes the
  // store keeps). A larger insert or update fails with InvalidDocument.
  // At most 128 MiB (a document must fit one WAL record). Default: 16 MiB.
  std::size_t max_document_bytes = std::size_t{16} << 20;

  // Deepest accepted nesting of arrays and objects; the document itself is
  // level 1, so {"a": {"b": [1]}} has depth 3. A deeper insert or update fails
  // with InvalidDocument. At most 1000. Default: 100.
  std::size_t max_nesting_depth = 100;

  // How long a point-in-time snapshot (Store::snapshot()) may live: an
  // older one expires, its reads answer SnapshotExpired and it pins nothing
  // any more, so a forgotten snapshot cannot hold old versions forever.
  // 0 means no limit. Must not be negative. Default: 0 (DECISIONS D69).
  std::chrono::milliseconds max_snapshot_age{0};

  // ---- Durable stores (Store::open) only; ignored in memory. ----

  // Default: kSync.
  Durability durability = Durability::kSync;

  // Default: kTruncateTornTail. Ignored when read_only.
  RecoveryPolicy recovery_policy = RecoveryPolicy::kTruncateTornTail;

  // The background sync interval of Durability::kPeriodic. Default: 100 ms.
  std::uint32_t periodic_sync_ms = 100;

  // Create an empty store when the directory is missing or empty (or holds
  // only what an interrupted creation left). A directory that holds anything
  // else and is not a store is refused with InvalidArgument, and nothing is
  // written into it; a missing parent directory is not created. Off: a
  // missing store is InvalidArgument. Default: true.
  bool create_if_missing = true;

  // Fail with InvalidArgument when a store already exists. Default: false.
  bool error_if_exists = false;

  // Open without writing anything anywhere in the directory, so that a store
  // on read-only media or without write permission can be read: writes fail
  // with InvalidArgument, a torn WAL tail is skipped rather than truncated,
  // nothing is checkpointed, no file is created. The directory's LOCK is
  // locked shared (read-only opens exclude writers, not each other); a
  // directory without a LOCK file is read unlocked. Default: false.
  bool read_only = false;

  // How long Store::open waits for another process (or Store) holding the
  // directory's lock to let go; 0 means it fails at once with Busy. Busy
  // names the holder's pid either way. Default: 0.
  std::chrono::milliseconds lock_timeout{0};

  // A WAL segment is closed and a new one started past this size.
  // Default: 64 MiB.
  std::uint64_t wal_segment_bytes = std::uint64_t{64} << 20;

  // A checkpoint (RocksDB flush, then removal of the WAL segments it covers)
  // runs after this many bytes of WAL records... Default: 256 MiB.
  std::uint64_t checkpoint_wal_bytes = std::uint64_t{256} << 20;

  // ...or this long after the last one, whichever comes first.
  // Default: 300 s.
  std::uint32_t checkpoint_interval_seconds = 300;

  // Writers wait when this many bytes of WAL records are waiting to be
  // applied to RocksDB, so memory never grows without limit.
  // Default: 64 MiB.
  std::uint64_t max_mirror_lag_bytes = std::uint64_t{64} << 20;

  // Called while Store::open loads documents from RocksDB: from the loading
  // threads at most once per `open_progress_interval_ms`, and once more from
  // the opening thread when loading ends, with documents_loaded equal to
  // OpenReport::documents_loaded. Calls never overlap and each happens before
  // the next, so the callback may keep state without a lock. It must not
  // call into the store being opened, and it delays the loading thread that
  // makes it; if it throws, the open fails with IOError naming the
  // exception. Replaying the WAL afterwards is not reported.
  // Default: none.
  std::function<void(const OpenProgress&)> open_progress;

  // The least time between two calls of `open_progress` (the last call is
  // always made). Default: 100 ms.
  std::uint32_t open_progress_interval_ms = 100;

  // Threads that load documents and build indexes at open; 0 means one per
  // core. Default: 0.
  std::uint32_t open_threads = 0;

  // ---- The change feed (Store::changes, named consumers). ----

  // Memory for the most recent WAL records, from which a change feed that
  // keeps up reads without touching the files (kept only once a feed was
  // made). Default: 8 MiB.
  std::uint64_t change_buffer_bytes = std::uint64_t{8} << 20;

  // A named consumer whose unacknowledged changes hold more WAL than this
  // (in whole segments) is dropped at the next checkpoint, with a warning
  // in the store's info log (db/LOG), and its segments are released, so a
  // consumer that died cannot fill the disk. 0: no limit. Default: 1 GiB.
  std::uint64_t max_consumer_wal_bytes = std::uint64_t{1} << 30;

  // A named consumer that is behind and has not acknowledged for this long
  // is dropped likewise. 0: no limit. Default: 0.
  std::chrono::milliseconds max_consumer_age{0};
};

}  // namespace snapstore
