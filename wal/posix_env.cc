// The POSIX Env: plain file descriptors, fdatasync for files, fsync for
// directories, flock for the directory lock (see env.h).
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "wal/env.h"

namespace snapstore::wal {
namespace {

Status io_error(std::string_view what, const std::string& path, int err) {
  std::string detail(what);
  detail += ' ';
  detail += path;
  detail += ": ";
  detail += std::strerror(err);
  // A full disk is worth naming plainly: it is the one users can act on.
  if (err == ENOSPC) detail += " (the disk is full)";
  return Status::io_error(detail);
}

// Writes all of `data` at `offset` (advanced past what was written), or the
// error naming `path`: the append loop of both kinds of segment file.
Status pwrite_all(int fd, std::string_view data, std::uint64_t& offset, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return Status::ok();
}

class PosixWritableFile final : public WritableFile {
 public:
  // `offset`: where appends start (a reopened file's size). A created file
  // (`created`) may have zeros written ahead of its appends (write_zeros).
  PosixWritableFile(std::string path, int fd, std::uint64_t offset, bool created)
      : path_(std::move(path)), fd_(fd), offset_(offset), created_(created) {}
  ~PosixWritableFile() override { (void)close(); }

  // pwrite at the end of the appends, not write() at the end of the file:
  // zeros written ahead lie past it.
  Status append(std::string_view data) override { return pwrite_all(fd_, data, offset_, path_); }

  Status sync() override {
    if (::fdatasync(fd_) != 0) return io_error("fdatasync", path_, errno);
    return Status::ok();
  }

  Status preallocate(std::uint64_t bytes) override {
    // Best effort: where it fails (no support, a nearly full disk) appends
    // allocate as they go, and a real shortage shows up as a failed write.
    (void)::fallocate(fd_, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes));
    return Status::ok();
  }

  bool can_write_zeros() const override { return created_; }

  Status write_zeros(std::uint64_t from, std::uint64_t to) override {
    if (!created_) return WritableFile::write_zeros(from, to);
    // A descriptor of its own: an fdatasync reports a writeback error once
    // per open file, so the owner's next sync() still sees one that this
    // sync found (a failed fsync must never be followed by a clean one).
    if (zero_fd_ < 0) {
      zero_fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
      if (zero_fd_ < 0) return io_error("open for zeroing", path_, errno);
    }
    // The stretch between the file's end and `from`, which the appends have
    // not reached, is allocated rather than left a hole: on tmpfs a read of
    // a hole allocates a page, and a full disk turns that into SIGBUS in a
    // reader's mapping. (Never written: an append may land there meanwhile.)
    struct stat st {};
    if (::fstat(zero_fd_, &st) != 0) return io_error("stat", path_, errno);
    if (static_cast<std::uint64_t>(st.st_size) < from &&
        ::fallocate(zero_fd_, 0, st.st_size, static_cast<off_t>(from) - st.st_size) != 0 && errno != EOPNOTSUPP &&
        errno != ENOSYS) {
      return io_error("allocate space ahead in", path_, errno);
    }
    static const std::string zeros(1 << 16, '\0');
    for (std::uint64_t at = from; at < to;) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), to - at));
      const ssize_t done = ::pwrite(zero_fd_, zeros.data(), n, static_cast<off_t>(at));
      if (done < 0) {
        if (errno == EINTR) continue;
        return io_error("write zeros to", path_, errno);
      }
      at += static_cast<std::uint64_t>(done);
    }
    if (::fdatasync(zero_fd_) != 0) return io_error("fdatasync zeros of", path_, errno);
    zeroed_end_ = std::max(zeroed_end_, to);
    return Status::ok();
  }

  Status close() override {
    if (fd_ < 0) return Status::ok();
    const int fd = fd_;
    fd_ = -1;
    if (zero_fd_ >= 0) ::close(zero_fd_);
    zero_fd_ = -1;
    // Zeros past the appends are cut off, durably: a sealed segment ends
    // with its last record (only the last segment may end in zeros).
    struct stat st {};
    if (zeroed_end_ > offset_ && ::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) > offset_ &&
        (::ftruncate(fd, static_cast<off_t>(offset_)) != 0 || ::fdatasync(fd) != 0)) {
      const int err = errno;
      ::close(fd);
      return io_error("cut the zeros off", path_, err);
    }
    if (::close(fd) != 0) return io_error("close", path_, errno);
    return Status::ok();
  }

  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
  std::uint64_t offset_;  // the end of the appends
  const bool created_;
  int zero_fd_ = -1;              // write_zeros' descriptor
  std::uint64_t zeroed_end_ = 0;  // how far write_zeros reached
};

