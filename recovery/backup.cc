// Backups: create_backup, read_backup, restore_backup (see backup.h and
// snapstore/backup.h; docs/FORMATS.md "Backups").
#include "recovery/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "recovery/build_dir.h"
#include "recovery/store_dir.h"
#include "recovery/store_reader.h"
#include "wal/reader.h"
#include "wal/record.h"
#include "wal/writer.h"

namespace snapstore::recovery {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kManifestFormat = "snapstore backup";
constexpr std::uint64_t kManifestVersion = 1;
constexpr std::uintmax_t kMaxManifestBytes = 64 << 10;
// Inside a backup being built: hard links to the store's WAL segments.
constexpr std::string_view kWalSourceName = ".wal-source";
Status errno_error(const std::string& what, int err) { return Status::io_error(what + ": " + std::strerror(err)); }

void count_tree(const std::string& root, BackupInfo& info) {
  info.files = 0;
  info.bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error) && it->path().filename() != kRestoreLockName) {
      ++info.files;
      info.bytes += it->file_size(size_error);
    }
  }
}

Status copy_file(const std::string& from, const std::string& to) {
  std::error_code ec;
  if (!fs::copy_file(from, to, fs::copy_options::none, ec)) {
    return Status::io_error("copy " + from + " to " + to + ": " + ec.message());
  }
  return Status::ok();
}

enum class Linked { kLinked, kCopied, kGone };

// A hard link where the file system allows one, else a copy. kGone: `from`
// was removed meanwhile.
Result<Linked> link_or_copy(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return Linked::kLinked;
  const int err = errno;
  if (err == ENOENT && !fs::exists(from)) return Linked::kGone;
  if (err != EXDEV && err != EPERM && err != EMLINK && err != ENOTSUP && err != EOPNOTSUPP) {
    return errno_error("link " + from + " to " + to, err);
  }
  if (Status s = copy_file(from, to); !s) {
    if (!fs::exists(from)) return Linked::kGone;
    return s;
  }
  return Linked::kCopied;
}

// Links (or copies) every WAL segment of the store into `to`. A segment a
// checkpoint retires meanwhile is skipped: it lies wholly at or below the
// mirror's flushed LSN, so the checkpoint taken afterwards holds it.
Status link_segments(const BackupSource& source, const std::string& to) {
  auto segments = wal::list_segments(source.env, source.wal_dir);
  if (!segments) return segments.status();
  for (const wal::SegmentInfo& segment : *segments) {
    const std::string name = fs::path(segment.path).filename().string();
    auto linked = link_or_copy(segment.path, wal::join_path(to, name));
    if (!linked) return linked.status();
  }
  return Status::ok();
}

// Writes the WAL batches (floor, end] found in `from` into a new log in `to`
// starting at floor + 1; returns how many. `missing` words the error when
// the log does not hold floor + 1 (its argument: the first LSN it holds
// after the floor, 0 for none).
Result<std::uint64_t> copy_records(wal::Env* env, const std::string& from, std::uint64_t floor, std::uint64_t end,
                                   const std::string& to, std::uint64_t segment_bytes,
                                   const std::function<Status(std::uint64_t)>& missing) {
  wal::WriterOptions writer_options;
  writer_options.segment_bytes = segment_bytes;
  writer_options.sync_every_group = false;  // close() syncs; the build is synced again before the rename
  std::unique_ptr<wal::LogWriter> writer;
  std::uint64_t next = floor + 1;
  std::uint64_t copied = 0;
  bool done = false;
  Status failure;
  auto read = wal::read_log(
      env, from, floor,
      [&](const wal::Batch& batch) -> Status {
        if (batch.first_lsn != next) {
          if (batch.first_lsn <= floor) {
            failure = Status::invalid_argument("revision " + std::to_string(floor) + " falls inside a batch (revisions " +
                                               std::to_string(batch.first_lsn) + ".." +
                                               std::to_string(batch.last_lsn()) + "): backups end at batch ends");
          } else {
            failure = next == floor + 1 ? missing(batch.first_lsn)
                                        : Status::corruption(from + ": the WAL jumps from revision " +
                                                             std::to_string(next - 1) + " to " +
                                                             std::to_string(batch.first_lsn));
          }
          return failure;
        }
        if (batch.last_lsn() > end) {
          failure = Status::corruption("a WAL batch (revisions " + std::to_string(batch.first_lsn) + ".." +
                                       std::to_string(batch.last_lsn()) + ") crosses the backup's revision " +
                                       std::to_string(end));
          return failure;
        }
        if (!writer) {
          auto opened = wal::LogWriter::open(env, to, floor + 1, writer_options, {});
          if (!opened) return failure = opened.status();
          writer = std::move(*opened);
        }
        auto lsn = writer->append(wal::encode_operations(batch.ops), batch.ops.size());
        if (!lsn) return failure = lsn.status();
        next = batch.last_lsn() + 1;
        ++copied;
        if (batch.last_lsn() == end) {
          done = true;
          return Status(StatusCode::kBusy, "the backup's last record is copied");  // stops the read
        }
        return Status::ok();
      },
      wal::BelowFloor::kSkip);
  if (!failure) return failure;
  if (!done) {
    if (!read) return read.status();
    if (copied == 0) return missing(0);
    return Status::corruption(from + ": the WAL ends at revision " + std::to_string(next - 1) +
                              ", before the backup's revision " + std::to_string(end));
  }
  if (Status s = writer->close(); !s) return s;
  return copied;
}

