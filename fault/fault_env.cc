// Fault injection (see fault_env.h).
#include "fault/fault_env.h"

#include <fcntl.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

namespace snapstore::fault {
namespace {

constexpr std::uint64_t kBlockSize = 512;  // the unit a disk persists atomically

std::string parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

Status errno_status(const std::string& what, const std::string& path) {
  return Status::io_error(what + " " + path + ": " + std::strerror(errno));
}

std::string_view call_name(IoCall call) {
  switch (call) {
    case IoCall::kCreate:
      return "create";
    case IoCall::kWrite:
      return "write";
    case IoCall::kSync:
      return "sync";
    case IoCall::kRename:
      return "rename";
    case IoCall::kRemove:
      return "remove";
    case IoCall::kSyncDir:
      return "directory sync";
    case IoCall::kTruncate:
      return "truncate";
    case IoCall::kGrow:
      return "grow";
  }
  return "call";
}

}  // namespace

std::string_view to_string(PowerCut cut) {
  switch (cut) {
    case PowerCut::kDropUnsynced:
      return "drop-unsynced";
    case PowerCut::kDropRandomSuffix:
      return "drop-random-suffix";
    case PowerCut::kKeepRandomSubset:
      return "keep-random-subset";
  }
  return "unknown";
}

FaultState::FaultState(std::string trash_dir, std::uint64_t seed) : trash_dir_(std::move(trash_dir)), random_(seed) {
  ::mkdir(trash_dir_.c_str(), 0755);
}

FaultState::~FaultState() {
  std::lock_guard lock(mutex_);
  for (auto& [dir, ops] : dir_ops_) {
    for (const DirOp& op : ops) {
      if (!op.trash.empty()) ::unlink(op.trash.c_str());
    }
  }
}

void FaultState::fail_call(std::uint64_t nth, IoError error, bool forever, unsigned calls) {
  std::lock_guard lock(mutex_);
  fail_at_ = nth;
  fail_error_ = error;
  fail_forever_ = forever;
  fail_calls_ = calls;
  matching_calls_ = 0;
}

void FaultState::clear_failures() {
  std::lock_guard lock(mutex_);
  fail_at_ = 0;
}

void FaultState::set_path_filter(std::function<bool(std::string_view path)> filter) {
  std::lock_guard lock(mutex_);
  path_filter_ = std::move(filter);
}

bool is_info_log(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return name == "LOG" || name.starts_with("LOG.old");
}

std::uint64_t FaultState::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::uint64_t FaultState::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

void FaultState::power_off() {
  std::lock_guard lock(mutex_);
  powered_ = false;
}

bool FaultState::powered() const {
  std::lock_guard lock(mutex_);
  return powered_;
}

std::uint64_t FaultState::random_below(std::uint64_t bound) {
  std::lock_guard lock(mutex_);
  return bound == 0 ? 0 : random_() % bound;
}

Status FaultState::before(IoCall call, const std::string& path) {
  std::lock_guard lock(mutex_);
  if (!powered_)
    return Status::io_error(std::string(call_name(call)) + " " + path + ": the power is off (fault injection)");
  if (path_filter_ && !path_filter_(path)) return Status::ok();
  ++calls_;
  if (fail_at_ == 0 || (fail_calls_ & static_cast<unsigned>(call)) == 0) return Status::ok();
  // fail_at_ counts from the plan's start over the matching calls only.
  ++matching_calls_;
  if (matching_calls_ < fail_at_ || (matching_calls_ > fail_at_ && !fail_forever_)) return Status::ok();
  ++failures_;
  return Status::io_error(std::string(call_name(call)) + " " + path + ": " +
                          (fail_error_ == IoError::kEnospc ? "No space left on device" : "Input/output error") +
                          " (injected)");
}

void FaultState::created(const std::string& path) {
  std::lock_guard lock(mutex_);
  files_[path] = FileState{};
  dir_ops_[parent_dir(path)].push_back(DirOp{DirOp::kCreated, path, {}, {}, {}});
}

void FaultState::opened_existing(const std::string& path, std::uint64_t size) {
  std::lock_guard lock(mutex_);
  files_.try_emplace(path, FileState{size});
}

void FaultState::synced(const std::string& path, std::uint64_t size) {
  std::lock_guard lock(mutex_);
  files_[path].synced_size = size;
}

void FaultState::truncated(const std::string& path, std::uint64_t size) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it == files_.end()) return;
  it->second.synced_size = std::min(it->second.synced_size, size);
  it->second.zeroed_end = std::min(it->second.zeroed_end, size);
}