// A file appended through a MAP_SHARED mapping (Env::create_mapped_file):
// an append is a memcpy into the page cache. reserve() allocates blocks with
// fallocate (extending the file with zeros) before they are stored to, so a
// full disk fails the reserve and never raises SIGBUS at a store; ftruncate
// alone would leave the blocks unallocated. A file system without fallocate
// gets write() instead (D101).
class PosixMappedFile final : public WritableFile {
 public:
  // Records of 1 KiB or more go through pwrite() (D117): the first store to
  // each page through the mapping is a page fault (3.4 us per KiB stored in
  // this VM), while pwrite() costs a system call (~1.5 us) and ~0.4 us per
  // KiB, so past ~0.5 KiB the call is cheaper. Smaller records, such as one
  // document's, stay a memcpy.
  static constexpr std::size_t kWriteFromBytes = 1024;

  PosixMappedFile(std::string path, int fd, std::uint64_t capacity)
      : path_(std::move(path)), fd_(fd), capacity_(capacity) {}
  ~PosixMappedFile() override { (void)close(); }

  Status append(std::string_view data) override {
    const std::uint64_t end = size_ + data.size();
    if (end > allocated_) {
      if (Status s = reserve(end, end); !s) return s;
    }
    if (map_ != nullptr && data.size() < kWriteFromBytes) {
      std::memcpy(map_ + size_, data.data(), data.size());
      size_ = end;
      return Status::ok();
    }
    return pwrite_all(fd_, data, size_, path_);
  }

  // fdatasync writes back the pages stored to through the mapping as well
  // as the size fallocate gave the file: one call for the whole file, where
  // msync would need the dirty range (and on Linux does the same).
  Status sync() override {
    if (::fdatasync(fd_) != 0) return io_error("fdatasync", path_, errno);
    return Status::ok();
  }

  Status preallocate(std::uint64_t bytes) override { return reserve(bytes, bytes); }

  Status reserve(std::uint64_t size, std::uint64_t at_least) override {
    if (size <= allocated_) return Status::ok();
    if (written_through_) {
      (void)::fallocate(fd_, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(size));
      allocated_ = size;
      return Status::ok();
    }
    int rc;
    do {
      rc = ::fallocate(fd_, 0, 0, static_cast<off_t>(size));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno == ENOSPC && at_least > allocated_ && at_least < size) {
      // A nearly full disk may still hold what is needed now.
      size = at_least;
      do {
        rc = ::fallocate(fd_, 0, 0, static_cast<off_t>(size));
      } while (rc != 0 && errno == EINTR);
    }
    if (rc != 0) {
      const int err = errno;
      if (allocated_ == 0 && (err == EOPNOTSUPP || err == ENOSYS)) {
        written_through_ = true;  // nothing stored yet: write() from here on
        return reserve(size, at_least);
      }
      return io_error("allocate " + std::to_string(size) + " bytes for", path_, err);
    }
    if (size > map_length_) {
      const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
      std::uint64_t length = std::max({size, capacity_, map_length_ * 2});
      length = (length + page - 1) / page * page;
      void* address = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
      if (address == MAP_FAILED) return io_error("map " + std::to_string(length) + " bytes of", path_, errno);
      if (map_ != nullptr) ::munmap(map_, map_length_);
      map_ = static_cast<char*>(address);
      map_length_ = length;
    }
    allocated_ = size;
    return Status::ok();
  }

