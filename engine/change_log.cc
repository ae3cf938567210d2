// ChangeLog: the ring of recent records and the reads from WAL segments
// behind the change feed (see change_log.h).
#include "engine/change_log.h"

#include <algorithm>
#include <utility>

#include "recovery/change_decode.h"
#include "wal/record.h"

namespace snapstore::engine {

void ChangeLog::on_record(std::uint64_t first_lsn, std::uint64_t last_lsn, std::string_view payload) {
  if (!enabled_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(mutex_);
  ring_.push_back(Entry{first_lsn, last_lsn, std::string(payload)});
  ring_size_ += payload.size();
  // Keep at least the newest record, however large.
  while (ring_.size() > 1 && ring_size_ > ring_bytes_) {
    ring_size_ -= ring_.front().payload.size();
    ring_.pop_front();
  }
  written_lsn_ = last_lsn;
  if (!sync_mode_) cv_.notify_all();
}

void ChangeLog::published(std::uint64_t durable_lsn) {
  if (!enabled_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(mutex_);
  if (durable_lsn <= durable_lsn_) return;
  durable_lsn_ = durable_lsn;
  cv_.notify_all();
}

void ChangeLog::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  cv_.notify_all();
}

bool ChangeLog::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

bool ChangeLog::available_locked(std::uint64_t next) const {
  return durable_lsn_ >= next || (!sync_mode_ && written_lsn_ >= next);
}

bool ChangeLog::available(std::uint64_t next) const {
  std::lock_guard lock(mutex_);
  return available_locked(next);
}

void ChangeLog::wait(std::uint64_t next, std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mutex_);
  cv_.wait_until(lock, deadline, [&] { return closed_ || available_locked(next); });
}

Result<std::uint64_t> ChangeLog::oldest_available() const {
  auto segments = wal::list_segments(env_, wal_dir_);
  if (!segments) return segments.status();
  std::uint64_t oldest = segments->empty() ? UINT64_MAX : segments->front().first_lsn;
  std::lock_guard lock(mutex_);
  if (!ring_.empty()) oldest = std::min(oldest, ring_.front().first_lsn);
  if (oldest == UINT64_MAX) oldest = written_lsn_ + 1;
  return oldest;
}

Status ChangeLog::retired(std::uint64_t next, std::uint64_t oldest) const {
  return Status::revision_retired("revision " + std::to_string(next) +
                                  " is no longer in the WAL (a checkpoint removed its segment); the oldest available "
                                  "revision is " +
                                  std::to_string(oldest) + ", so changes after " + std::to_string(oldest - 1) +
                                  " can still be read (register a named consumer to keep the WAL for a reader)");
}

Result<std::vector<Change>> ChangeLog::read(FeedPosition& at, std::uint64_t limit, std::size_t max_changes) {
  std::vector<Change> out;
  if (at.next > limit) return out;
  auto from_ring = read_ring(at, limit, max_changes, out);
  if (!from_ring) return from_ring.status();
  if (*from_ring) {
    at.segment.reset();
    return out;
  }
  if (Status s = read_files(at, limit, max_changes, out); !s) return s;
  return out;
}

Result<bool> ChangeLog::read_ring(FeedPosition& at, std::uint64_t limit, std::size_t max_changes,
                                  std::vector<Change>& out) {
  std::vector<std::string> payloads;
  {
    std::lock_guard lock(mutex_);
    if (ring_.empty() || ring_.front().first_lsn > at.next) return false;
    auto it = std::partition_point(ring_.begin(), ring_.end(), [&](const Entry& e) { return e.last_lsn < at.next; });
    std::size_t count = 0;
    for (; it != ring_.end() && it->last_lsn <= limit && count < max_changes; ++it) {
      payloads.push_back(it->payload);
      count += it->last_lsn - std::max(it->first_lsn, at.next) + 1;
    }
  }
  for (const std::string& payload : payloads) {
    auto batch = wal::decode_payload(payload);
    if (!batch) return batch.status();
    const std::size_t before = out.size();
    if (Status s = recovery::append_changes(*batch, max_depth_, out); !s) return s;
    // The feed may start inside the first record.
    const std::uint64_t next = at.next;
    out.erase(std::remove_if(out.begin() + static_cast<std::ptrdiff_t>(before), out.end(),
                             [&](const Change& c) { return c.revision < next; }),
              out.end());
    at.next = batch->last_lsn() + 1;
  }
  return true;
}

Status ChangeLog::read_files(FeedPosition& at, std::uint64_t limit, std::size_t max_changes, std::vector<Change>& out) {
  // Each pass opens at most one segment; a few passes cover a rotation or a
  // file that grew since it was read.
  for (int pass = 0; pass < 4 && out.size() < max_changes && at.next <= limit; ++pass) {
    if (!at.segment) {
      auto segments = wal::list_segments(env_, wal_dir_);
      if (!segments) return segments.status();
      if (segments->empty() || at.next < segments->front().first_lsn) {
        auto oldest = oldest_available();
        if (!oldest) return oldest.status();
        return retired(at.next, *oldest);
      }
      auto it = std::upper_bound(segments->begin(), segments->end(), at.next,
                                 [](std::uint64_t lsn, const wal::SegmentInfo& s) { return lsn < s.first_lsn; });
      --it;
      // The segment the writer appends to is copied, not mapped: a failed
      // append cuts it shorter, which would fault a mapping's reader.
      const bool live = it + 1 == segments->end();
      auto cursor = wal::SegmentCursor::open(env_, *it, /*copy=*/live);
      if (!cursor) {
        if (!env_->exists(it->path)) continue;  // retired meanwhile: the next pass says so
        return cursor.status();
      }
      at.segment = std::move(*cursor);
    } else if (pass > 0) {
      // The segment may have grown since it was read.
      if (Status s = at.segment->refresh(); !s) return s;
    }

    while (out.size() < max_changes) {
      auto batch = at.segment->next(at.next);
      if (!batch) return batch.status();
      if (!*batch) break;
      const wal::Batch& b = **batch;
      if (b.last_lsn() > limit) {
        // Written but not yet durable: read it again once it is.
        at.segment.reset();
        return Status::ok();
      }
      const std::size_t before = out.size();
      if (Status s = recovery::append_changes(b, max_depth_, out); !s) return s;
      const std::uint64_t next = at.next;
      out.erase(std::remove_if(out.begin() + static_cast<std::ptrdiff_t>(before), out.end(),
                               [&](const Change& c) { return c.revision < next; }),
                out.end());
      at.next = b.last_lsn() + 1;
    }
    if (out.size() >= max_changes || at.next > limit) return Status::ok();

    // This segment has nothing more now: on to the next one, if there is one.
    auto segments = wal::list_segments(env_, wal_dir_);
    if (!segments) return segments.status();
    auto later = std::find_if(segments->begin(), segments->end(), [&](const wal::SegmentInfo& s) {
      return s.first_lsn > at.segment->segment().first_lsn;
    });
    if (later == segments->end()) continue;  // still the live segment: read it again
    if (!at.segment->problem().empty()) {
      return Status::corruption(at.segment->segment().path + " at offset " + std::to_string(at.segment->offset()) +
                                ": " + at.segment->problem() + " in a sealed segment (expected LSN " +
                                std::to_string(at.segment->expected_lsn()) + ")");
    }
    if (later->first_lsn != at.segment->expected_lsn()) {
      // The segment was sealed after it was read: read its end first.
      if (Status s = at.segment->refresh(); !s) return s;
      auto more = at.segment->next(at.next);
      if (!more) return more.status();
      if (*more) {
        at.segment.reset();  // simplest: reopen and pass over what was read
        continue;
      }
      return Status::corruption(later->path + ": LSN gap: the segment starts at LSN " +
                                std::to_string(later->first_lsn) + " but the one before it ends at LSN " +
                                std::to_string(at.segment->expected_lsn() - 1));
    }
    at.segment.reset();
  }
  return Status::ok();
}

}  // namespace snapstore::engine
