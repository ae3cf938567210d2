// LogTail (see tail.h). It reads with pread on a descriptor it keeps open, so
// a segment retired while it is being read stays readable to its end.
#include "wal/tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <vector>
#include <cstring>

#include "base/little_endian.h"
#include "wal/format.h"
#include "wal/record.h"
#include "wal/writer.h"

namespace snapstore::wal {
namespace {

// How much of a segment a poll reads at a time: the first window, and what
// the windows grow to while records fill them.
constexpr std::size_t kTailReadWindow = 64 << 10;
constexpr std::size_t kTailMaxReadWindow = 1 << 20;

Status errno_status(const std::string& what) { return Status::io_error(what + ": " + std::strerror(errno)); }

}  // namespace

LogTail::LogTail(Env* env, std::string wal_dir, std::uint64_t next_lsn)
    : env_(env), dir_(std::move(wal_dir)), next_lsn_(next_lsn == 0 ? 1 : next_lsn) {}

LogTail::~LogTail() { close_segment(); }

void LogTail::close_segment() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  path_.clear();
  segment_first_ = 0;
  segment_next_ = 0;
  offset_ = 0;
}

void LogTail::reset(std::uint64_t next_lsn) {
  close_segment();
  next_lsn_ = next_lsn == 0 ? 1 : next_lsn;
}

Status LogTail::open_segment(const SegmentInfo& segment) {
  close_segment();
  fd_ = ::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return errno_status("open " + segment.path);
  path_ = segment.path;
  segment_first_ = segment.first_lsn;
  segment_next_ = segment.first_lsn;
  return Status::ok();
}

bool LogTail::same_file() const {
  struct stat by_path {};
  struct stat by_fd {};
  if (::stat(path_.c_str(), &by_path) != 0 || ::fstat(fd_, &by_fd) != 0) return false;
  return by_path.st_ino == by_fd.st_ino && by_path.st_dev == by_fd.st_dev;
}

