// BuildDir (see build_dir.h).
#include "recovery/build_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "recovery/store_dir.h"

namespace snapstore::recovery {
namespace {

namespace fs = std::filesystem;

// A build directory without its lock file belongs to a build that is
// starting (between mkdtemp and the lock) or finishing (the lock file is
// removed just before the rename): left alone while this recent.
constexpr auto kUnlockedGrace = std::chrono::minutes(1);

Status build_errno_error(const std::string& what, int err) { return Status::io_error(what + ": " + std::strerror(err)); }

std::uint64_t tree_bytes(const fs::path& root) {
  std::uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) bytes += it->file_size(size_error);
  }
  return bytes;
}

// Removes the build directories ("<parent>/.<name><infix>XXXXXX") that
// killed builds left, unless a live process holds their lock; one line per
// directory removed or left into `said`.
void remove_leftovers(const fs::path& parent, const std::string& name, std::string_view infix,
                      std::vector<std::string>& said) {
  const std::string prefix = "." + name + std::string(infix);
  const std::string kind(infix.substr(1, infix.size() - 2));  // ".restore-": "restore"
  std::error_code ec;
  for (auto it = fs::directory_iterator(parent, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    std::error_code type_error;
    if (entry.size() != prefix.size() + 6 || entry.compare(0, prefix.size(), prefix) != 0 ||
        !it->is_directory(type_error) || it->is_symlink(type_error)) {
      continue;
    }
    const std::string lock = (it->path() / kRestoreLockName).string();
    // O_CREAT never: creating the file would "own" a directory a build just
    // made and has not locked yet.
    const int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      std::error_code time_error;
      const auto modified = fs::last_write_time(it->path(), time_error);
      if (time_error || fs::file_time_type::clock::now() - modified < kUnlockedGrace) continue;
    } else if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      char buffer[32] = {};
      const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
      std::string pid = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string("?");
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      ::close(fd);
      said.push_back("left " + it->path().string() + ": a " + kind + " in progress (pid " + pid + ") owns it");
      continue;
    }
    const std::uint64_t bytes = tree_bytes(it->path());
    std::error_code remove_error;
    fs::remove_all(it->path(), remove_error);
    if (fd >= 0) ::close(fd);
    said.push_back(remove_error ? "could not remove " + it->path().string() + ", left by a " + kind +
                                      " that did not finish: " + remove_error.message()
                                : "removed " + it->path().string() + " (" + std::to_string(bytes) +
                                      " bytes), left by a " + kind + " that did not finish");
  }
}

}  // namespace

Status sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return build_errno_error("open " + path + " to sync it", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return build_errno_error("fsync " + path, err);
  return Status::ok();
}

Status sync_tree(const std::string& root) {
  std::error_code ec;
  std::vector<std::string> directories;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory()) {
      directories.push_back(it->path().string());
    } else if (Status s = sync_path(it->path().string(), false); !s) {
      return s;
    }
  }
  if (ec) return Status::io_error("list " + root + ": " + ec.message());
  for (auto d = directories.rbegin(); d != directories.rend(); ++d) {
    if (Status s = sync_path(*d, true); !s) return s;
  }
  return sync_path(root, true);
}

Result<std::unique_ptr<BuildDir>> BuildDir::create(const std::string& target, std::string_view infix,
                                                   std::vector<std::string>* leftovers) {
  if (target.empty()) return Status::invalid_argument("no target directory given");
  const fs::path path = fs::path(target).lexically_normal();
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(path, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      return Status::invalid_argument(target + " exists and is not a directory; a backup or restore writes only "
                                               "into a new or empty directory");
    }
    if (!fs::is_empty(path, ec)) {
      return Status::invalid_argument(target + " exists and is not an empty directory; a backup or restore writes "
                                               "only into a new or empty directory");
    }
  }
  const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) {
    return Status::invalid_argument("the parent directory " + parent.string() + " of " + target +
                                    " does not exist");
  }
  const std::string name = path.filename().string();
  std::vector<std::string> said;
  remove_leftovers(parent, name, infix, said);
  if (leftovers != nullptr) leftovers->insert(leftovers->end(), said.begin(), said.end());
  std::unique_ptr<BuildDir> dir(new BuildDir());
  dir->target_ = path.string();
  dir->parent_ = parent.string();
  dir->temp_ = (parent / ("." + name + std::string(infix) + "XXXXXX")).string();
  if (::mkdtemp(dir->temp_.data()) == nullptr) {
    const int err = errno;
    dir->temp_.clear();
    return build_errno_error("create a directory beside " + target, err);
  }
  // mkdtemp makes it private; the result gets the permissions mkdir would give.
  const mode_t umask_bits = ::umask(0);
  ::umask(umask_bits);
  ::chmod(dir->temp_.c_str(), 0777 & ~umask_bits);
  const std::string lock = dir->temp_ + "/" + std::string(kRestoreLockName);
  dir->lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (dir->lock_fd_ < 0) return build_errno_error("create " + lock, errno);
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::flock(dir->lock_fd_, LOCK_EX | LOCK_NB) != 0 ||
      ::pwrite(dir->lock_fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return build_errno_error("lock " + lock, errno);
  }
  return dir;
}

BuildDir::~BuildDir() {
  if (!committed_ && !temp_.empty()) {
    std::error_code ignored;
    fs::remove_all(temp_, ignored);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status BuildDir::commit() {
  if (Status s = sync_tree(temp_); !s) return s;
  // The lock file is not part of the result; the flock stays held until the
  // rename, and a build looking for leftovers meanwhile finds a recent
  // directory without a lock file and leaves it alone. Removed after the
  // (slow) sync, so that window stays short.
  const std::string lock = temp_ + "/" + std::string(kRestoreLockName);
  if (::unlink(lock.c_str()) != 0) return build_errno_error("remove " + lock, errno);
  if (Status s = sync_path(temp_, true); !s) return s;
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    return build_errno_error("rename " + temp_ + " to " + target_, errno);
  }
  committed_ = true;
  return sync_path(parent_, true);
}

}  // namespace snapstore::recovery
