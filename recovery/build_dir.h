// BuildDir: a directory built beside its target and renamed into place only
// when complete, so the target is never half written. Store::backup,
// restore_backup and `snapstore restore` build through it.
//
// "<parent>/.<name><infix>XXXXXX" holds, while its build runs, a lock file
// (kRestoreLockName) flock'ed by the building process: a later build of the
// same target removes the directories that killed builds left (no live
// lock) and leaves a live one's alone. commit() syncs every file and
// directory, drops the lock file, renames the directory over the target
// (missing or empty) and syncs the parent; destroyed uncommitted, the
// directory is removed.
//
//   auto build = BuildDir::create("/data/copy", kRestoreTempInfix);
//   if (!build) return build.status();
//   ... write under (*build)->path() ...
//   if (Status s = (*build)->commit(); !s) return s;
//
// Thread safety: one BuildDir is used by one thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/status.h"

namespace snapstore::recovery {

class BuildDir {
 public:
  // InvalidArgument when `target` is empty, exists and is not an empty
  // directory, or its parent is missing; IOError when the directory cannot
  // be made or locked. Each leftover removed (or left to a live build) is
  // described in one line appended to `leftovers` when given.
  static Result<std::unique_ptr<BuildDir>> create(const std::string& target, std::string_view infix,
                                                  std::vector<std::string>* leftovers = nullptr);
  ~BuildDir();
  BuildDir(const BuildDir&) = delete;
  BuildDir& operator=(const BuildDir&) = delete;

  // The directory being built.
  const std::string& path() const { return temp_; }
  // Makes the whole tree durable, then renames it to the target (replacing
  // an empty directory atomically) and syncs the parent.
  Status commit();

 private:
  BuildDir() = default;
  std::string target_;
  std::string parent_;
  std::string temp_;
  int lock_fd_ = -1;
  bool committed_ = false;
};

// fsync of one file or directory.
Status sync_path(const std::string& path, bool directory);
// Every file, then every directory bottom-up, then `root` itself.
Status sync_tree(const std::string& root);

}  // namespace snapstore::recovery
