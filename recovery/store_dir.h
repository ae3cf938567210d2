// StoreDir: the one owner of a store directory. Every name a store's files
// and directories have is here (docs/FORMATS.md, "Store directory layout"),
// as are the rules for creating a store, the directory's lock, and opening
// the RocksDB mirror inside it. The engine's Journal and the tools' readers
// are its clients; nothing else spells "LOCK", "wal" or "db".
//
// Creation (docs/GUARANTEES.md, "Creating a store"): only create_if_missing
// creates, and only in a missing or empty directory, or one holding nothing
// but the LOCK and empty wal/ an interrupted creation left. A directory that
// is not a store is refused before anything is written into it.
//
// Thread safety: a StoreDir is used by one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "recovery/mirror.h"
#include "snapstore/status.h"
#include "wal/env.h"

namespace snapstore::recovery {

// ---- The layout: every name in a store directory. ----
inline constexpr std::string_view kLockFileName = "LOCK";  // the lock; an exclusive holder's pid
inline constexpr std::string_view kWalDirName = "wal";     // WAL segments, <first LSN>.log (wal/format.h)
inline constexpr std::string_view kDbDirName = "db";       // the RocksDB mirror
// RocksDB's own info log inside db/ (and its rotated LOG.old.<time>).
inline constexpr std::string_view kRocksDbInfoLogName = "LOG";
// The named change-feed consumers (recovery/consumer_slots.h).
inline constexpr std::string_view kConsumersFileName = "consumers";
// A WAL segment set aside by repair: "<segment>.damaged".
inline constexpr std::string_view kDamagedSuffix = ".damaged";
// A file being written whole before it is renamed into place: "<file>.tmp".
inline constexpr std::string_view kTemporarySuffix = ".tmp";
// restore builds a store in "<parent>/.<target>.restore-XXXXXX" and renames
// it to <target> when complete.
inline constexpr std::string_view kRestoreTempInfix = ".restore-";
// Inside that directory, the file a live restore holds an flock on (with its
// pid), so that another restore tells a live one's directory from a killed one's.
inline constexpr std::string_view kRestoreLockName = ".restore.lock";

std::string lock_path(std::string_view dir);
std::string wal_dir_path(std::string_view dir);
std::string db_dir_path(std::string_view dir);
std::string consumers_path(std::string_view dir);
std::string damaged_path(std::string_view segment_path);
std::string temporary_path(std::string_view path);
// "<parent>/.<name of target>.restore-": the prefix of restore's temporary
// directories for `target` (mkdtemp appends six characters).
std::string restore_temp_prefix(std::string_view target);

// Whether `dir` holds a store: its db/ directory exists.
bool is_store(wal::Env* env, const std::string& dir);

// ---- The file operations the tools need, on the POSIX file system. ----
bool is_store(const std::string& dir);
bool path_exists(const std::string& path);
// IOError naming the path. sync_directory makes the entries created,
// renamed or removed in `dir` durable.
Status create_directory(const std::string& dir);
Status sync_directory(const std::string& dir);

struct StoreDirOptions {
  // Create a store when `dir` is missing, empty, or an interrupted creation.
  bool create_if_missing = false;
  // InvalidArgument when a store already exists.
  bool error_if_exists = false;
  // Write nothing: the lock is shared (and skipped when there is no LOCK
  // file), nothing is created, the mirror opens read-only.
  bool read_only = false;
  // How long to wait for another holder of the lock; 0: refuse at once.
  std::chrono::milliseconds lock_timeout{0};
};

class StoreDir {
 public:
  // Checks what `dir` holds, creates it if asked to and allowed, and locks
  // it: exclusively for writing, shared for reading. Errors:
  // InvalidArgument naming the directory and what is wrong with it (missing,
  // not a store, a store where none was wanted, a missing parent); Busy
  // naming the lock and its holder's pid; IOError from the file system.
  static Result<std::unique_ptr<StoreDir>> open(wal::Env* env, const std::string& dir,
                                                const StoreDirOptions& options);
  // Read-only access with the POSIX Env, for the tools' readers.
  static Result<std::unique_ptr<StoreDir>> open_for_reading(const std::string& dir,
                                                            std::chrono::milliseconds lock_timeout);
  ~StoreDir();

  const std::string& path() const { return dir_; }
  std::string wal_dir() const { return wal_dir_path(dir_); }
  std::string db_dir() const { return db_dir_path(dir_); }
  bool read_only() const { return read_only_; }
  // Whether open() is creating the store (the mirror creates RocksDB).
  bool creating() const { return creating_; }

  // Opens RocksDB in db/ (read-only, creating, or as it is, as this
  // directory was opened); a new store's directory is synced afterwards so
  // that db/ itself is durable. `options.read_only` and
  // `options.create_if_missing` are set here.
  Result<std::unique_ptr<Mirror>> open_mirror(MirrorOptions options);

 private:
  StoreDir(wal::Env* env, std::string dir, bool read_only) : env_(env), dir_(std::move(dir)), read_only_(read_only) {}

  wal::Env* const env_;
  const std::string dir_;
  const bool read_only_;
  bool creating_ = false;
  bool create_if_missing_ = false;
  std::unique_ptr<wal::FileLock> lock_;  // null only for a read-only open of a directory without LOCK
};

}  // namespace snapstore::recovery
