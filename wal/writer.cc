// LogWriter: group commit and segment rotation (see writer.h).
#include "wal/writer.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "base/little_endian.h"
#include "base/kill_point.h"
#include "wal/format.h"
#include "wal/record.h"

namespace snapstore::wal {
namespace {

// Fills in the header of the record whose header space starts at `start`
// and whose payload runs to the end of `buffer`.
void seal_record(std::string& buffer, std::size_t start, RecordType type) {
  char* header = buffer.data() + start;
  base::encode_fixed32(header + kRecordChecksumSize,
                        static_cast<std::uint32_t>(buffer.size() - start - kRecordHeaderSize));
  header[kRecordChecksumSize + 4] = static_cast<char>(type);
  base::encode_fixed64(header, XXH64(header + kRecordChecksumSize, buffer.size() - start - kRecordChecksumSize, 0));
}

std::string segment_header(std::uint64_t first_lsn) {
  std::string header(kSegmentHeaderSize, '\0');
  std::memcpy(header.data(), kSegmentMagic.data(), kSegmentMagic.size());
  base::encode_fixed32(header.data() + 8, kFormatVersion);
  base::encode_fixed32(header.data() + 12, 0);
  base::encode_fixed64(header.data() + 16, first_lsn);
  base::encode_fixed64(header.data() + 24, XXH64(header.data(), kSegmentHeaderChecksummed, 0));
  return header;
}

}  // namespace

std::string SegmentName::for_lsn(std::uint64_t first_lsn) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.log", static_cast<unsigned long long>(first_lsn));
  return name;
}

bool SegmentName::parse(std::string_view name, std::uint64_t& first_lsn) {
  if (name.size() != 24 || name.substr(20) != ".log") return false;
  std::uint64_t lsn = 0;
  for (std::size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    const std::uint64_t digit = static_cast<std::uint64_t>(name[i] - '0');
    if (lsn > (UINT64_MAX - digit) / 10) return false;
    lsn = lsn * 10 + digit;
  }
  first_lsn = lsn;
  return true;
}

struct LogWriter::Pending {
  std::string operations;  // encode_operations() output; empty for sync/close requests
  std::span<const DocumentOperation> documents;  // or these, encoded by the leader into the record
  std::size_t documents_size = 0;                // encoded_operations_size(documents)
  std::size_t op_count = 0;
  bool wants_sync = false;
  bool wants_close = false;
  std::uint64_t first_lsn = 0;
  Status status;
  bool done = false;
  std::condition_variable cv;
};

LogWriter::LogWriter(Env* env, std::string dir, WriterOptions options, RecordListener listener, std::uint64_t next_lsn)
    : env_(env),
      dir_(std::move(dir)),
      options_(options),
      listener_(std::move(listener)),
      next_lsn_(next_lsn),
      written_lsn_(next_lsn - 1),
      durable_lsn_(next_lsn - 1) {}

Result<std::unique_ptr<LogWriter>> LogWriter::open(Env* env, std::string dir, std::uint64_t next_lsn,
                                                   WriterOptions options, RecordListener listener) {
  if (next_lsn == 0) return Status::invalid_argument("WAL LSNs start at 1");
  std::unique_ptr<LogWriter> writer(new LogWriter(env, std::move(dir), options, std::move(listener), next_lsn));
  if (Status s = writer->start_segment(next_lsn); !s) return s;
  return writer;
}

LogWriter::~LogWriter() {
  {
    std::lock_guard lock(zero_mutex_);
    zero_stop_ = true;
  }
  zero_cv_.notify_all();
  if (zeroer_.joinable()) zeroer_.join();
}

