// The change feed and named consumers: Store's and ChangeFeed's calls and
// the StoreCore side of them (store.h; the reading itself is ChangeLog's).
#include <algorithm>
#include <chrono>
#include <mutex>
#include <utility>

#include "engine/store_core.h"

namespace snapstore {
namespace engine {

using ReadLock = tbb::rw_mutex::scoped_lock;

// One ChangeFeed: its place in the log and what it reads from.
struct FeedState {
  std::shared_ptr<StoreCore> core;
  std::shared_ptr<ChangeLog> log;  // for waiting without holding the store's lock
  std::mutex mutex;                // one call at a time
  FeedPosition at;                 // guarded by mutex
  std::atomic<std::uint64_t> position{0};
};

namespace {

Status in_memory_feed() {
  return Status::invalid_argument(
      "the change feed and named consumers need a durable store (Store::open): an in-memory store has no WAL to "
      "read changes from");
}

Status future_revision(std::string_view what, std::uint64_t revision, std::uint64_t current) {
  return Status::invalid_argument(std::string(what) + " " + std::to_string(revision) +
                                  " is in the future: the store's revision is " + std::to_string(current));
}

}  // namespace

Result<ChangeFeed> StoreCore::changes(std::uint64_t after_revision) {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  if (!journal_) return in_memory_feed();
  const std::uint64_t current = std::max(revision(), journal_->durable_lsn());
  if (after_revision > current) return future_revision("revision", after_revision, current);
  const std::shared_ptr<ChangeLog>& log = journal_->change_log();
  log->enable();
  log->published(journal_->durable_lsn());  // what was durable before the log listened
  auto oldest = log->oldest_available();
  if (!oldest) return oldest.status();
  if (after_revision + 1 < *oldest) {
    return Status::revision_retired("changes after revision " + std::to_string(after_revision) +
                                    " are no longer in the WAL (a checkpoint removed them); the oldest available "
                                    "revision is " +
                                    std::to_string(*oldest) + ": ask for changes after " +
                                    std::to_string(*oldest - 1) +
                                    " or later (a named consumer keeps the WAL for its reader)");
  }
  auto feed = std::make_shared<FeedState>();
  feed->core = shared_from_this();
  feed->log = log;
  feed->at.next = after_revision + 1;
  feed->position.store(after_revision);
  return ChangeFeed(std::move(feed));
}

Result<ChangeFeed> StoreCore::changes_for(std::string_view consumer) {
  std::uint64_t acknowledged = 0;
  {
    ReadLock state(state_mutex_, /*write=*/false);
    if (closed_) return Status::store_closed();
    if (!journal_) return in_memory_feed();
    auto slot = journal_->consumer_slots().find(consumer);
    if (!slot) return slot.status();
    acknowledged = slot->acknowledged;
  }
  return changes(acknowledged);
}

Result<std::vector<Change>> StoreCore::feed_next(FeedState& feed, std::size_t max_changes) {
  std::lock_guard lock(feed.mutex);
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  auto changes = journal_->read_changes(feed.at, std::max<std::size_t>(1, max_changes));
  if (changes && !changes->empty()) feed.position.store(changes->back().revision);
  return changes;
}

Result<std::vector<Change>> StoreCore::feed_wait(FeedState& feed, std::chrono::milliseconds timeout,
                                                 std::size_t max_changes) {
  const auto deadline = std::chrono::steady_clock::now() + std::max(timeout, std::chrono::milliseconds(0));
  for (;;) {
    auto changes = feed_next(feed, max_changes);
    if (!changes || !changes->empty()) return changes;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline || feed.log->closed()) return changes;
    std::uint64_t next = 0;
    {
      std::lock_guard lock(feed.mutex);
      next = feed.at.next;
    }
    // Woken by a durable write; the slice bounds the wait for writes that
    // only a sync makes durable (none and periodic modes).
    feed.log->wait(next, std::min(deadline, now + std::chrono::milliseconds(50)));
  }
}

Status StoreCore::register_consumer(std::string_view name, std::uint64_t after_revision) {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  if (!journal_) return in_memory_feed();
  if (Status s = check_writable(); !s) return s;
  const std::uint64_t current = std::max(revision(), journal_->durable_lsn());
  if (after_revision > current) return future_revision("revision", after_revision, current);
  auto oldest = journal_->change_log()->oldest_available();
  if (!oldest) return oldest.status();
  if (after_revision + 1 < *oldest) {
    return Status::revision_retired("consumer \"" + std::string(name) + "\" cannot start after revision " +
                                    std::to_string(after_revision) + ": the oldest revision still in the WAL is " +
                                    std::to_string(*oldest));
  }
  return journal_->consumer_slots().add(name, after_revision);
}

Status StoreCore::acknowledge(std::string_view name, std::uint64_t revision_acked) {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  if (!journal_) return in_memory_feed();
  if (Status s = check_writable(); !s) return s;
  const std::uint64_t current = std::max(revision(), journal_->durable_lsn());
  if (revision_acked > current) {
    return future_revision("consumer \"" + std::string(name) + "\" acknowledged revision", revision_acked, current);
  }
  return journal_->consumer_slots().acknowledge(name, revision_acked);
}

Status StoreCore::drop_consumer(std::string_view name) {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  if (!journal_) return in_memory_feed();
  if (Status s = check_writable(); !s) return s;
  return journal_->consumer_slots().remove(name);
}

Result<std::vector<ConsumerInfo>> StoreCore::consumers() const {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  if (!journal_) return in_memory_feed();
  auto segments = journal_->wal_segments();
  if (!segments) return segments.status();
  std::vector<ConsumerInfo> infos;
  for (const recovery::ConsumerSlot& slot : journal_->consumer_slots().list()) {
    infos.push_back(ConsumerInfo{slot.name, slot.acknowledged,
                                 recovery::ConsumerSlots::held_bytes(*segments, slot.acknowledged),
                                 std::chrono::system_clock::time_point(
                                     std::chrono::milliseconds(slot.acknowledged_at_ms))});
  }
  return infos;
}

}  // namespace engine