void FaultState::zeroed(const std::string& path, std::uint64_t end) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it != files_.end()) it->second.zeroed_end = std::max(it->second.zeroed_end, end);
}

void FaultState::synced_dir(const std::string& dir) {
  std::lock_guard lock(mutex_);
  auto it = dir_ops_.find(dir);
  if (it == dir_ops_.end()) return;
  for (const DirOp& op : it->second) {
    if (!op.trash.empty()) ::unlink(op.trash.c_str());
  }
  dir_ops_.erase(it);
}

std::string FaultState::keep_in_trash(const std::string& path) {
  std::string trash = trash_dir_ + "/" + std::to_string(++trash_serial_);
  if (::link(path.c_str(), trash.c_str()) != 0) return {};
  return trash;
}

Status FaultState::rename(const std::string& from, const std::string& to, const std::function<Status()>& perform) {
  std::lock_guard lock(mutex_);
  struct stat st {};
  std::string trash;
  if (::stat(to.c_str(), &st) == 0) {
    trash = keep_in_trash(to);
    if (trash.empty()) return errno_status("fault injection: cannot keep a copy of", to);
  }
  if (Status s = perform(); !s) {
    if (!trash.empty()) ::unlink(trash.c_str());
    return s;
  }
  std::optional<FileState> replaced;
  if (auto it = files_.find(to); it != files_.end()) replaced = it->second;
  if (auto it = files_.find(from); it != files_.end()) {
    files_[to] = it->second;
    files_.erase(from);
  } else {
    files_.erase(to);
  }
  dir_ops_[parent_dir(to)].push_back(DirOp{DirOp::kRenamed, to, from, trash, replaced});
  return Status::ok();
}

Status FaultState::remove(const std::string& path, const std::function<Status()>& perform) {
  std::lock_guard lock(mutex_);
  std::string trash = keep_in_trash(path);
  if (Status s = perform(); !s) {
    if (!trash.empty()) ::unlink(trash.c_str());
    return s;
  }
  std::optional<FileState> state;
  if (auto it = files_.find(path); it != files_.end()) {
    state = it->second;
    files_.erase(it);
  }
  if (!trash.empty()) dir_ops_[parent_dir(path)].push_back(DirOp{DirOp::kRemoved, path, {}, trash, state});
  return Status::ok();
}

Status FaultState::undo_dir_ops() {
  for (auto& [dir, ops] : dir_ops_) {
    for (auto op = ops.rbegin(); op != ops.rend(); ++op) {
      switch (op->kind) {
        case DirOp::kCreated:
          if (::unlink(op->path.c_str()) != 0 && errno != ENOENT) return errno_status("power cut: unlink", op->path);
          files_.erase(op->path);
          break;
        case DirOp::kRenamed:
          if (::rename(op->path.c_str(), op->from.c_str()) != 0)
            return errno_status("power cut: rename back", op->path);
          if (auto it = files_.find(op->path); it != files_.end()) {
            files_[op->from] = it->second;
            files_.erase(it);
          }
          if (!op->trash.empty()) {
            if (::rename(op->trash.c_str(), op->path.c_str()) != 0) return errno_status("power cut: restore", op->path);
            if (op->saved) files_[op->path] = *op->saved;
          }
          break;
        case DirOp::kRemoved:
          if (::rename(op->trash.c_str(), op->path.c_str()) != 0) return errno_status("power cut: restore", op->path);
          if (op->saved) files_[op->path] = *op->saved;
          break;
      }
    }
  }
  dir_ops_.clear();
  return Status::ok();
}