  Status close() override {
    if (fd_ < 0) return Status::ok();
    if (map_ != nullptr) ::munmap(map_, map_length_);
    map_ = nullptr;
    const int fd = fd_;
    fd_ = -1;
    // The file ends where the appends did, as a written one does; a file cut
    // shorter meanwhile (a failed group discarded) is not lengthened again.
    struct stat st {};
    if (!written_through_ && ::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) > size_ &&
        ::ftruncate(fd, static_cast<off_t>(size_)) != 0) {
      const int err = errno;
      ::close(fd);
      return io_error("truncate", path_, err);
    }
    if (::close(fd) != 0) return io_error("close", path_, errno);
    return Status::ok();
  }

  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
  const std::uint64_t capacity_;
  char* map_ = nullptr;
  std::uint64_t map_length_ = 0;
  std::uint64_t allocated_ = 0;  // the file's allocated (and, when mapped, stored-to) size
  std::uint64_t size_ = 0;       // bytes appended
  bool written_through_ = false;  // no fallocate here: plain writes
};

// How long a refused locker keeps looking for the holder's pid.
constexpr std::chrono::milliseconds kHolderGrace{2000};

bool process_exists(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

// "pid N" or "pids N, M" of the processes holding a lock on the file open at
// `fd`, empty when none is found. The kernel's lock table (/proc/locks) names
// every holder, shared ones included, from the moment the lock is taken; the
// pid an exclusive holder writes into the file is the fallback where the
// table is unavailable, trusted only while that process exists.
std::string lock_holders(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {};
  std::vector<long> pids;
  std::vector<long> inode_only;
  if (std::FILE* locks = std::fopen("/proc/locks", "re")) {
    char line[256];
    while (std::fgets(line, sizeof line, locks) != nullptr) {
      // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; lines with "->"
      // are waiters, not holders.
      char kind[16] = {};
      long pid = 0;
      unsigned major = 0;
      unsigned minor = 0;
      unsigned long long inode = 0;
      if (std::strstr(line, "->") != nullptr) continue;
      if (std::sscanf(line, "%*[^:]: %15s %*s %*s %ld %x:%x:%llu", kind, &pid, &major, &minor, &inode) != 5) continue;
      if (std::strcmp(kind, "FLOCK") != 0 || inode != static_cast<unsigned long long>(st.st_ino)) continue;
      if (pid <= 0) continue;  // a holder outside this pid namespace shows as 0
      // The device too where it agrees with stat's (not on overlayfs, whose
      // locks sit on the file underneath).
      const bool same_device = major == ::major(st.st_dev) && minor == ::minor(st.st_dev);
      std::vector<long>& list = same_device ? pids : inode_only;
      if (std::find(list.begin(), list.end(), pid) == list.end()) list.push_back(pid);
    }
    std::fclose(locks);
  }
  if (pids.empty()) pids = std::move(inode_only);
  if (pids.empty()) {
    char buffer[32] = {};
    const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
    char* end = nullptr;
    const long pid = n > 0 ? std::strtol(buffer, &end, 10) : 0;
    if (process_exists(pid)) pids.push_back(pid);
  }
  std::string text;
  for (const long pid : pids) text += (text.empty() ? "" : ", ") + std::to_string(pid);
  if (text.empty()) return text;
  return (pids.size() == 1 ? "pid " : "pids ") + text;
}

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_;
};

class StringBytes final : public FileBytes {
 public:
  explicit StringBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string_view data() const override { return bytes_; }

 private:
  std::string bytes_;
};

// A read-only mapping: the page cache's pages, neither copied nor faulted
// into fresh memory one page at a time (D63).
class MappedBytes final : public FileBytes {
 public:
  MappedBytes(void* address, std::size_t size) : address_(address), size_(size) {}
  ~MappedBytes() override { ::munmap(address_, size_); }
  std::string_view data() const override { return {static_cast<const char*>(address_), size_}; }