void LogWriter::request_zeros() {
  if (!zeroes_ahead() || !file_ || !file_->can_write_zeros()) return;
  // The chunk grows with the log as the reservation does (D44): a small
  // store stays small, a busy one zeroes zero_chunk at a time.
  const std::uint64_t chunk = std::min(options_.zero_chunk, std::max(kFirstPreallocation, next_preallocation_));
  const std::uint64_t limit = options_.segment_bytes;
  std::lock_guard lock(zero_mutex_);
  if (zero_busy_ || zero_stop_ || !zero_error_.is_ok()) return;
  // Enough ahead while three quarters of a chunk of zeros are left past the
  // records. Zeros go on where they end, unless the records are about to
  // reach that point (or passed it): then a quarter chunk past the records,
  // so that the next groups need not wait for the helper.
  const std::uint64_t ahead = zeroed_end_ > segment_size_ ? zeroed_end_ - segment_size_ : 0;
  if (ahead >= chunk / 4 * 3) return;
  const std::uint64_t from = ahead >= chunk / 4 ? zeroed_end_ : segment_size_ + chunk / 4;
  const std::uint64_t to = std::min(limit, from + chunk);
  if (from >= to) return;
  zero_file_ = file_.get();
  zero_from_ = from;
  zero_to_ = to;
  zero_busy_ = true;
  if (!zeroer_.joinable()) zeroer_ = std::thread([this] { run_zeroer(); });
  zero_cv_.notify_all();
}

void LogWriter::wait_for_zeros() {
  std::unique_lock lock(zero_mutex_);
  zero_cv_.wait(lock, [&] { return !zero_busy_; });
}

Status LogWriter::zero_error() const {
  std::lock_guard lock(zero_mutex_);
  return zero_error_;
}

void LogWriter::run_zeroer() {
  std::unique_lock lock(zero_mutex_);
  while (true) {
    zero_cv_.wait(lock, [&] { return zero_stop_ || zero_file_ != nullptr; });
    if (zero_file_ == nullptr) return;  // stopped, nothing asked for
    WritableFile* const file = zero_file_;
    const std::uint64_t from = zero_from_;
    const std::uint64_t to = zero_to_;
    lock.unlock();
    const Status s = file->write_zeros(from, to);
    lock.lock();
    if (s) {
      zeroed_end_ = to;
    } else if (zero_error_.is_ok()) {
      // Sticky for the writer (FAULTS.md oracle 6): a full disk or a failed
      // fdatasync here says the next group cannot be trusted to land.
      zero_error_ = Status::io_error("preparing WAL space ahead of the records failed: " + s.detail());
    }
    zero_file_ = nullptr;
    zero_busy_ = false;
    zero_cv_.notify_all();
  }
}

std::uint64_t LogWriter::zeroed_end() const {
  std::lock_guard lock(zero_mutex_);
  return zeroed_end_;
}

Status LogWriter::start_segment(std::uint64_t first_lsn) {
  if (file_) {
    wait_for_zeros();
    // The old segment must be durable before a later one can exist.
    if (Status s = file_->sync(); !s) return s;
    if (Status s = file_->close(); !s) return s;
    file_.reset();
  }
  SNAPSTORE_KILL_POINT("wal.roll.before_create");
  const std::string path = join_path(dir_, SegmentName::for_lsn(first_lsn));
  mapped_ = !options_.sync_every_group && options_.map_segments;
  auto file = mapped_ ? env_->create_mapped_file(path, options_.segment_bytes) : env_->create_file(path);
  if (!file) return file.status();
  file_ = std::move(*file);
  SNAPSTORE_KILL_POINT("wal.roll.after_create");
  preallocated_ = 0;
  if (Status s = reserve(kSegmentHeaderSize); !s) return s;
  const std::string header = segment_header(first_lsn);
  if (Status s = file_->append(header); !s) return s;
  if (Status s = file_->sync(); !s) return s;
  SNAPSTORE_KILL_POINT("wal.roll.after_header");
  if (Status s = env_->sync_dir(dir_); !s) return s;
  segment_size_ = header.size();
  {
    std::lock_guard lock(zero_mutex_);
    zeroed_end_ = 0;
  }
  request_zeros();
  return Status::ok();
}

