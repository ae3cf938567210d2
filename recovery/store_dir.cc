// StoreDir: layout, creation rules and lock of a store directory (see
// store_dir.h; docs/GUARANTEES.md "Creating a store").
#include "recovery/store_dir.h"

#include <algorithm>
#include <vector>


namespace snapstore::recovery {
namespace {

std::string parent_of(const std::string& dir) {
  std::string trimmed = dir;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const std::size_t slash = trimmed.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return trimmed.substr(0, slash);
}

// Up to three names, quoted, and how many there are in all.
std::string describe_entries(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  std::string text;
  for (std::size_t i = 0; i < names.size() && i < 3; ++i) text += (i == 0 ? "\"" : ", \"") + names[i] + "\"";
  if (names.size() > 3) text += " and " + std::to_string(names.size() - 3) + " more";
  return text;
}

// What an existing directory without db/ holds.
struct Contents {
  std::vector<std::string> foreign;  // entries snapstore did not make
  bool wal_segments = false;         // wal/ holds something: not the start of a creation
};

Result<Contents> examine(wal::Env* env, const std::string& dir) {
  auto names = env->list_dir(dir);
  if (!names) return names.status();
  Contents contents;
  for (const std::string& name : *names) {
    if (name == kLockFileName) continue;
    if (name == kWalDirName) {
      auto wal_names = env->list_dir(wal_dir_path(dir));
      if (!wal_names) {
        contents.foreign.push_back(name);  // a file named wal, say
      } else if (!wal_names->empty()) {
        contents.wal_segments = true;
      }
      continue;
    }
    contents.foreign.push_back(name);
  }
  return contents;
}

}  // namespace

std::string lock_path(std::string_view dir) { return wal::join_path(dir, kLockFileName); }
std::string wal_dir_path(std::string_view dir) { return wal::join_path(dir, kWalDirName); }
std::string db_dir_path(std::string_view dir) { return wal::join_path(dir, kDbDirName); }
std::string consumers_path(std::string_view dir) { return wal::join_path(dir, kConsumersFileName); }
std::string damaged_path(std::string_view segment_path) { return std::string(segment_path) + std::string(kDamagedSuffix); }
std::string temporary_path(std::string_view path) { return std::string(path) + std::string(kTemporarySuffix); }

std::string restore_temp_prefix(std::string_view target) {
  std::string trimmed(target);
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const std::size_t slash = trimmed.rfind('/');
  const std::string name = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  const std::string parent = slash == std::string::npos ? std::string() : trimmed.substr(0, slash + 1);
  return parent + "." + name + std::string(kRestoreTempInfix);
}

bool is_store(wal::Env* env, const std::string& dir) { return env->exists(db_dir_path(dir)); }

bool is_store(const std::string& dir) { return is_store(wal::Env::posix(), dir); }
bool path_exists(const std::string& path) { return wal::Env::posix()->exists(path); }
Status create_directory(const std::string& dir) { return wal::Env::posix()->create_dir(dir); }
Status sync_directory(const std::string& dir) { return wal::Env::posix()->sync_dir(dir); }

StoreDir::~StoreDir() = default;

Result<std::unique_ptr<StoreDir>> StoreDir::open(wal::Env* env, const std::string& dir,
                                                 const StoreDirOptions& options) {
  if (dir.empty()) return Status::invalid_argument("no store directory given");
  std::unique_ptr<StoreDir> store(new StoreDir(env, dir, options.read_only));
  const std::string how_to_create = "Options::create_if_missing (the CLI's --create) creates one";

  if (options.read_only) {
    if (!env->exists(dir)) return Status::invalid_argument("no store at " + dir + ": the directory does not exist");
    if (!is_store(env, dir)) return Status::invalid_argument("no store at " + dir + " (it has no db/ directory)");
    // Nothing to share a lock with when the store has never been opened for
    // writing here (a copy without LOCK): reading goes on unlocked.
    const std::string lock = lock_path(dir);
    if (env->exists(lock)) {
      auto locked = env->lock_file(lock, wal::LockOptions{true, options.lock_timeout});
      if (!locked) return locked.status();
      store->lock_ = std::move(*locked);
    }
    return store;
  }

  store->create_if_missing_ = options.create_if_missing;
  if (!env->exists(dir)) {
    if (!options.create_if_missing) {
      return Status::invalid_argument("no store at " + dir + ": the directory does not exist (" + how_to_create + ")");
    }
    const std::string parent = parent_of(dir);
    if (!env->exists(parent)) {
      return Status::invalid_argument("cannot create a store at " + dir + ": its parent directory " + parent +
                                      " does not exist (snapstore creates only the store's own directory)");
    }
    if (Status s = env->create_dir(dir); !s) return s;
    if (Status s = env->sync_dir(parent); !s) return s;
  }
  if (!is_store(env, dir)) {
    // Decided before anything is written: a directory that is neither empty
    // nor an interrupted creation is someone else's.
    auto contents = examine(env, dir);
    if (!contents) return contents.status();
    if (!contents->foreign.empty()) {
      return Status::invalid_argument(dir + " is not a snapstore store: it holds " +
                                      describe_entries(contents->foreign) +
                                      " and no db/; a store is created only in a missing or empty directory");
    }
    if (contents->wal_segments) {
      return Status::invalid_argument(dir + " is not a complete store: its wal/ holds files but there is no db/ " +
                                      "(a damaged store? snapstore will not create a new store over its WAL)");
    }
    if (!options.create_if_missing) {
      return Status::invalid_argument("no store at " + dir + " (the directory is empty; " + how_to_create + ")");
    }
    store->creating_ = true;
  }

  auto locked = env->lock_file(lock_path(dir), wal::LockOptions{false, options.lock_timeout});
  if (!locked && locked.code() == StatusCode::kIOError) {
    return Status::io_error("cannot open the store at " + dir + " for writing (" + locked.status().detail() +
                            "); a read-only open (Options::read_only, the CLI's read commands) needs no write access");
  }
  if (!locked) return locked.status();
  store->lock_ = std::move(*locked);
  // Another process may have finished creating it while this one waited.
  if (store->creating_ && is_store(env, dir)) store->creating_ = false;
  if (!store->creating_ && options.error_if_exists) {
    return Status::invalid_argument("a store already exists at " + dir + " (Options::error_if_exists is on)");
  }
  if (Status s = env->create_dir(wal_dir_path(dir)); !s) return s;
  if (store->creating_) {
    if (Status s = env->sync_dir(dir); !s) return s;
  }
  return store;
}

Result<std::unique_ptr<StoreDir>> StoreDir::open_for_reading(const std::string& dir,
                                                             std::chrono::milliseconds lock_timeout) {
  StoreDirOptions options;
  options.read_only = true;
  options.lock_timeout = lock_timeout;
  return open(wal::Env::posix(), dir, options);
}

Result<std::unique_ptr<Mirror>> StoreDir::open_mirror(MirrorOptions options) {
  options.read_only = read_only_;
  // An existing store's db/ may be RocksDB's own interrupted creation,
  // which RocksDB finishes when allowed to create.
  options.create_if_missing = creating_ || create_if_missing_;
  auto mirror = Mirror::open(env_, db_dir(), wal_dir(), options);
  if (!mirror) return mirror.status();
  if (creating_) {
    if (Status s = env_->sync_dir(dir_); !s) return s;
    creating_ = false;
  }
  return mirror;
}

}  // namespace snapstore::recovery
