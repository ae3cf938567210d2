// Fault injection for the file system under a store: one FaultState models
// the disk, and both the WAL's Env (FaultEnv) and RocksDB's FileSystem
// (make_fault_rocksdb_env) report every call to it, so one simulated power
// cut hits the WAL and the mirror at the same moment (FAULTS.md F2, F3, F5, F8).
//
// Writes reach the real files at once, as they reach the page cache. The
// state remembers, per file, how much was synced, and per directory which
// creations, renames and removals came after its last sync. power_cut() then
// rewrites the disk as a power failure could have left it: unsynced bytes
// dropped, cut at a random length, or persisted as a random subset of blocks
// (the rest zeros); directory operations not made durable are undone (files
// created are deleted, renames reversed, removed files restored).
//
// Error injection fails the Nth counted call (create, write, sync, rename,
// remove, directory sync, truncate, grow) with EIO or ENOSPC, once or forever.
// A WAL segment written through a mapping (wal::Env::create_mapped_file) is
// seen the same way: its appends are counted writes (a failed one may store a
// prefix), the reserve that allocates and maps its space is a grow, and its
// size at each sync is what a power cut keeps. A `sync` segment's zeros
// written ahead (WritableFile::write_zeros, D109) are a grow too; a power cut
// keeps them, with whatever unsynced records overwrote them dropped to zeros.
// power_off() makes every later mutating call fail without effect, which is
// how an in-process test "kills" a store: its threads can write nothing more.
//
// Model limits: directory creation and truncation are treated as durable at
// once; renames are assumed to stay inside one directory.
//
// Thread safety: all members may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/status.h"
#include "wal/env.h"

namespace rocksdb {
class Env;
}

namespace snapstore::fault {

enum class IoCall : unsigned {
  kCreate = 1U << 0,  // create or reopen a file for writing
  kWrite = 1U << 1,
  kSync = 1U << 2,
  kRename = 1U << 3,
  kRemove = 1U << 4,
  kSyncDir = 1U << 5,
  kTruncate = 1U << 6,
  kGrow = 1U << 7,  // allocate (and map) space for a mapped file's appends
};
inline constexpr unsigned kAllIoCalls = 0xFF;

enum class IoError { kEio, kEnospc };

enum class PowerCut {
  kDropUnsynced,      // every byte written since the file's last sync is lost
  kDropRandomSuffix,  // a random-length prefix of those bytes survives
  kKeepRandomSubset,  // a random length survives, with random blocks zeroed
};

std::string_view to_string(PowerCut cut);

class FaultState {
 public:
  // `trash_dir` (created if missing) keeps removed files until their
  // directory is synced, so that a power cut can bring them back.
  FaultState(std::string trash_dir, std::uint64_t seed);
  ~FaultState();

  // Fails the `nth` (1-based) counted call of a kind in `calls`; with
  // `forever`, every counted call after it too. Replaces an earlier plan.
  void fail_call(std::uint64_t nth, IoError error, bool forever, unsigned calls = kAllIoCalls);
  void clear_failures();
  // Only calls on paths that `filter` accepts are counted (calls()) and can
  // be failed; the rest go ahead untouched. An empty filter accepts all.
  void set_path_filter(std::function<bool(std::string_view path)> filter);
  // Counted calls so far (whether they failed or not).
  std::uint64_t calls() const;
  // Calls that were failed by injection.
  std::uint64_t failures() const;

  // From now on every mutating call fails with IOError and changes nothing.
  void power_off();
  bool powered() const;
  // Rewrites the disk as `cut` would leave it, forgets all tracking and turns
  // the power back on. Call it only once nothing uses the files any more.
  Status power_cut(PowerCut cut);

  // -- Reported by the Envs. before() decides whether the call may go ahead
  // (it returns the injected error otherwise); the rest record its effect.
  Status before(IoCall call, const std::string& path);
  void created(const std::string& path);
  void opened_existing(const std::string& path, std::uint64_t size);
  void synced(const std::string& path, std::uint64_t size);
  void truncated(const std::string& path, std::uint64_t size);
  // Zeros written and synced up to `end` (WritableFile::write_zeros).
  void zeroed(const std::string& path, std::uint64_t end);
  void synced_dir(const std::string& dir);
  // Run `perform` (the real rename or removal) and remember how to undo it.
  Status rename(const std::string& from, const std::string& to, const std::function<Status()>& perform);
  Status remove(const std::string& path, const std::function<Status()>& perform);
  // A random number below `bound` from the state's seeded generator.
  std::uint64_t random_below(std::uint64_t bound);

 private:
  struct FileState {
    std::uint64_t synced_size = 0;
    std::uint64_t zeroed_end = 0;  // synced zeros reach this far (write_zeros)
  };
  struct DirOp {
    enum Kind { kCreated, kRenamed, kRemoved } kind;
    std::string path;                // created / removed file; rename target
    std::string from;                // rename source
    std::string trash;               // removed file's (or replaced target's) saved copy
    std::optional<FileState> saved;  // its sync state, restored with it
  };

  // mutex_ held for these:
  std::string keep_in_trash(const std::string& path);
  Status undo_dir_ops();
  Status cut_file(const std::string& path, const FileState& state, PowerCut cut);
  Status cut_unsynced(const std::string& path, std::uint64_t synced_size, std::uint64_t size, PowerCut cut);

  const std::string trash_dir_;
  mutable std::mutex mutex_;
  std::mt19937_64 random_;
  std::map<std::string, FileState> files_;
  std::map<std::string, std::vector<DirOp>> dir_ops_;  // by directory, in order
  std::uint64_t trash_serial_ = 0;
  std::uint64_t calls_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t fail_at_ = 0;  // 0: no plan
  std::uint64_t matching_calls_ = 0;
  bool fail_forever_ = false;
  unsigned fail_calls_ = 0;
  IoError fail_error_ = IoError::kEio;
  std::function<bool(std::string_view)> path_filter_;
  bool powered_ = true;
};

// RocksDB's info log: <db>/LOG and <db>/LOG.old (recovery/rocksdb_logger.h).
bool is_info_log(std::string_view path);

// A wal::Env over `target` that reports to `state`.
std::unique_ptr<wal::Env> make_fault_env(wal::Env* target, FaultState* state);

// A RocksDB Env whose FileSystem reports to `state` (the default file system
// underneath). Give it to the mirror through engine::StorageEnv.
std::unique_ptr<rocksdb::Env> make_fault_rocksdb_env(FaultState* state);

}  // namespace snapstore::fault