Status FaultState::cut_file(const std::string& path, const FileState& state, PowerCut cut) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::ok();  // removed, and the removal was durable
  const std::uint64_t synced_size = state.synced_size;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > synced_size) {
    if (Status s = cut_unsynced(path, synced_size, size, cut); !s) return s;
  }
  // Synced zeros written ahead (write_zeros) outlive the cut: the bytes
  // written over them since the last sync are lost, as the rest of the
  // unsynced tail is, and read as the zeros again.
  if (state.zeroed_end > synced_size && ::stat(path.c_str(), &st) == 0 &&
      static_cast<std::uint64_t>(st.st_size) < state.zeroed_end &&
      ::truncate(path.c_str(), static_cast<off_t>(state.zeroed_end)) != 0) {
    return errno_status("power cut: restore the zeros of", path);
  }
  return Status::ok();
}

Status FaultState::cut_unsynced(const std::string& path, std::uint64_t synced_size, std::uint64_t size,
                                PowerCut cut) {
  const std::uint64_t unsynced = size - synced_size;
  std::uint64_t keep = 0;
  if (cut != PowerCut::kDropUnsynced) keep = random_() % (unsynced + 1);
  if (::truncate(path.c_str(), static_cast<off_t>(synced_size + keep)) != 0)
    return errno_status("power cut: truncate", path);
  if (cut != PowerCut::kKeepRandomSubset || keep == 0) return Status::ok();
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) return errno_status("power cut: open", path);
  const std::string zeros(kBlockSize, '\0');
  for (std::uint64_t block = synced_size / kBlockSize * kBlockSize; block < synced_size + keep; block += kBlockSize) {
    if (random_() % 2 == 0) continue;  // this block reached the disk
    const std::uint64_t start = std::max(block, synced_size);
    const std::uint64_t end = std::min(block + kBlockSize, synced_size + keep);
    if (::pwrite(fd, zeros.data(), end - start, static_cast<off_t>(start)) < 0) {
      ::close(fd);
      return errno_status("power cut: zero", path);
    }
  }
  ::close(fd);
  return Status::ok();
}

Status FaultState::power_cut(PowerCut cut) {
  std::lock_guard lock(mutex_);
  Status status = undo_dir_ops();
  for (const auto& [path, state] : files_) {
    if (!status) break;
    status = cut_file(path, state, cut);
  }
  files_.clear();
  fail_at_ = 0;
  powered_ = true;
  return status;
}

// ---------------------------------------------------------------- wal::Env

namespace {

class FaultWritableFile final : public wal::WritableFile {
 public:
  FaultWritableFile(std::unique_ptr<wal::WritableFile> target, FaultState* state, std::uint64_t size)
      : target_(std::move(target)), state_(state), size_(size) {}