Status LogWriter::reserve(std::uint64_t size) {
  if (size <= preallocated_) return Status::ok();
  // A mapped segment must cover every byte stored to it; a written one's
  // reservation is only a hint.
  if (!mapped_ && preallocated_ >= options_.segment_bytes) return Status::ok();
  std::uint64_t target = std::max(preallocated_ == 0 ? next_preallocation_ : preallocated_ * 2, size);
  if (mapped_) target = std::min(target, std::max(size, preallocated_ + kMaxMappedStep));
  target = std::min(target, std::max(options_.segment_bytes, size));
  // A nearly full disk may allocate only `size`: the mapped file then
  // allocates again itself before an append passes it.
  if (Status s = mapped_ ? file_->reserve(target, size) : file_->preallocate(target); !s) return s;
  preallocated_ = target;
  next_preallocation_ = std::max(next_preallocation_, std::min(target, options_.segment_bytes));
  return Status::ok();
}

void LogWriter::discard_failed_tail(Status& failure, std::uint64_t good_size) {
  // The failed write or sync may have left the group's records (whole or in
  // part) in the file, where the next open would replay them although their
  // writers got an error: cut the segment back to what succeeded before.
  wait_for_zeros();  // nothing may write to the file once it is cut
  const std::string path = file_->path();
  Status cut = env_->truncate(path, good_size);
  if (cut) cut = file_->sync();  // the new size is file metadata fdatasync writes
  (void)file_->close();
  file_.reset();
  if (!cut) {
    failure = Status::io_error(failure.detail() + "; cutting the failed write off " + path + " failed too (" +
                               cut.detail() + "), so the next open may replay it");
  }
}

Status LogWriter::write_group(std::uint64_t synced_lsn, bool& synced) {
  synced = false;
  bool wants_sync = options_.sync_every_group;
  bool wants_close = false;
  std::uint64_t first_lsn = 0;
  for (const Pending* p : group_) {
    wants_sync |= p->wants_sync;
    wants_close |= p->wants_close;
    if (p->op_count > 0 && first_lsn == 0) first_lsn = p->first_lsn;
  }
  if (!file_) return Status::io_error("WAL segment in " + dir_ + " is closed");
  // Only a written segment of a `sync` log has a zeroing helper (request_zeros):
  // a `none` or `periodic` one takes neither of its locks per group.
  const bool zeroing = zeroes_ahead();
  if (zeroing) {
    if (Status s = zero_error(); !s) return s;
  }

  if (first_lsn != 0 && segment_size_ >= options_.segment_bytes) {
    if (Status s = start_segment(first_lsn); !s) return s;
  }

  // Frame every record into one buffer: header (checksum, length, type), then
  // the payload [first_lsn, operations]; the checksum covers all but itself.
  buffer_.clear();
  framed_.clear();
  if (first_lsn != 0 && synced_lsn > marked_lsn_) {
    buffer_.resize(kRecordHeaderSize + kSyncMarkPayloadSize);
    base::encode_fixed64(buffer_.data() + kRecordHeaderSize, synced_lsn);
    seal_record(buffer_, 0, RecordType::kSyncMark);
  }
  for (const Pending* p : group_) {
    if (p->op_count == 0) continue;
    const std::size_t start = buffer_.size();
    if (p->documents.empty()) {
      buffer_.resize(start + kRecordHeaderSize);
      append_payload(buffer_, p->first_lsn, p->operations);
    } else {
      // Encoded here, once, from the writer's views (D115).
      buffer_.resize(start + kRecordHeaderSize + payload_header_size(p->first_lsn) + p->documents_size);
      write_operations(p->documents, write_payload_header(p->first_lsn, buffer_.data() + start + kRecordHeaderSize));
    }
    const std::size_t payload_size = buffer_.size() - start - kRecordHeaderSize;
    if (payload_size > kMaxRecordPayload) {
      return Status::invalid_argument("WAL record of " + std::to_string(payload_size) + " bytes exceeds the limit of " +
                                      std::to_string(kMaxRecordPayload));
    }
    seal_record(buffer_, start, RecordType::kBatch);
    framed_.push_back({p->first_lsn, p->first_lsn + p->op_count - 1, start + kRecordHeaderSize, payload_size});
  }

  const std::uint64_t good_size = segment_size_;
  if (!buffer_.empty()) {
    if (Status s = reserve(segment_size_ + buffer_.size()); !s) return s;
    if (zeroing) {
      // Never write where the helper is writing zeros (it is ahead, unless
      // this group outruns it).
      std::unique_lock lock(zero_mutex_);
      zero_cv_.wait(lock, [&] { return !zero_busy_ || segment_size_ + buffer_.size() <= zero_from_; });
    }
    SNAPSTORE_KILL_POINT("wal.append.before_write");
    if (Status s = file_->append(buffer_); !s) {
      discard_failed_tail(s, good_size);
      return s;
    }
    segment_size_ += buffer_.size();
    marked_lsn_ = std::max(marked_lsn_, synced_lsn);
    SNAPSTORE_KILL_POINT("wal.append.after_write");
  }
  if (wants_sync || wants_close) {
    if (Status s = file_->sync(); !s) {
      discard_failed_tail(s, good_size);
      return s;
    }
    synced = true;
    SNAPSTORE_KILL_POINT("wal.append.after_sync");
  }
  if (wants_close) {
    wait_for_zeros();
    if (Status s = file_->close(); !s) return s;
    file_.reset();
  } else {
    request_zeros();
  }
  if (listener_) {
    for (const Framed& f : framed_) {
      listener_(f.first_lsn, f.last_lsn, std::string_view(buffer_).substr(f.payload_offset, f.payload_size));
    }
  }
  return Status::ok();
}