ChangeFeed::ChangeFeed() = default;
ChangeFeed::ChangeFeed(std::shared_ptr<engine::FeedState> state) : state_(std::move(state)) {}
ChangeFeed::ChangeFeed(ChangeFeed&&) noexcept = default;
ChangeFeed& ChangeFeed::operator=(ChangeFeed&&) noexcept = default;
ChangeFeed::~ChangeFeed() = default;

Result<std::vector<Change>> ChangeFeed::next(std::size_t max_changes) {
  if (!state_) return Status::store_closed("the change feed is empty (moved from, or never made)");
  return state_->core->feed_next(*state_, max_changes);
}

Result<std::vector<Change>> ChangeFeed::wait_next(std::chrono::milliseconds timeout, std::size_t max_changes) {
  if (!state_) return Status::store_closed("the change feed is empty (moved from, or never made)");
  return state_->core->feed_wait(*state_, timeout, max_changes);
}

std::uint64_t ChangeFeed::position() const noexcept { return state_ ? state_->position.load() : 0; }

Result<ChangeFeed> Store::changes(std::uint64_t after_revision) const {
  if (!core_) return Status::store_closed();
  return core_->changes(after_revision);
}

Result<ChangeFeed> Store::changes_for(std::string_view consumer) const {
  if (!core_) return Status::store_closed();
  return core_->changes_for(consumer);
}

Status Store::register_consumer(std::string_view name, std::uint64_t after_revision) {
  if (!core_) return Status::store_closed();
  return core_->register_consumer(name, after_revision);
}

Status Store::acknowledge(std::string_view name, std::uint64_t revision) {
  if (!core_) return Status::store_closed();
  return core_->acknowledge(name, revision);
}

Status Store::drop_consumer(std::string_view name) {
  if (!core_) return Status::store_closed();
  return core_->drop_consumer(name);
}

Result<std::vector<ConsumerInfo>> Store::consumers() const {
  if (!core_) return Status::store_closed();
  return core_->consumers();
}

}  // namespace snapstore