Status write_manifest(const std::string& dir, const BackupInfo& info) {
  nlohmann::json manifest = {
      {"format", kManifestFormat},
      {"format_version", kManifestVersion},
      {"kind", info.incremental ? "incremental" : "full"},
      {"base_revision", info.base_revision},
      {"revision", info.revision},
      {"checkpoint_revision", info.checkpoint_revision},
      {"wal_records", info.wal_records},
  };
  const std::string text = manifest.dump(2) + "\n";
  const std::string path = wal::join_path(dir, kBackupManifestName);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error("create " + path, errno);
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  const int synced = n == static_cast<ssize_t>(text.size()) ? ::fsync(fd) : 0;
  const int sync_err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) return errno_error("write " + path, n < 0 ? err : EIO);
  if (synced != 0) return errno_error("fsync " + path, sync_err);
  return Status::ok();
}

// The revision a checkpoint's RocksDB holds (its applied_lsn).
Result<std::uint64_t> checkpoint_revision(const std::string& build) {
  MirrorOptions options;
  options.read_only = true;
  options.create_if_missing = false;
  auto mirror = Mirror::open(wal::Env::posix(), db_dir_path(build), wal_dir_path(build), options);
  if (!mirror) return mirror.status();
  return (*mirror)->applied_lsn();
}

double seconds_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace

Result<BackupInfo> create_backup(const BackupSource& source, const std::string& target,
                                 std::optional<std::uint64_t> since) {
  const auto started = std::chrono::steady_clock::now();
  auto build = BuildDir::create(target, kBackupTempInfix);
  if (!build) return build.status();
  const std::string& temp = (*build)->path();
  BackupInfo info;
  info.dir = target;
  info.incremental = since.has_value();
  info.base_revision = since.value_or(0);

  // 1. Every write acknowledged so far is in the backup: R is at least the
  // durable revision now.
  auto durable = source.make_durable();
  if (!durable) return durable.status();
  std::uint64_t revision = *durable;
  if (since && *since > revision) {
    return Status::invalid_argument("an incremental backup since revision " + std::to_string(*since) +
                                    ": that revision is in the future (the store at " + source.store_dir +
                                    " is at revision " + std::to_string(revision) + ")");
  }

  // 2. The WAL up to R, kept by links whatever checkpoints retire from now on.
  const std::string wal_source = wal::join_path(temp, kWalSourceName);
  if (Status s = create_directory(wal_source); !s) return s;
  if (Status s = link_segments(source, wal_source); !s) return s;

  // 3. A full backup: RocksDB's state at its applied_lsn C. R = max(C, R):
  // the WAL adds the records after C.
  std::uint64_t floor = info.base_revision;
  if (!since) {
    if (Status s = source.mirror->create_checkpoint(db_dir_path(temp)); !s) return s;
    auto applied = checkpoint_revision(temp);
    if (!applied) return applied.status();
    info.checkpoint_revision = *applied;
    floor = *applied;
    if (floor > revision) {
      // In `none` and `periodic` modes the mirror may be ahead of the synced
      // WAL: make the source durable that far too, so that it never ends
      // below a backup of it.
      auto again = source.make_durable();
      if (!again) return again.status();
      revision = floor;
    }
  }

  // 4. The WAL records (floor, R] into the backup's own log.
  if (Status s = create_directory(wal_dir_path(temp)); !s) return s;
  if (revision > floor) {
    auto missing = [&](std::uint64_t first) -> Status {
      const std::string held = first == 0 ? "it holds no record after revision " + std::to_string(floor)
                                          : "its oldest record after that is revision " + std::to_string(first);
      if (!since) {
        return Status::corruption("the WAL of " + source.store_dir + " does not hold revision " +
                                  std::to_string(floor + 1) + " after its RocksDB checkpoint (" + held + ")");
      }
      return Status::invalid_argument(
          "an incremental backup since revision " + std::to_string(floor) + " needs the WAL from revision " +
          std::to_string(floor + 1) + ", which the store at " + source.store_dir + " no longer retains (" + held +
          "); take a full backup, or keep the WAL for the next increment with a named change-feed consumer");
    };
    auto copied = copy_records(source.env, wal_source, floor, revision, wal_dir_path(temp), source.segment_bytes,
                               missing);
    if (!copied) return copied.status();
    info.wal_records = *copied;
  }
  std::error_code ec;
  fs::remove_all(wal_source, ec);
  if (ec) return Status::io_error("remove " + wal_source + ": " + ec.message());
  info.revision = revision;
  if (Status s = write_manifest(temp, info); !s) return s;

  // 5. Check what was written before it takes the target's name.
  if (!since) {
    auto reader = StoreReader::open(temp);
    if (!reader) return reader.status();
    if ((*reader)->revision() != revision || (*reader)->applied_lsn() != info.checkpoint_revision) {
      return Status::corruption("the backup built in " + temp + " recovers revision " +
                                std::to_string((*reader)->revision()) + ", not " + std::to_string(revision));
    }
  } else {
    auto read = wal::read_log(wal::Env::posix(), wal_dir_path(temp), floor, [](const wal::Batch&) { return Status::ok(); });
    if (!read) return read.status();
    const std::uint64_t last = read->records == 0 ? floor : read->last_lsn;
    if (last != revision || read->torn_tail || (read->records > 0 && read->first_lsn != floor + 1)) {
      return Status::corruption("the incremental backup built in " + temp + " does not hold revisions " +
                                std::to_string(floor + 1) + ".." + std::to_string(revision));
    }
  }
  count_tree(temp, info);
  if (Status s = (*build)->commit(); !s) return s;
  info.elapsed_seconds = seconds_since(started);
  return info;
}

}  // namespace snapstore::recovery