  Status append(std::string_view data) override {
    if (Status s = state_->before(IoCall::kWrite, path()); !s) {
      // A failed write may still have written a prefix: model the short write.
      if (state_->powered() && !data.empty()) {
        const auto prefix = state_->random_below(data.size());
        if (prefix > 0 && target_->append(data.substr(0, prefix))) size_ += prefix;
      }
      return s;
    }
    Status s = target_->append(data);
    if (s) size_ += data.size();
    return s;
  }
  Status sync() override {
    if (Status s = state_->before(IoCall::kSync, path()); !s) return s;
    Status s = target_->sync();
    if (s) state_->synced(path(), size_);
    return s;
  }
  Status preallocate(std::uint64_t bytes) override { return target_->preallocate(bytes); }
  Status reserve(std::uint64_t size, std::uint64_t at_least) override {
    if (Status s = state_->before(IoCall::kGrow, path()); !s) return s;
    return target_->reserve(size, at_least);
  }
  bool can_write_zeros() const override { return target_->can_write_zeros(); }
  // A grow: space made ready for appends. Its zeros are durable once it
  // returns, so a power cut keeps them (past whatever records it drops).
  Status write_zeros(std::uint64_t from, std::uint64_t to) override {
    if (Status s = state_->before(IoCall::kGrow, path()); !s) return s;
    Status s = target_->write_zeros(from, to);
    if (s) state_->zeroed(path(), to);
    return s;
  }
  Status close() override {
    Status s = target_->close();
    // Zeros past the appends are cut off, durably (PosixWritableFile::close).
    if (s && state_->powered()) state_->truncated(path(), size_);
    return s;
  }
  const std::string& path() const override { return target_->path(); }

 private:
  std::unique_ptr<wal::WritableFile> target_;
  FaultState* const state_;
  std::uint64_t size_;
};

class FaultEnv final : public wal::Env {
 public:
  FaultEnv(wal::Env* target, FaultState* state) : target_(target), state_(state) {}

  Result<std::unique_ptr<wal::WritableFile>> create_file(const std::string& path) override {
    if (Status s = state_->before(IoCall::kCreate, path); !s) return s;
    auto file = target_->create_file(path);
    if (!file) return file.status();
    state_->created(path);
    return std::unique_ptr<wal::WritableFile>(new FaultWritableFile(std::move(*file), state_, 0));
  }
  Result<std::unique_ptr<wal::WritableFile>> create_mapped_file(const std::string& path,
                                                                std::uint64_t capacity) override {
    if (Status s = state_->before(IoCall::kCreate, path); !s) return s;
    auto file = target_->create_mapped_file(path, capacity);
    if (!file) return file.status();
    state_->created(path);
    return std::unique_ptr<wal::WritableFile>(new FaultWritableFile(std::move(*file), state_, 0));
  }
  Result<std::unique_ptr<wal::WritableFile>> reopen_file(const std::string& path) override {
    if (Status s = state_->before(IoCall::kCreate, path); !s) return s;
    auto size = target_->file_size(path);
    if (!size) return size.status();
    auto file = target_->reopen_file(path);
    if (!file) return file.status();
    state_->opened_existing(path, *size);
    return std::unique_ptr<wal::WritableFile>(new FaultWritableFile(std::move(*file), state_, *size));
  }
  Result<std::string> read_file(const std::string& path) override { return target_->read_file(path); }
  Result<std::uint64_t> file_size(const std::string& path) override { return target_->file_size(path); }
  bool exists(const std::string& path) override { return target_->exists(path); }
  Result<std::vector<std::string>> list_dir(const std::string& dir) override { return target_->list_dir(dir); }
  Status create_dir(const std::string& dir) override {
    if (Status s = state_->before(IoCall::kCreate, dir); !s) return s;
    return target_->create_dir(dir);
  }
  Status sync_dir(const std::string& dir) override {
    if (Status s = state_->before(IoCall::kSyncDir, dir); !s) return s;
    Status s = target_->sync_dir(dir);
    if (s) state_->synced_dir(dir);
    return s;
  }
  Status rename(const std::string& from, const std::string& to) override {
    if (Status s = state_->before(IoCall::kRename, from); !s) return s;
    return state_->rename(from, to, [&] { return target_->rename(from, to); });
  }
  Status remove(const std::string& path) override {
    if (Status s = state_->before(IoCall::kRemove, path); !s) return s;
    return state_->remove(path, [&] { return target_->remove(path); });
  }
  Status truncate(const std::string& path, std::uint64_t size) override {
    if (Status s = state_->before(IoCall::kTruncate, path); !s) return s;
    Status s = target_->truncate(path, size);
    if (s) state_->truncated(path, size);
    return s;
  }
  Result<std::unique_ptr<wal::FileLock>> lock_file(const std::string& path,
                                                   const wal::LockOptions& options) override {
    return target_->lock_file(path, options);
  }

