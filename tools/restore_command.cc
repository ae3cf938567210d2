// `snapstore restore` (see restore_command.h). The store is built in a
// temporary directory beside DIR (`.<name>.restore-XXXXXX`), made durable
// file by file, and renamed into place only once every checksum and the
// trailer's count have been checked: a crash or a bad input leaves DIR as it
// was (absent or empty), never a half-restored store. A crash can leave the
// temporary directory behind; it is never opened as a store, and the next
// restore of the same DIR removes it (remove_leftovers).
#include "tools/restore_command.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "recovery/bulk_loader.h"
#include "recovery/store_dir.h"
#include "tools/cli_support.h"
#include "tools/dump_format.h"

namespace snapstore::tools {
namespace {

namespace fs = std::filesystem;

Status sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Status::io_error("open " + path + " to sync it: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::io_error("fsync " + path + ": " + std::strerror(err));
  return Status::ok();
}

// Every file, then every directory bottom-up, then `root` itself.
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

// A restore holds an flock on recovery::kRestoreLockName inside its
// temporary directory from just after creating the directory until it
// renames it into place, so another restore can tell a live one's directory
// from a killed one's.
const std::string kRestoreLockName(recovery::kRestoreLockName);
// A temporary directory without the lock file belongs to a restore that is
// starting (between mkdtemp and the lock) or finishing (the lock file is
// removed just before the rename): left alone while this recent.
constexpr auto kUnlockedGrace = std::chrono::minutes(1);

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

// Removes the temporary directories that killed restores of `target` left
// beside it (".<name>.restore-XXXXXX" whose lock no live process holds) and
// returns one line per directory removed, or left because a live restore
// owns it.
std::vector<std::string> remove_leftovers(const fs::path& parent, const std::string& name) {
  std::vector<std::string> said;
  const std::string prefix = "." + name + std::string(recovery::kRestoreTempInfix);
  std::error_code ec;
  for (auto it = fs::directory_iterator(parent, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    std::error_code type_error;
    if (entry.size() != prefix.size() + 6 || entry.compare(0, prefix.size(), prefix) != 0 ||
        !it->is_directory(type_error) || it->is_symlink(type_error)) {
      continue;
    }
    const std::string lock_path = (it->path() / kRestoreLockName).string();
    // O_CREAT never: creating the file would "own" a directory a restore
    // just made and has not locked yet.
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
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
      said.push_back("left " + it->path().string() + ": a restore in progress (pid " + pid + ") owns it");
      continue;
    }
    const std::uint64_t bytes = tree_bytes(it->path());
    std::error_code remove_error;
    fs::remove_all(it->path(), remove_error);
    if (fd >= 0) ::close(fd);
    said.push_back(remove_error ? "could not remove " + it->path().string() + ", left by a restore that did not "
                                      "finish: " + remove_error.message()
                                : "removed " + it->path().string() + " (" + std::to_string(bytes) +
                                      " bytes), left by a restore that did not finish");
  }
  return said;
}

// Creates and locks the lock file of the restore's own temporary directory.
Result<int> lock_temp_dir(const std::string& temp) {
  const std::string path = temp + "/" + kRestoreLockName;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::io_error("create " + path + ": " + std::strerror(errno));
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return Status::io_error("lock " + path + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace

CLI::App* RestoreCommand::setup(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("restore", "Restore a dump (either format) into a new or empty directory, atomically");
  sub->add_option("input", input_, "Dump file, or - for stdin")->required();
  sub->add_option("dir", dir_, "Directory for the new store: must not exist, or be empty")->required();
  sub->add_flag("--salvage", salvage_,
                "Restore every valid entry of a damaged dump (also one whose header is damaged) and list what "
                "was skipped (exit 1 when anything was)");
  sub->footer(
      "Temporary directories that killed restores of the same DIR left beside it are removed first (and named).\n"
      "Examples:\n"
      "  snapstore restore store.dump /data/copy\n"
      "  snapstore dump /data/store | snapstore restore - /data/copy\n"
      "  snapstore restore --salvage damaged.dump /data/rescued");
  return sub;
}

int RestoreCommand::run(const GlobalOptions& global) {
  const fs::path target = fs::path(dir_).lexically_normal();
  std::error_code ec;
  if (fs::exists(target, ec) && !(fs::is_directory(target, ec) && fs::is_empty(target, ec))) {
    return report_error("restore", Status::invalid_argument(dir_ + " exists and is not an empty directory; "
                                                                   "restore only creates new stores"));
  }
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) {
    return report_error("restore", Status::io_error("the parent directory " + parent.string() + " does not exist"));
  }

  for (const std::string& line : remove_leftovers(parent, target.filename().string())) {
    note(global, "snapstore restore: " + line);
  }

  std::FILE* in = stdin;
  const bool from_file = input_ != "-";
  if (from_file) {
    in = std::fopen(input_.c_str(), "rb");
    if (in == nullptr) return report_error("restore", Status::io_error("open " + input_ + ": " + std::strerror(errno)));
  }
  std::string temp = (parent / (recovery::restore_temp_prefix(target.filename().string()) + "XXXXXX")).string();
  if (::mkdtemp(temp.data()) == nullptr) {
    if (from_file) std::fclose(in);
    return report_error("restore", Status::io_error("create a directory beside " + dir_ + ": " + std::strerror(errno)));
  }

  // mkdtemp makes it private; the store gets the permissions mkdir would give.
  const mode_t umask_bits = ::umask(0);
  ::umask(umask_bits);
  ::chmod(temp.c_str(), 0777 & ~umask_bits);

  std::uint64_t documents = 0;
  std::vector<SkippedInput> skipped;
  int lock_fd = -1;
  Status status = [&]() -> Status {
    auto locked = lock_temp_dir(temp);
    if (!locked) return locked.status();
    lock_fd = *locked;
    auto reader = DumpReader::open(in, from_file ? input_ : "stdin", salvage_);
    if (!reader) return reader.status();
    const DumpHeader& header = (*reader)->header();
    if (header.since_revision > 0) {
      return Status::invalid_argument("the dump holds only the changes after revision " +
                                      std::to_string(header.since_revision) +
                                      " (an incremental dump); restore needs a full dump");
    }
    if (Status s = recovery::create_directory(recovery::wal_dir_path(temp)); !s) return s;
    auto loader = recovery::BulkLoader::create(recovery::db_dir_path(temp));
    if (!loader) return loader.status();
    std::error_code size_error;
    std::uint64_t input_size = from_file ? fs::file_size(input_, size_error) : 0;
    if (size_error) input_size = 0;
    Progress progress(global, "restore", 0);
    DumpEntry entry;
    std::uint64_t max_revision = 0;
    while (true) {
      auto more = (*reader)->next(entry);
      if (!more) return more.status();
      if (!*more) break;
      if (entry.deleted) {
        return Status::corruption("a full dump lists a deletion (document \"" + entry.id + "\")");
      }
      // A damaged header's revision is unknown: the entries' highest stands in.
      if ((!(*reader)->header_damaged() && entry.revision > header.revision) || entry.version == 0) {
        return Status::corruption("document \"" + entry.id + "\" has version " + std::to_string(entry.version) +
                                  " and revision " + std::to_string(entry.revision) + ", outside the dump's revision " +
                                  std::to_string(header.revision));
      }
      if (Status s = (*loader)->add(entry.id, entry.version, entry.revision, entry.document); !s) return s;
      max_revision = std::max(max_revision, entry.revision);
      progress.add();
      // The count ahead is unknown until the trailer; the bytes read so far
      // predict it from the input's size.
      const std::uint64_t loaded = (*loader)->documents();
      if (progress.enabled() && input_size > 0 && (loaded & 4095) == 0 && (*reader)->bytes_read() > 0) {
        progress.set_total(loaded * input_size / (*reader)->bytes_read());
      }
    }
    progress.finish();
    documents = (*loader)->documents();
    skipped = (*reader)->skipped();
    std::uint64_t revision = header.revision;
    if ((*reader)->header_damaged()) {
      revision = max_revision;
      for (SkippedInput& item : skipped) {
        if (item.where == "header" || item.where == "line 1") {
          item.reason += "; the restored store's revision is " + std::to_string(revision) +
                         ", the highest of the dump's entries";
        }
      }
    }
    if (Status s = (*loader)->finish(revision, header.indexes); !s) return s;
    // The lock file is not part of the store. Its flock stays held until
    // the rename; a restore looking for leftovers meanwhile finds a recent
    // directory without a lock file and leaves it alone.
    const std::string lock_path = temp + "/" + kRestoreLockName;
    if (::unlink(lock_path.c_str()) != 0) return Status::io_error("remove " + lock_path + ": " + std::strerror(errno));
    if (Status s = sync_tree(temp); !s) return s;
    // rename(2) replaces an empty directory atomically.
    if (::rename(temp.c_str(), target.c_str()) != 0) {
      return Status::io_error("rename " + temp + " to " + dir_ + ": " + std::strerror(errno));
    }
    return sync_path(parent.string(), true);
  }();
  if (from_file) std::fclose(in);
  if (!status) fs::remove_all(temp, ec);
  if (lock_fd >= 0) ::close(lock_fd);
  if (!status) return report_error("restore", status);
  for (const SkippedInput& s : skipped)
    std::cerr << "snapstore restore: skipped " << s.where << ": " << s.reason << "\n";
  const bool header_skipped = !skipped.empty() && (skipped[0].where == "header" || skipped[0].where == "line 1");
  const std::size_t entries_skipped = skipped.size() - (header_skipped ? 1 : 0);
  std::string skipped_note;
  if (header_skipped) skipped_note = entries_skipped == 0 ? " (the damaged header skipped)" : " (the damaged header and ";
  if (entries_skipped > 0) {
    skipped_note += (header_skipped ? "" : " (") + std::to_string(entries_skipped) + " damaged entries skipped)";
  }
  note(global, "restored " + std::to_string(documents) + " documents into " + dir_ + skipped_note);
  return skipped.empty() ? kExitOk : kExitProblem;
}

}  // namespace snapstore::tools