namespace snapstore {

Result<BackupInfo> read_backup(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status::invalid_argument("no backup at " + dir + ": it does not exist");
  if (!fs::is_directory(dir, ec)) return Status::invalid_argument(dir + " is not a snapstore backup: not a directory");
  const std::string manifest_path = wal::join_path(dir, recovery::kBackupManifestName);
  if (!fs::exists(manifest_path, ec)) {
    return Status::invalid_argument(dir + " is not a snapstore backup (it has no " +
                                    std::string(recovery::kBackupManifestName) + " manifest)");
  }
  const std::uintmax_t size = fs::file_size(manifest_path, ec);
  if (ec) return Status::io_error("read " + manifest_path + ": " + ec.message());
  if (size > recovery::kMaxManifestBytes) {
    return Status::corruption(manifest_path + ": " + std::to_string(size) + " bytes, too large for a manifest");
  }
  auto text = wal::Env::posix()->read_file(manifest_path);
  if (!text) return text.status();
  const nlohmann::json manifest = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& why) { return Status::corruption(manifest_path + ": " + why); };
  if (manifest.is_discarded() || !manifest.is_object()) return bad("not a JSON object");
  auto text_field = [&](const char* name) -> std::string {
    auto it = manifest.find(name);
    return it != manifest.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto number_field = [&](const char* name, std::uint64_t& out) -> bool {
    auto it = manifest.find(name);
    if (it == manifest.end() || !it->is_number_unsigned()) return false;
    out = it->get<std::uint64_t>();
    return true;
  };
  if (text_field("format") != recovery::kManifestFormat) return bad("not a snapstore backup manifest");
  std::uint64_t version = 0;
  if (!number_field("format_version", version)) return bad("no format_version");
  if (version != recovery::kManifestVersion) {
    return Status::invalid_argument(manifest_path + ": backup format version " + std::to_string(version) +
                                    " is not supported (this snapstore reads version " +
                                    std::to_string(recovery::kManifestVersion) + ")");
  }
  BackupInfo info;
  info.dir = dir;
  const std::string kind = text_field("kind");
  if (kind != "full" && kind != "incremental") return bad("kind \"" + kind + "\" is neither full nor incremental");
  info.incremental = kind == "incremental";
  if (!number_field("base_revision", info.base_revision) || !number_field("revision", info.revision) ||
      !number_field("checkpoint_revision", info.checkpoint_revision) ||
      !number_field("wal_records", info.wal_records)) {
    return bad("a revision or count is missing or not an unsigned number");
  }
  if (info.incremental ? info.base_revision > info.revision
                       : info.base_revision != 0 || info.checkpoint_revision > info.revision) {
    return bad("revisions out of order (base " + std::to_string(info.base_revision) + ", checkpoint " +
               std::to_string(info.checkpoint_revision) + ", end " + std::to_string(info.revision) + ")");
  }
  if (!info.incremental && !recovery::is_store(dir)) return bad("a full backup without its db/ directory");
  recovery::count_tree(dir, info);
  return info;
}

namespace {

// Copies the WAL segments of backup `from` into `to`.
Status copy_segments(const std::string& from, const std::string& to) {
  auto segments = wal::list_segments(wal::Env::posix(), recovery::wal_dir_path(from));
  if (!segments) return segments.status();
  for (const wal::SegmentInfo& segment : *segments) {
    const std::string destination = wal::join_path(to, std::filesystem::path(segment.path).filename().string());
    if (std::filesystem::exists(destination)) {
      return Status::corruption(segment.path + ": an earlier backup of the chain holds a segment of that name");
    }
    if (Status s = recovery::copy_file(segment.path, destination); !s) return s;
  }
  return Status::ok();
}

}  // namespace

Result<BackupInfo> restore_backup(const std::string& target, const std::string& full,
                                  const std::vector<std::string>& increments) {
  namespace fs = std::filesystem;
  const auto started = std::chrono::steady_clock::now();
  auto head = read_backup(full);
  if (!head) return head.status();
  if (head->incremental) {
    return Status::invalid_argument(full + " is an incremental backup (revisions " +
                                    std::to_string(head->base_revision + 1) + ".." + std::to_string(head->revision) +
                                    "); a chain starts with a full backup");
  }
  std::uint64_t end = head->revision;
  std::string end_dir = full;
  for (const std::string& dir : increments) {
    auto increment = read_backup(dir);
    if (!increment) return increment.status();
    if (!increment->incremental) {
      return Status::invalid_argument(dir + " is a full backup; only incremental backups follow the first");
    }
    if (increment->base_revision != end) {
      return Status::invalid_argument(dir + " holds the changes after revision " +
                                      std::to_string(increment->base_revision) + ", but the chain before it (up to " +
                                      end_dir + ") ends at revision " + std::to_string(end) +
                                      (increment->base_revision > end ? ": the changes in between are missing"
                                                                      : ": they overlap"));
    }
    end = increment->revision;
    end_dir = dir;
  }
  {
    // The full backup as its files stand (it might have been opened and
    // written to as a store since).
    auto reader = recovery::StoreReader::open_locked(full, std::chrono::milliseconds(0));
    if (!reader) return reader.status();
    if ((*reader)->revision() != head->revision) {
      return Status::invalid_argument("the full backup " + full + " now holds revision " +
                                      std::to_string((*reader)->revision()) + ", not the " +
                                      std::to_string(head->revision) +
                                      " its manifest names: it was written to after the backup");
    }
  }

  auto build = recovery::BuildDir::create(target, recovery::kRestoreTempInfix);
  if (!build) return build.status();
  const std::string& temp = (*build)->path();
  const std::string db = recovery::db_dir_path(temp);
  if (Status s = recovery::create_directory(db); !s) return s;
  std::error_code ec;
  for (auto it = fs::directory_iterator(recovery::db_dir_path(full), ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_error;
    if (!it->is_regular_file(type_error) || name == "LOCK" || name.rfind(recovery::kRocksDbInfoLogName, 0) == 0) {
      continue;
    }
    // SST files never change: linked where possible. The rest (MANIFEST,
    // CURRENT, OPTIONS) RocksDB rewrites or appends to: copied.
    const std::string destination = wal::join_path(db, name);
    if (it->path().extension() == ".sst") {
      auto linked = recovery::link_or_copy(it->path().string(), destination);
      if (!linked) return linked.status();
      if (*linked == recovery::Linked::kGone) return Status::io_error(it->path().string() + " vanished while copied");
    } else if (Status s = recovery::copy_file(it->path().string(), destination); !s) {
      return s;
    }
  }
  if (ec) return Status::io_error("list " + recovery::db_dir_path(full) + ": " + ec.message());
  const std::string wal = recovery::wal_dir_path(temp);
  if (Status s = recovery::create_directory(wal); !s) return s;
  if (Status s = copy_segments(full, wal); !s) return s;
  for (const std::string& dir : increments) {
    if (Status s = copy_segments(dir, wal); !s) return s;
  }

  BackupInfo info;
  info.dir = target;
  info.revision = end;
  info.checkpoint_revision = head->checkpoint_revision;
  {
    auto reader = recovery::StoreReader::open(temp);
    if (!reader) return reader.status();
    if ((*reader)->revision() != end) {
      return Status::corruption("the chain restored in " + temp + " recovers revision " +
                                std::to_string((*reader)->revision()) + ", not its last backup's " +
                                std::to_string(end));
    }
    info.wal_records = (*reader)->wal_summary().records;
  }
  recovery::count_tree(temp, info);
  if (Status s = (*build)->commit(); !s) return s;
  info.elapsed_seconds = recovery::seconds_since(started);
  return info;
}

}  // namespace snapstore