 private:
  void* address_;
  std::size_t size_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> create_file(const std::string& path) override {
    // No O_APPEND: appends go at the end of the appends (write_zeros).
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("create", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd, 0, true));
  }

  Result<std::unique_ptr<WritableFile>> create_mapped_file(const std::string& path, std::uint64_t capacity) override {
    // Read and write: a shared writable mapping needs both.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("create", path, errno);
    return std::unique_ptr<WritableFile>(new PosixMappedFile(path, fd, capacity));
  }

  Result<std::unique_ptr<WritableFile>> reopen_file(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) return io_error("open", path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return io_error("stat", path, err);
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd, static_cast<std::uint64_t>(st.st_size), false));
  }

  Result<std::string> read_file(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("open", path, errno);
    std::string content;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) content.reserve(static_cast<std::size_t>(st.st_size));
    char buffer[1 << 16];
    while (true) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        return io_error("read", path, err);
      }
      if (n == 0) break;
      content.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return content;
  }

  Result<std::unique_ptr<FileBytes>> map_file(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("open", path, errno);
    struct stat st {};
    void* address = MAP_FAILED;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      address = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    }
    ::close(fd);
    // An empty file cannot be mapped; a file that cannot be is read.
    if (address == MAP_FAILED) return Env::map_file(path);
    return std::unique_ptr<FileBytes>(new MappedBytes(address, static_cast<std::size_t>(st.st_size)));
  }

  Result<std::uint64_t> file_size(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return io_error("stat", path, errno);
    return static_cast<std::uint64_t>(st.st_size);
  }

  bool exists(const std::string& path) override {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  }

  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return io_error("list", dir, errno);
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(d)) {
      const std::string_view name(entry->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
  }

  Status create_dir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return io_error("mkdir", dir, errno);
    return Status::ok();
  }

  Status sync_dir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error("open directory", dir, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return io_error("fsync directory", dir, err);
    return Status::ok();
  }

  Status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return io_error("rename to " + to + ":", from, errno);
    return Status::ok();
  }

  Status remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return io_error("remove", path, errno);
    return Status::ok();
  }

  Status truncate(const std::string& path, std::uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) return io_error("truncate", path, errno);
    return Status::ok();
  }

  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path, const LockOptions& options) override {
    const int fd = options.shared ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC)
                                  : ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("open lock file", path, errno);
    // flock locks belong to the open file description, so a second open in
    // this same process is refused too (fcntl locks would let it through).
    const int operation = (options.shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + options.timeout;
    while (::flock(fd, operation) != 0) {
      const int err = errno;
      if (err == EINTR) continue;
      if (err != EWOULDBLOCK) {
        ::close(fd);
        return io_error("lock", path, err);
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        // A holder that has just taken the lock may not have written its pid
        // yet, and one that is letting go leaves no trace: try again for a
        // moment rather than refuse without naming the holder.
        std::string holder = lock_holders(fd);
        if (!holder.empty() || now >= deadline + kHolderGrace) {
          ::close(fd);
          if (holder.empty()) holder = "pid unknown";
          return Status::busy(path + " is locked by another open store (" + holder + ")");
        }
      }
      ::usleep(now >= deadline ? 1000 : 5000);
    }
    if (options.shared) return std::unique_ptr<FileLock>(new PosixFileLock(fd));
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      const int err = errno;
      ::flock(fd, LOCK_UN);
      ::close(fd);
      return io_error("write pid to", path, err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }
};

}  // namespace

Result<std::unique_ptr<FileBytes>> Env::map_file(const std::string& path) {
  auto content = read_file(path);
  if (!content) return content.status();
  return std::unique_ptr<FileBytes>(new StringBytes(std::move(*content)));
}

Result<std::unique_ptr<WritableFile>> Env::create_mapped_file(const std::string& path, std::uint64_t) {
  return create_file(path);
}

Env* Env::posix() {
  static PosixEnv env;
  return &env;
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string path(dir);
  if (!path.empty() && path.back() != '/') path += '/';
  path += name;
  return path;
}

}  // namespace snapstore::wal