Result<std::uint64_t> LogWriter::enqueue_and_wait(Pending& pending) {
  std::unique_lock lock(mutex_);
  if (!error_.is_ok()) return error_;
  if (closed_) {
    if (pending.wants_close) return std::uint64_t{0};
    return Status::invalid_argument("the WAL in " + dir_ + " is closed");
  }
  if (pending.op_count > 0) {
    pending.first_lsn = next_lsn_;
    next_lsn_ += pending.op_count;
  }
  if (pending.wants_close) closed_ = true;
  queue_.push_back(&pending);
  // Wake a gathering leader only once its group is complete: waking it on
  // every arrival costs a context switch per writer on a busy machine.
  if (gathering_ != nullptr && (queue_.size() >= gather_target_ || closed_)) gathering_->cv.notify_one();
  while (!pending.done && queue_.front() != &pending) pending.cv.wait(lock);
  if (pending.done) {
    if (!pending.status.is_ok()) return pending.status;
    return pending.first_lsn;
  }
  if (options_.sync_every_group && pending.op_count > 0) gather_group(lock, pending);

  // This thread leads: it writes everything queued so far as one group —
  // unless an earlier group failed, after which nothing more is written.
  if (queue_.size() == 1) {
    group_.push_back(&pending);  // a lone writer (D115): no walk of the deque
  } else {
    group_.assign(queue_.begin(), queue_.end());
  }
  if (!error_.is_ok()) {
    const Status failed = error_;
    finish_group(failed, pending);
    return failed;
  }
  const std::uint64_t synced_lsn = durable_lsn_;
  std::uint64_t group_last_lsn = written_lsn_;
  bool may_sync = options_.sync_every_group;
  for (const Pending* p : group_) {
    if (p->op_count > 0) group_last_lsn = p->first_lsn + p->op_count - 1;
    may_sync |= p->wants_sync || p->wants_close;
  }
  lock.unlock();
  bool synced = false;
  // Only a sync's duration is kept (gather_group): a group without one
  // reads no clock.
  const auto started = may_sync ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  Status status = write_group(synced_lsn, synced);
  const auto took = synced ? std::chrono::steady_clock::now() - started : std::chrono::steady_clock::duration{};
  lock.lock();
  if (synced) last_sync_ = std::chrono::duration_cast<std::chrono::nanoseconds>(took);

  if (status.is_ok()) {
    written_lsn_ = group_last_lsn;
    if (synced) durable_lsn_ = group_last_lsn;
  } else if (error_.is_ok()) {
    error_ = status;  // sticky: the outcome on disk is unknown
  }
  finish_group(status, pending);
  if (!status.is_ok()) return status;
  return pending.first_lsn;
}