 private:
  wal::Env* const target_;
  FaultState* const state_;
};

// ---------------------------------------------------------- RocksDB side

rocksdb::IOStatus to_io_status(const Status& status) {
  if (status.message().find("No space left") != std::string::npos) return rocksdb::IOStatus::NoSpace(status.message());
  return rocksdb::IOStatus::IOError(status.message());
}

Status to_status(const rocksdb::IOStatus& status, const std::string& what) {
  if (status.ok()) return Status::ok();
  return Status::io_error(what + ": " + status.ToString());
}

class FaultFsFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultFsFile(std::unique_ptr<rocksdb::FSWritableFile> target, FaultState* state, std::string path, std::uint64_t size)
      : FSWritableFileOwnerWrapper(std::move(target)), state_(state), path_(std::move(path)), size_(size) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (Status s = state_->before(IoCall::kWrite, path_); !s) return to_io_status(s);
    auto s = target()->Append(data, options, dbg);
    if (s.ok()) size_ += data.size();
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) override {
    if (Status s = state_->before(IoCall::kWrite, path_); !s) return to_io_status(s);
    auto s = target()->Append(data, options, info, dbg);
    if (s.ok()) size_ += data.size();
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    if (Status s = state_->before(IoCall::kWrite, path_); !s) return to_io_status(s);
    auto s = target()->PositionedAppend(data, offset, options, dbg);
    if (s.ok()) size_ = std::max<std::uint64_t>(size_, offset + data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset, const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) override {
    if (Status s = state_->before(IoCall::kWrite, path_); !s) return to_io_status(s);
    auto s = target()->PositionedAppend(data, offset, options, info, dbg);
    if (s.ok()) size_ = std::max<std::uint64_t>(size_, offset + data.size());
    return s;
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (Status s = state_->before(IoCall::kTruncate, path_); !s) return to_io_status(s);
    auto s = target()->Truncate(size, options, dbg);
    if (s.ok()) {
      size_ = size;
      state_->truncated(path_, size);
    }
    return s;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (Status s = state_->before(IoCall::kSync, path_); !s) return to_io_status(s);
    auto s = target()->Sync(options, dbg);
    if (s.ok()) state_->synced(path_, size_);
    return s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (Status s = state_->before(IoCall::kSync, path_); !s) return to_io_status(s);
    auto s = target()->Fsync(options, dbg);
    if (s.ok()) state_->synced(path_, size_);
    return s;
  }
  // RangeSync starts write-back but promises nothing: not a sync here.

 private:
  FaultState* const state_;
  const std::string path_;
  std::uint64_t size_;
};

class FaultFsDirectory final : public rocksdb::FSDirectoryWrapper {
 public:
  FaultFsDirectory(std::unique_ptr<rocksdb::FSDirectory> target, FaultState* state, std::string path)
      : FSDirectoryWrapper(std::move(target)), state_(state), path_(std::move(path)) {}

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (Status s = state_->before(IoCall::kSyncDir, path_); !s) return to_io_status(s);
    auto s = FSDirectoryWrapper::Fsync(options, dbg);
    if (s.ok()) state_->synced_dir(path_);
    return s;
  }
  rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg,
                                        const rocksdb::DirFsyncOptions& dir_options) override {
    if (Status s = state_->before(IoCall::kSyncDir, path_); !s) return to_io_status(s);
    auto s = FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, dir_options);
    if (s.ok()) state_->synced_dir(path_);
    return s;
  }

 private:
  FaultState* const state_;
  const std::string path_;
};

