// `snapstore restore` (see restore_command.h). The store is built in a
// temporary directory beside DIR (`.<name>.restore-XXXXXX`), made durable
// file by file, and renamed into place only once every checksum and the
// trailer's count have been checked: a crash or a bad input leaves DIR as it
// was (absent or empty), never a half-restored store. A crash can leave the
// temporary directory behind; it is never opened as a store.
#include "tools/restore_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

}  // namespace

CLI::App* RestoreCommand::setup(CLI::App& app) {
  CLI::App* sub =
      app.add_subcommand("restore", "Restore a dump (either format) into a new or empty directory, atomically");
  sub->add_option("input", input_, "Dump file, or - for stdin")->required();
  sub->add_option("dir", dir_, "Directory for the new store: must not exist, or be empty")->required();
  sub->add_flag("--salvage", salvage_, "Restore every valid entry of a damaged dump and list what was skipped");
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
  Status status = [&]() -> Status {
    auto reader = DumpReader::open(in, from_file ? input_ : "stdin", salvage_);
    if (!reader) return reader.status();
    const DumpHeader& header = (*reader)->header();
    if (header.since_revision > 0) {
      return Status::invalid_argument("the dump holds only the changes after revision " +
                                      std::to_string(header.since_revision) +
                                      " (an incremental dump); restore needs a full dump");
    }
    if (Status s = wal::Env::posix()->create_dir(recovery::wal_dir_path(temp)); !s) return s;
    auto loader = recovery::BulkLoader::create(recovery::db_dir_path(temp));
    if (!loader) return loader.status();
    std::error_code size_error;
    std::uint64_t input_size = from_file ? fs::file_size(input_, size_error) : 0;
    if (size_error) input_size = 0;
    Progress progress(global, "restore", 0);
    DumpEntry entry;
    while (true) {
      auto more = (*reader)->next(entry);
      if (!more) return more.status();
      if (!*more) break;
      if (entry.deleted) {
        return Status::corruption("a full dump lists a deletion (document \"" + entry.id + "\")");
      }
      if (entry.revision > header.revision || entry.version == 0) {
        return Status::corruption("document \"" + entry.id + "\" has version " + std::to_string(entry.version) +
                                  " and revision " + std::to_string(entry.revision) + ", outside the dump's revision " +
                                  std::to_string(header.revision));
      }
      if (Status s = (*loader)->add(entry.id, entry.version, entry.revision, entry.document); !s) return s;
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
    if (Status s = (*loader)->finish(header.revision, header.indexes); !s) return s;
    if (Status s = sync_tree(temp); !s) return s;
    // rename(2) replaces an empty directory atomically.
    if (::rename(temp.c_str(), target.c_str()) != 0) {
      return Status::io_error("rename " + temp + " to " + dir_ + ": " + std::strerror(errno));
    }
    return sync_path(parent.string(), true);
  }();
  if (from_file) std::fclose(in);
  if (!status) {
    fs::remove_all(temp, ec);
    return report_error("restore", status);
  }
  for (const SkippedInput& s : skipped)
    std::cerr << "snapstore restore: skipped " << s.where << ": " << s.reason << "\n";
  note(global, "restored " + std::to_string(documents) + " documents into " + dir_ +
                   (skipped.empty() ? "" : " (" + std::to_string(skipped.size()) + " damaged entries skipped)"));
  return skipped.empty() ? kExitOk : kExitProblem;
}

}  // namespace snapstore::tools
