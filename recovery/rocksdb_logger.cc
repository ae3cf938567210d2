// RocksDB's info log, bounded and unable to fail anything (see rocksdb_logger.h).
#include "recovery/rocksdb_logger.h"

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/options.h>
#include <sys/time.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace snapstore::recovery {
namespace {

constexpr const char* kLogName = "LOG";
constexpr const char* kOldLogName = "LOG.old";
constexpr std::string_view kRocksDbOldLogPrefix = "LOG.old.";  // RocksDB's LOG.old.<microseconds>

// Lines logged before RocksDB creates a new store's db/ directory are
// dropped; once it exists, opening the file is tried this many times.
constexpr int kMaxOpenAttempts = 4;

class DiscardingLogger final : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}

 protected:
  rocksdb::Status CloseImpl() override { return rocksdb::Status::OK(); }
};

class StoreInfoLogger final : public rocksdb::Logger {
 public:
  StoreInfoLogger(std::shared_ptr<rocksdb::FileSystem> fs, std::string dir, rocksdb::InfoLogLevel level)
      : rocksdb::Logger(level), fs_(std::move(fs)), dir_(std::move(dir)) {}
  ~StoreInfoLogger() override { close_file(); }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    std::string line = prefix();
    va_list copy;
    va_copy(copy, ap);
    const int n = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    if (n > 0) {
      const std::size_t start = line.size();
      line.resize(start + static_cast<std::size_t>(n) + 1);
      std::vsnprintf(line.data() + start, static_cast<std::size_t>(n) + 1, format, ap);
      line.resize(start + static_cast<std::size_t>(n));
    }
    if (line.empty() || line.back() != '\n') line.push_back('\n');

    std::lock_guard lock(mutex_);
    if (failed_) return;
    if (file_ && size_ > 0 && size_ + line.size() > kInfoLogBytes) rotate();
    if (!file_ && !open_file()) return;
    if (!file_->Append(line, rocksdb::IOOptions(), nullptr).ok()) {
      give_up();  // the outcome of this file is unknown now: log no more this time
      // Most likely the disk is full: the old log's space serves the data better.
      (void)fs_->DeleteFile(path(kOldLogName), rocksdb::IOOptions(), nullptr);
      return;
    }
    size_ += line.size();
  }

  size_t GetLogFileSize() const override {
    std::lock_guard lock(mutex_);
    return size_;
  }

 protected:
  rocksdb::Status CloseImpl() override {
    std::lock_guard lock(mutex_);
    close_file();
    return rocksdb::Status::OK();
  }

 private:
  static std::string prefix() {
    timeval now{};
    ::gettimeofday(&now, nullptr);
    tm parts{};
    const time_t seconds = now.tv_sec;
    ::localtime_r(&seconds, &parts);
    char text[64];
    std::snprintf(text, sizeof text, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %zx ", parts.tm_year + 1900, parts.tm_mon + 1,
                  parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, static_cast<long>(now.tv_usec),
                  std::hash<std::thread::id>()(std::this_thread::get_id()));
    return text;
  }

  std::string path(const char* name) const { return dir_ + "/" + name; }

  // mutex_ held. Appends to db/LOG (created if missing).
  bool open_file() {
    if (!fs_->FileExists(dir_, rocksdb::IOOptions(), nullptr).ok()) return false;
    if (++open_attempts_ > kMaxOpenAttempts) {
      failed_ = true;
      return false;
    }
    if (!cleaned_) remove_rocksdb_logs();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    if (!fs_->ReopenWritableFile(path(kLogName), rocksdb::FileOptions(), &file, nullptr).ok()) return false;
    cleaned_ = true;
    open_attempts_ = 0;
    std::uint64_t size = 0;
    if (!fs_->GetFileSize(path(kLogName), rocksdb::IOOptions(), &size, nullptr).ok()) size = 0;
    file_ = std::move(file);
    size_ = size;
    return true;
  }

  // mutex_ held. db/LOG becomes db/LOG.old; the next line starts a new db/LOG.
  void rotate() {
    close_file();
    if (!fs_->RenameFile(path(kLogName), path(kOldLogName), rocksdb::IOOptions(), nullptr).ok()) give_up();
    size_ = 0;
  }

  // mutex_ held. Best effort: what cannot be removed stays.
  void remove_rocksdb_logs() {
    std::vector<std::string> names;
    if (!fs_->GetChildren(dir_, rocksdb::IOOptions(), &names, nullptr).ok()) return;
    for (const std::string& name : names) {
      if (name.size() > kRocksDbOldLogPrefix.size() && name.starts_with(kRocksDbOldLogPrefix)) {
        (void)fs_->DeleteFile(dir_ + "/" + name, rocksdb::IOOptions(), nullptr);
      }
    }
  }

  void give_up() {
    close_file();
    failed_ = true;
  }

  void close_file() {
    if (!file_) return;
    (void)file_->Close(rocksdb::IOOptions(), nullptr);
    file_.reset();
  }

  const std::shared_ptr<rocksdb::FileSystem> fs_;
  const std::string dir_;
  mutable std::mutex mutex_;
  std::unique_ptr<rocksdb::FSWritableFile> file_;  // guarded by mutex_
  std::uint64_t size_ = 0;                         // guarded by mutex_
  int open_attempts_ = 0;                          // guarded by mutex_
  bool cleaned_ = false;                           // guarded by mutex_
  bool failed_ = false;                            // guarded by mutex_
};

}  // namespace

void use_store_info_log(rocksdb::DBOptions& options, const std::string& db_dir, bool read_only) {
  if (read_only) {
    options.info_log = std::make_shared<DiscardingLogger>();
    return;
  }
  rocksdb::Env* env = options.env != nullptr ? options.env : rocksdb::Env::Default();
  options.info_log = std::make_shared<StoreInfoLogger>(env->GetFileSystem(), db_dir, options.info_log_level);
}

}  // namespace snapstore::recovery