// RocksDB names paths with doubled or trailing slashes at times; the state
// keys directories by their plain spelling.
std::string normal_path(std::string path) {
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

class FaultFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultFileSystem(FaultState* state) : FileSystemWrapper(rocksdb::FileSystem::Default()), state_(state) {}
  const char* Name() const override { return "SnapstoreFaultFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    const std::string path = normal_path(name);
    if (Status s = state_->before(IoCall::kCreate, path); !s) return to_io_status(s);
    std::unique_ptr<rocksdb::FSWritableFile> file;
    auto s = target()->NewWritableFile(name, options, &file, dbg);
    if (!s.ok()) return s;
    state_->created(path);
    *result = std::make_unique<FaultFsFile>(std::move(file), state_, path, 0);
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    const std::string path = normal_path(name);
    if (Status s = state_->before(IoCall::kCreate, path); !s) return to_io_status(s);
    std::uint64_t size = 0;
    const bool existed = target()->GetFileSize(name, rocksdb::IOOptions(), &size, dbg).ok();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    auto s = target()->ReopenWritableFile(name, options, &file, dbg);
    if (!s.ok()) return s;
    if (existed) {
      state_->opened_existing(path, size);
    } else {
      state_->created(path);
    }
    *result = std::make_unique<FaultFsFile>(std::move(file), state_, path, size);
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string&, const std::string&, const rocksdb::FileOptions&,
                                      std::unique_ptr<rocksdb::FSWritableFile>*, rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::NotSupported("the fault-injecting file system does not recycle files");
  }
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* result, rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSDirectory> dir;
    auto s = target()->NewDirectory(name, options, &dir, dbg);
    if (!s.ok()) return s;
    *result = std::make_unique<FaultFsDirectory>(std::move(dir), state_, normal_path(name));
    return s;
  }
  rocksdb::IOStatus DeleteFile(const std::string& name, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    const std::string path = normal_path(name);
    if (Status s = state_->before(IoCall::kRemove, path); !s) return to_io_status(s);
    rocksdb::IOStatus result;
    Status s = state_->remove(path, [&] {
      result = target()->DeleteFile(name, options, dbg);
      return to_status(result, "delete " + path);
    });
    return result.ok() && !s ? to_io_status(s) : result;
  }
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
    if (Status s = state_->before(IoCall::kRename, normal_path(from)); !s) return to_io_status(s);
    rocksdb::IOStatus result;
    Status s = state_->rename(normal_path(from), normal_path(to), [&] {
      result = target()->RenameFile(from, to, options, dbg);
      return to_status(result, "rename " + from);
    });
    return result.ok() && !s ? to_io_status(s) : result;
  }
  rocksdb::IOStatus LinkFile(const std::string& from, const std::string& to, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    if (Status s = state_->before(IoCall::kCreate, normal_path(to)); !s) return to_io_status(s);
    auto s = target()->LinkFile(from, to, options, dbg);
    if (s.ok()) {
      std::uint64_t size = 0;
      (void)target()->GetFileSize(to, rocksdb::IOOptions(), &size, dbg);
      state_->created(normal_path(to));
      state_->synced(normal_path(to), size);  // the linked file's data is its source's
    }
    return s;
  }
  rocksdb::IOStatus Truncate(const std::string& name, size_t size, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    if (Status s = state_->before(IoCall::kTruncate, normal_path(name)); !s) return to_io_status(s);
    auto s = target()->Truncate(name, size, options, dbg);
    if (s.ok()) state_->truncated(normal_path(name), size);
    return s;
  }

 private:
  FaultState* const state_;
};

}  // namespace

std::unique_ptr<wal::Env> make_fault_env(wal::Env* target, FaultState* state) {
  return std::make_unique<FaultEnv>(target, state);
}

std::unique_ptr<rocksdb::Env> make_fault_rocksdb_env(FaultState* state) {
  return rocksdb::NewCompositeEnv(std::make_shared<FaultFileSystem>(state));
}

}  // namespace snapstore::fault
