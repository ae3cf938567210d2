// Env: the one seam through which snapstore's own files are created, written,
// synced, renamed, removed, listed, locked and truncated. Env::posix() is the
// real file system; tests substitute a fault-injecting Env to drop unsynced
// data or fail the Nth call (FAULTS.md).
//
// A WAL segment in `none` and `periodic` mode is written through a shared
// mapping (create_mapped_file): an append is a memcpy into the page cache, not
// a write() system call, and reserve() allocates the blocks first so that a
// full disk is an error there, never a SIGBUS at a later store (D101).
//
// A `sync` segment's space is written with zeros ahead of its records, off
// the write path (WritableFile::write_zeros, D109): an fdatasync after
// overwriting written blocks needs no journal commit.
//
// Every failure comes back as a Status naming the path and the system error.
// Thread safety: an Env may be used from any thread; a WritableFile by one
// thread at a time, except write_zeros() (see there).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/status.h"

namespace snapstore::wal {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data` (a short write is an error, never silent).
  virtual Status append(std::string_view data) = 0;
  // Makes every appended byte durable (fdatasync).
  virtual Status sync() = 0;
  // Reserves space for `bytes` without changing the file's size, so later
  // appends need no block allocation (and their syncs less metadata). Best
  // effort: a file system that cannot is not an error.
  virtual Status preallocate(std::uint64_t bytes) = 0;
  // Makes room for appends up to `size` bytes, or where the disk is too
  // full for that, up to `at_least` (<= size). A mapped file
  // (Env::create_mapped_file) allocates the blocks and extends the file with
  // zeros (which readers take for preallocated space): a full disk is an
  // error here. Any other file: preallocate(size).
  //   if (Status s = file->reserve(offset + (1 << 20), offset + bytes.size()); !s) return s;
  //   file->append(bytes);  // a memcpy when mapped
  virtual Status reserve(std::uint64_t size, std::uint64_t at_least) {
    (void)at_least;
    return preallocate(size);
  }
  // Whether write_zeros() is supported (the POSIX Env's created files).
  virtual bool can_write_zeros() const { return false; }
  // Writes zeros over [from, to), at or past the end of the appends, and
  // makes them durable, so that appends landing there later overwrite
  // written blocks: their fdatasync then flushes data only, with no extent
  // conversion or size change for the file system's journal to commit
  // (D109). The one call that may run on another thread while the owner
  // appends and syncs below `from`; it syncs through its own descriptor, so
  // a writeback error is still reported to the owner's next sync(). Appends
  // go on at the end of what was appended, not at the end of the file.
  //   if (file->can_write_zeros()) s = file->write_zeros(size, size + (4 << 20));  // on a helper thread
  virtual Status write_zeros(std::uint64_t from, std::uint64_t to) {
    (void)from;
    (void)to;
    return Status::io_error("writing zeros ahead is not supported for " + path());
  }
  // Closes the file; a mapped file, or one with zeros written past its
  // appends, is first cut back to the bytes appended.
  virtual Status close() = 0;
  virtual const std::string& path() const = 0;
};

// Held while a directory is in use; released by destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// How Env::lock_file locks.
struct LockOptions {
  // false: an exclusive lock; the file is created if missing and the
  // holder's pid written into it. true: a shared lock on the existing file,
  // opened read-only (nothing is created or written, so it works on
  // read-only media); shared holders exclude exclusive ones and vice versa.
  bool shared = false;
  // How long to wait for a holder to let go before Busy; 0: not at all.
  std::chrono::milliseconds timeout{0};
};

// A file's whole content, held for reading (Env::map_file).
class FileBytes {
 public:
  virtual ~FileBytes() = default;
  virtual std::string_view data() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env.
  static Env* posix();

  // Creates `path` (it must not exist) and opens it for appending.
  virtual Result<std::unique_ptr<WritableFile>> create_file(const std::string& path) = 0;
  // Creates `path` like create_file(), for appends that are copied into a
  // shared mapping of the file instead of written with a system call each.
  // `capacity`: the size the file is expected to reach (the address space
  // mapped up front; more is mapped if needed). The page cache holds an
  // append once it returns, so a killed process loses none of it; sync()
  // makes it durable as for any file. Where mapping is not possible (an Env
  // without it, a file system without fallocate) the file is written with
  // write() instead, which callers cannot tell apart.
  //   auto file = env->create_mapped_file(dir + "/00000000000000000001.log", 64 << 20);
  virtual Result<std::unique_ptr<WritableFile>> create_mapped_file(const std::string& path, std::uint64_t capacity);
  // Opens an existing file for appending at its end.
  virtual Result<std::unique_ptr<WritableFile>> reopen_file(const std::string& path) = 0;
  // The whole content of `path`.
  virtual Result<std::string> read_file(const std::string& path) = 0;
  // The whole content of `path` without copying it where the Env can: the
  // POSIX Env maps it read-only (the caller holds the store's lock, so no
  // writer shortens the file meanwhile). By default read_file()'s string.
  virtual Result<std::unique_ptr<FileBytes>> map_file(const std::string& path);
  virtual Result<std::uint64_t> file_size(const std::string& path) = 0;
  virtual bool exists(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual Result<std::vector<std::string>> list_dir(const std::string& dir) = 0;
  // Creates `dir` if missing (not its parents).
  virtual Status create_dir(const std::string& dir) = 0;
  // Makes creations, renames and removals inside `dir` durable.
  virtual Status sync_dir(const std::string& dir) = 0;
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status remove(const std::string& path) = 0;
  virtual Status truncate(const std::string& path, std::uint64_t size) = 0;
  // An advisory lock on `path` (see LockOptions) that a conflicting locker,
  // in this process or another, cannot take: it gets Busy naming the path and
  // the holder's pid.
  virtual Result<std::unique_ptr<FileLock>> lock_file(const std::string& path, const LockOptions& options) = 0;
};

// "dir/name"
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace snapstore::wal