Status LogTail::read_segment(const BatchVisitor& visit, TailProgress& progress, bool& stuck) {
  stuck = false;
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return errno_status("stat " + path_);
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < offset_) {
    return Status::corruption(at_offset(path_, offset_) + ": the segment shrank below records already read");
  }
  // Everything after the records already visited is read afresh: a new
  // owner may have cut a torn tail and appended there since the last poll.
  // It is read a window at a time, because a live segment ends in its
  // zeroed reservation (up to 1 MiB) and most polls find a few records.
  std::string data;
  std::size_t window = kTailReadWindow;
  for (;;) {
    if (offset_ >= size) return Status::ok();
    const std::uint64_t start = offset_;
    data.resize(static_cast<std::size_t>(std::min<std::uint64_t>(window, size - start)));
    std::size_t got = 0;
    while (got < data.size()) {
      const ssize_t n = ::pread(fd_, data.data() + got, data.size() - got, static_cast<off_t>(start + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_status("read " + path_);
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got < data.size()) size = start + got;  // cut meanwhile: read the rest next time
    data.resize(got);

    std::size_t pos = 0;
    if (start == 0) {
      // A header not yet (fully) written is a segment being created.
      if (data.size() < kSegmentHeaderSize) {
        stuck = true;
        return Status::ok();
      }
      if (std::memcmp(data.data(), kSegmentMagic.data(), kSegmentMagic.size()) != 0 ||
          XXH64(data.data(), kSegmentHeaderChecksummed, 0) !=
              base::get_fixed64(data.data() + kSegmentHeaderChecksummed)) {
        stuck = true;  // zeroed or half written; a sealed segment's bad header is caught by the caller
        return Status::ok();
      }
      const std::uint32_t version = base::get_fixed32(data.data() + 8);
      if (version != kFormatVersion) {
        return Status::corruption(at_offset(path_, 8) + ": WAL format version " + std::to_string(version) +
                                  " is not supported (this build reads version " + std::to_string(kFormatVersion) +
                                  ")");
      }
      if (base::get_fixed64(data.data() + 16) != segment_first_) {
        return Status::corruption(at_offset(path_, 16) + ": header says first LSN " +
                                  std::to_string(base::get_fixed64(data.data() + 16)) + ", the file name says " +
                                  std::to_string(segment_first_));
      }
      pos = kSegmentHeaderSize;
      offset_ = kSegmentHeaderSize;
    }
    std::size_t needed = 0;  // the size of a record the window's end cut
    while (pos < data.size()) {
      const std::string_view rest = std::string_view(data).substr(pos);
      if (rest.size() < kRecordHeaderSize) {
        needed = kRecordHeaderSize;
        break;
      }
      const std::uint64_t checksum = base::get_fixed64(rest.data());
      const std::uint32_t length = base::get_fixed32(rest.data() + kRecordChecksumSize);
      const auto type = static_cast<std::uint8_t>(rest[kRecordChecksumSize + 4]);
      if (length > kMaxRecordPayload) {
        stuck = true;
        return Status::ok();
      }
      if (rest.size() - kRecordHeaderSize < length) {
        needed = kRecordHeaderSize + length;
        break;
      }
      if (XXH64(rest.data() + kRecordChecksumSize, kRecordHeaderSize - kRecordChecksumSize + length, 0) != checksum) {
        stuck = true;  // zeroed (preallocated) space or a record still being written
        return Status::ok();
      }
      const std::string_view payload = rest.substr(kRecordHeaderSize, length);
      const std::size_t record_size = kRecordHeaderSize + length;
      if (type & kIgnorableTypeBit) {
        pos += record_size;  // sync marks and newer writers' optional records
        offset_ += record_size;
        continue;
      }
      if (type != static_cast<std::uint8_t>(RecordType::kBatch)) {
        return Status::corruption(at_offset(path_, offset_) + ": unknown record type " + std::to_string(type));
      }
      const auto lsns = peek_payload_lsns(payload);
      if (!lsns) {
        auto decoded = decode_payload(payload);
        return Status::corruption(at_offset(path_, offset_) + ": " +
                                  (decoded ? std::string("undecodable batch header") : decoded.status().detail()));
      }
      if (lsns->first_lsn != segment_next_) {
        return Status::corruption(at_offset(path_, offset_) + ": record has LSN " + std::to_string(lsns->first_lsn) +
                                  ", expected LSN " + std::to_string(segment_next_));
      }
      if (lsns->last_lsn >= next_lsn_) {
        if (lsns->first_lsn > next_lsn_) {
          return Status::corruption(at_offset(path_, offset_) + ": record has LSN " +
                                    std::to_string(lsns->first_lsn) + ", expected LSN " + std::to_string(next_lsn_));
        }
        auto batch = decode_payload(payload);
        if (!batch) return Status::corruption(at_offset(path_, offset_) + ": " + batch.status().detail());
        if (Status s = visit(*batch); !s) return s;
        ++progress.batches;
        next_lsn_ = lsns->last_lsn + 1;
      }
      pos += record_size;
      offset_ += record_size;
      segment_next_ = lsns->last_lsn + 1;
    }
    if (start + data.size() >= size) {
      stuck = offset_ < size;  // a record not complete yet at the end of the file
      return Status::ok();
    }
    // The file goes on past the window: read on from the first byte not
    // consumed, in larger windows (a follower catching up reads much), with
    // room for the record the window's end cut.
    window = std::max(needed, std::min(window * 2, kTailMaxReadWindow));
  }
}

Result<TailProgress> LogTail::poll(const BatchVisitor& visit) {
  TailProgress progress;
  bool reread = false;  // the current segment was read again after a newer one was seen
  for (;;) {
    if (fd_ < 0) {
      auto segments = list_segment_names(env_, dir_);
      if (!segments) return segments.status();
      if (segments->empty()) return progress;
      // The segment holding next_lsn_: the last one starting at or before it.
      const SegmentInfo* holder = nullptr;
      for (const auto& segment : *segments) {
        if (segment.first_lsn <= next_lsn_) holder = &segment;
      }
      if (holder == nullptr) {
        progress.retired = true;
        progress.oldest_lsn = segments->front().first_lsn;
        return progress;
      }
      if (Status s = open_segment(*holder); !s) {
        if (!env_->exists(holder->path)) continue;  // retired between listing and opening
        return s;
      }
      reread = false;
    }
    bool stuck = false;
    if (Status s = read_segment(visit, progress, stuck); !s) return s;

    // At the end of what the current segment holds now. Move on only when a
    // newer segment exists and this one was read to its end after that was
    // seen (the writer seals a segment before it creates the next).
    auto segments = list_segment_names(env_, dir_);
    if (!segments) return segments.status();
    const SegmentInfo* next = nullptr;
    for (const auto& segment : *segments) {
      if (segment.first_lsn > segment_first_) {
        next = &segment;
        break;
      }
    }
    if (next == nullptr) {
      // The newest segment. A new owner may have removed a torn segment and
      // created one of the same name: follow the name.
      if (!same_file()) {
        close_segment();
        continue;
      }
      return progress;
    }
    if (!reread) {
      reread = true;
      continue;
    }
    if (next->first_lsn > next_lsn_) {
      if (!stuck) {
        // The segment ended cleanly but the next one starts later: a gap,
        // unless a checkpoint retired what lies between (the caller can tell).
        return Status::corruption(at_offset(next->path, 0) + ": LSN gap: the segment starts at LSN " +
                                  std::to_string(next->first_lsn) + " but the log before it ends at LSN " +
                                  std::to_string(next_lsn_ - 1) + " (a segment is missing)");
      }
      return Status::corruption(at_offset(path_, offset_) + ": damaged record in a sealed segment (expected LSN " +
                                std::to_string(next_lsn_) + ")");
    }
    const SegmentInfo following = *next;
    if (Status s = open_segment(following); !s) {
      if (!env_->exists(following.path)) {
        close_segment();
        continue;
      }
      return s;
    }
    reread = false;
  }
}

}  // namespace snapstore::wal