void LogWriter::finish_group(const Status& status, const Pending& leader) {
  for (Pending* p : group_) {
    queue_.pop_front();
    p->status = status;
    p->done = true;
    if (p != &leader) p->cv.notify_one();
  }
  expected_group_ = group_.size() + queue_.size();
  group_.clear();  // its writers are gone: keep the capacity, not the pointers
  if (!queue_.empty()) queue_.front()->cv.notify_one();
}

void LogWriter::gather_group(std::unique_lock<std::mutex>& lock, Pending& leader) {
  // At most half the last sync: waiting can then cost a lone writer little,
  // and a group that does fill saves a whole sync per extra member. With one
  // writer the expected group is this one request, so nobody waits.
  constexpr std::chrono::nanoseconds kMaxWait = std::chrono::milliseconds(2);
  const std::size_t expected = expected_group_;
  if (queue_.size() >= expected || last_sync_.count() == 0) return;
  gathering_ = &leader;
  gather_target_ = expected;
  leader.cv.wait_for(lock, std::min(last_sync_ / 2, kMaxWait),
                     [&] { return queue_.size() >= expected || closed_ || !error_.is_ok(); });
  gathering_ = nullptr;
}

Result<std::uint64_t> LogWriter::append(std::string encoded_operations, std::size_t op_count) {
  if (op_count == 0) return Status::invalid_argument("a WAL batch needs at least one operation");
  // Refused here, before it takes LSNs: inside a group it would fail the group.
  if (encoded_operations.size() + 32 > kMaxRecordPayload) {
    return Status::invalid_argument("a WAL batch of " + std::to_string(encoded_operations.size()) +
                                    " bytes exceeds the record limit of " + std::to_string(kMaxRecordPayload));
  }
  Pending pending;
  pending.operations = std::move(encoded_operations);
  pending.op_count = op_count;
  return enqueue_and_wait(pending);
}

Result<std::uint64_t> LogWriter::append(std::span<const DocumentOperation> ops) {
  if (ops.empty()) return Status::invalid_argument("a WAL batch needs at least one operation");
  for (const DocumentOperation& op : ops) {
    if (op.type != OpType::kInsert && op.type != OpType::kUpdate && op.type != OpType::kDelete) {
      return Status::invalid_argument("a WAL batch of documents holds operation type " +
                                      std::to_string(static_cast<unsigned>(op.type)) +
                                      ", which is not an insert, update or delete");
    }
  }
  Pending pending;
  pending.documents = ops;
  pending.documents_size = encoded_operations_size(ops);
  pending.op_count = ops.size();
  // Refused here, before it takes LSNs, as above.
  if (pending.documents_size + 32 > kMaxRecordPayload) {
    return Status::invalid_argument("a WAL batch of " + std::to_string(pending.documents_size) +
                                    " bytes exceeds the record limit of " + std::to_string(kMaxRecordPayload));
  }
  return enqueue_and_wait(pending);
}

Status LogWriter::sync() {
  Pending pending;
  pending.wants_sync = true;
  auto result = enqueue_and_wait(pending);
  return result.status();
}

Status LogWriter::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return Status::ok();
    if (!error_.is_ok()) {
      closed_ = true;
      return error_;
    }
  }
  Pending pending;
  pending.wants_close = true;
  auto result = enqueue_and_wait(pending);
  return result.status();
}

std::uint64_t LogWriter::next_lsn() const {
  std::lock_guard lock(mutex_);
  return next_lsn_;
}

std::uint64_t LogWriter::written_lsn() const {
  std::lock_guard lock(mutex_);
  return written_lsn_;
}

std::uint64_t LogWriter::durable_lsn() const {
  std::lock_guard lock(mutex_);
  return durable_lsn_;
}

Status LogWriter::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

}  // namespace snapstore::wal
