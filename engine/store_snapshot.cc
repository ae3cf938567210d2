// Point-in-time snapshots: creation, reads at a revision, history, expiry
// and pruning (see snapshot_history.h for the model, store_core.h for the
// locks, docs/ARCHITECTURE.md for the design).
#include <algorithm>
#include <iterator>
#include <limits>

#include "engine/store_core.h"

namespace snapstore {
namespace engine {
namespace {

using ReadLock = tbb::rw_mutex::scoped_lock;
using Clock = std::chrono::steady_clock;

std::string quoted_name(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

// ---- DocumentHistory ----

void DocumentHistory::add(value::SnapshotPtr old, std::uint64_t end) {
  const std::size_t bytes = bytes_of(*old);
  Shard& shard = shard_of(old->id.view());
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.versions.find(old->id.view());
    if (it == shard.versions.end()) it = shard.versions.emplace(old->id.str(), std::vector<Version>{}).first;
    it->second.push_back(Version{std::move(old), end});
  }
  versions_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

value::SnapshotPtr DocumentHistory::find_at(std::string_view id, std::uint64_t revision) const {
  if (versions() == 0) return nullptr;
  const Shard& shard = shard_of(id);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.versions.find(id);
  if (it == shard.versions.end()) return nullptr;
  for (const Version& v : it->second) {
    if (v.doc->revision <= revision && revision < v.end) return v.doc;
  }
  return nullptr;
}

void DocumentHistory::collect_at(std::uint64_t revision, value::Snapshots& out) const {
  if (versions() == 0) return;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& [id, versions] : shard.versions) {
      for (const Version& v : versions) {
        if (v.doc->revision <= revision && revision < v.end) out.push_back(v.doc);
      }
    }
  }
}

void DocumentHistory::prune(std::uint64_t oldest) {
  for (Shard& shard : shards_) {
    std::vector<Version> dropped;  // destroyed after the shard's lock is released
    std::size_t bytes = 0;
    {
      std::lock_guard lock(shard.mutex);
      for (auto it = shard.versions.begin(); it != shard.versions.end();) {
        auto& versions = it->second;
        auto keep = std::stable_partition(versions.begin(), versions.end(),
                                          [oldest](const Version& v) { return v.end > oldest; });
        for (auto v = keep; v != versions.end(); ++v) {
          bytes += bytes_of(*v->doc);
          dropped.push_back(std::move(*v));
        }
        versions.erase(keep, versions.end());
        it = versions.empty() ? shard.versions.erase(it) : std::next(it);
      }
    }
    versions_.fetch_sub(dropped.size(), std::memory_order_relaxed);
    bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  }
}

// ---- creation, release, expiry ----

Result<snapstore::Snapshot> StoreCore::snapshot() {
  // Exclusive for an instant: no write is in flight, so every revision up to
  // revision() is installed, and every later write sees the registration.
  ReadLock state(state_mutex_, /*write=*/true);
  if (closed_) return Status::store_closed();
  if (!snapshots_open()) {
    // History a writer recorded as the last snapshot expired is nobody's.
    history_.clear();
    for (const auto& [name, idx] : indexes_) idx->history().clear();
    dropped_indexes_.clear();
  }
  const auto now = Clock::now();
  std::lock_guard registry(snapshots_mutex_);
  auto at = std::make_shared<SnapshotState>(shared_from_this(), revision(), next_ticket_++, now);
  open_registry_.emplace(at->ticket, at.get());
  if (open_registry_.size() == 1) oldest_created_.store(now.time_since_epoch().count(), std::memory_order_release);
  open_snapshots_.fetch_add(1, std::memory_order_acq_rel);
  return snapstore::Snapshot(std::move(at));
}

std::uint64_t StoreCore::oldest_open_locked() const {
  return open_registry_.empty() ? std::numeric_limits<std::uint64_t>::max() : open_registry_.begin()->second->revision;
}

bool StoreCore::unregister_snapshot(SnapshotState& at, SnapshotState::Phase phase) const {
  std::lock_guard registry(snapshots_mutex_);
  if (at.phase.load(std::memory_order_acquire) != SnapshotState::Phase::kOpen) return false;
  at.phase.store(phase, std::memory_order_release);
  open_registry_.erase(at.ticket);
  open_snapshots_.fetch_sub(1, std::memory_order_acq_rel);
  if (!open_registry_.empty()) {
    oldest_created_.store(open_registry_.begin()->second->created.time_since_epoch().count(),
                          std::memory_order_release);
  }
  return true;
}

void StoreCore::release_snapshot(SnapshotState& at) {
  // Exclusive: no writer adds history while it is pruned, so nothing is left
  // behind once the last snapshot goes.
  ReadLock state(state_mutex_, /*write=*/true);
  if (!unregister_snapshot(at, SnapshotState::Phase::kReleased) || closed_) return;
  std::uint64_t oldest = 0;
  {
    std::lock_guard registry(snapshots_mutex_);
    oldest = oldest_open_locked();
  }
  prune_history(oldest);
  std::erase_if(dropped_indexes_, [oldest](const DroppedIndex& d) { return d.dropped <= oldest; });
}

void StoreCore::expire_snapshots() const {
  const auto max_age = options_.max_snapshot_age;
  if (max_age.count() == 0 || !snapshots_open()) return;
  const auto now = Clock::now();
  const Clock::time_point oldest_created{Clock::duration(oldest_created_.load(std::memory_order_acquire))};
  if (now - oldest_created <= max_age) return;
  std::uint64_t oldest = 0;
  bool expired = false;
  {
    // Snapshots register in revision order, which is also creation order:
    // the expired ones are a prefix of the registry.
    std::lock_guard registry(snapshots_mutex_);
    while (!open_registry_.empty() && now - open_registry_.begin()->second->created > max_age) {
      open_registry_.begin()->second->phase.store(SnapshotState::Phase::kExpired, std::memory_order_release);
      open_registry_.erase(open_registry_.begin());
      open_snapshots_.fetch_sub(1, std::memory_order_acq_rel);
      expired = true;
    }
    if (!open_registry_.empty()) {
      oldest_created_.store(open_registry_.begin()->second->created.time_since_epoch().count(),
                            std::memory_order_release);
    }
    oldest = oldest_open_locked();
  }
  // Under a shared state lock: a read at an expired snapshot that overlaps
  // this answers SnapshotExpired (check_snapshot runs again after it reads).
  if (expired) prune_history(oldest);
}

void StoreCore::prune_history(std::uint64_t oldest) const {
  history_.prune(oldest);
  for (const auto& [name, idx] : indexes_) idx->history().prune(oldest);
  for (const auto& dropped : dropped_indexes_) dropped.index->history().prune(oldest);
}

void StoreCore::keep_history(const SnapshotPtr& old, const std::vector<std::optional<index::Key>>& old_keys,
                             std::uint64_t end) const {
  history_.add(old, end);
  std::size_t k = 0;
  for (const auto& [name, idx] : indexes_) {
    if (old_keys[k]) idx->history().add(*old_keys[k], old, end);
    ++k;
  }
  expire_snapshots();
}

SnapshotStats StoreCore::snapshot_stats() const {
  ReadLock state(state_mutex_, /*write=*/false);
  expire_snapshots();
  SnapshotStats stats;
  {
    std::lock_guard registry(snapshots_mutex_);
    stats.open = open_registry_.size();
    if (!open_registry_.empty()) {
      const SnapshotState& oldest = *open_registry_.begin()->second;
      stats.oldest_revision = oldest.revision;
      stats.oldest_age = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - oldest.created);
    }
  }
  stats.versions_pinned = history_.versions();
  stats.bytes_pinned = history_.bytes();
  for (const auto& [name, idx] : indexes_) stats.index_entries_pinned += idx->history().size();
  for (const auto& dropped : dropped_indexes_) stats.index_entries_pinned += dropped.index->history().size();
  return stats;
}

Status StoreCore::check_snapshot(const SnapshotState& at) const {
  if (closed_) return Status::store_closed();
  const auto max_age = options_.max_snapshot_age;
  if (max_age.count() != 0 && Clock::now() - at.created > max_age) expire_snapshots();
  switch (at.phase.load(std::memory_order_acquire)) {
    case SnapshotState::Phase::kOpen:
      return Status::ok();
    case SnapshotState::Phase::kReleased:
      return Status::snapshot_expired("the snapshot at revision " + std::to_string(at.revision) + " was released");
    case SnapshotState::Phase::kExpired:
      break;
  }
  return Status::snapshot_expired("the snapshot at revision " + std::to_string(at.revision) +
                                  " is older than Options::max_snapshot_age (" + std::to_string(max_age.count()) +
                                  " ms)");
}

// ---- reads at a revision ----

Result<SnapshotPtr> StoreCore::get_at(const SnapshotState& at, std::string_view id) const {
  SnapshotPtr found;
  {
    ReadLock state(state_mutex_, /*write=*/false);
    if (Status s = check_snapshot(at); !s) return s;
    {
      // The writer records the old version before installing the new one,
      // under this accessor: seeing the new one means the record is there.
      Table::const_accessor acc;
      if (const_cast<Table&>(table_).find(acc, IdProbe(id)) && acc->second->revision <= at.revision) found = acc->second;
    }
    if (!found) found = history_.find_at(id, at.revision);
    // A prune that overlapped this read expired the snapshot first.
    if (Status s = check_snapshot(at); !s) return s;
  }
  if (!found) return Status::document_not_found("id \"" + std::string(id) + "\" at revision " + std::to_string(at.revision));
  return found;
}

Result<SnapshotPtr> StoreCore::read_listed_at(const SnapshotState& at, std::string_view id) const {
  auto found = get_at(at, id);
  // Listed documents exist at the snapshot; NotFound cannot happen, but if
  // it did it would mean the document is gone, as for a store cursor.
  if (!found && found.status().code() == StatusCode::kDocumentNotFound) {
    return Status::document_deleted("id \"" + std::string(id) + "\"");
  }
  return found;
}

StoreCore::IndexPtr StoreCore::index_at(std::string_view name, std::uint64_t revision) const {
  if (IndexPtr idx = find_index(name)) {
    const auto created = index_created_.find(name);
    if (created == index_created_.end() || created->second <= revision) return idx;
  }
  for (const auto& dropped : dropped_indexes_) {
    if (dropped.name == name && dropped.created <= revision && revision < dropped.dropped) return dropped.index;
  }
  return nullptr;
}

Result<Snapshots> StoreCore::find_at(const SnapshotState& at, std::string_view index, const std::vector<Value>* equal,
                                     const std::vector<Value>& min, const std::vector<Value>& max) const {
  const std::uint64_t r = at.revision;
  Snapshots live;
  std::vector<index::IndexHistory::Entry> ended;
  IndexPtr idx;
  {
    ReadLock state(state_mutex_, /*write=*/false);
    if (Status s = check_snapshot(at); !s) return s;
    idx = index_at(index, r);
    if (!idx) {
      return Status::index_not_found("index " + quoted_name(index) + " at revision " + std::to_string(r));
    }
    // The live entries first, then the ended ones: a writer records an
    // entry's end before it changes the entry, so an entry missed here
    // because it moved is found there (perhaps twice: merged below).
    live = equal ? idx->find_equal(*equal) : idx->find_range(min, max);
    ended = equal ? idx->history().find_equal_at(*equal, r) : idx->history().find_range_at(min, max, r);
    if (Status s = check_snapshot(at); !s) return s;
  }
  std::erase_if(live, [r](const SnapshotPtr& doc) { return doc->revision > r; });
  if (ended.empty()) return live;
  const auto by_id = [](const SnapshotPtr& a, const SnapshotPtr& b) { return a->id.view() < b->id.view(); };
  const auto same_id = [](const SnapshotPtr& a, const SnapshotPtr& b) { return a->id.view() == b->id.view(); };
  if (equal) {
    // One key: both lists are in id order, and merge without reading keys.
    Snapshots found;
    found.reserve(live.size() + ended.size());
    Snapshots old;
    old.reserve(ended.size());
    for (auto& e : ended) old.push_back(std::move(e.doc));
    std::merge(live.begin(), live.end(), old.begin(), old.end(), std::back_inserter(found), by_id);
    found.erase(std::unique(found.begin(), found.end(), same_id), found.end());
    return found;
  }

  // Both in index order; merge them by (key, id), each document once.
  std::vector<index::IndexHistory::Entry> all;
  all.reserve(live.size() + ended.size());
  for (auto& doc : live) {
    auto key = idx->key_of(view_of(*doc));
    if (key) all.push_back(index::IndexHistory::Entry{std::move(*key), std::move(doc), 0});
  }
  std::move(ended.begin(), ended.end(), std::back_inserter(all));
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    if (const int c = index::compare_keys(a.key, b.key); c != 0) return c < 0;
    return a.doc->id.view() < b.doc->id.view();
  });
  Snapshots found;
  found.reserve(all.size());
  for (auto& e : all) {
    if (!found.empty() && found.back()->id.view() == e.doc->id.view()) continue;
    found.push_back(std::move(e.doc));
  }
  return found;
}

Result<Snapshots> StoreCore::lookup_at(const SnapshotState& at, std::string_view index,
                                       const std::vector<Value>& values) const {
  static const std::vector<Value> kNone;
  return find_at(at, index, &values, kNone, kNone);
}

Result<Snapshots> StoreCore::lookup_range_at(const SnapshotState& at, std::string_view index,
                                             const std::vector<Value>& min, const std::vector<Value>& max) const {
  return find_at(at, index, nullptr, min, max);
}

Snapshots StoreCore::collect_at(std::uint64_t revision) const {
  Snapshots docs;
  docs.reserve(table_.size());
  for (const auto& [id, snapshot] : table_) {
    if (snapshot->revision <= revision) docs.push_back(snapshot);
  }
  history_.collect_at(revision, docs);
  return docs;
}

Result<Stream> StoreCore::stream_at(const SnapshotState& at) const {
  Snapshots docs;
  {
    ReadLock state(state_mutex_, /*write=*/true);
    if (Status s = check_snapshot(at); !s) return s;
    docs = collect_at(at.revision);
  }
  sort_snapshots_by_id(docs);
  return Stream(std::make_shared<StreamState>(std::move(docs), false));
}

Result<Cursor> StoreCore::read_at(std::shared_ptr<const SnapshotState> at) const {
  Snapshots docs;
  {
    ReadLock state(state_mutex_, /*write=*/true);
    if (Status s = check_snapshot(*at); !s) return s;
    docs = collect_at(at->revision);
  }
  sort_snapshots_by_id(docs);
  std::vector<std::string> ids;
  ids.reserve(docs.size());
  for (const auto& doc : docs) ids.push_back(doc->id.str());
  return Cursor(std::make_unique<CursorState>(
      shared_from_this(), std::make_shared<const std::vector<std::string>>(std::move(ids)), 0, std::move(at)));
}

Result<Cursor> StoreCore::read_index_at(std::shared_ptr<const SnapshotState> at, std::string_view name) const {
  auto members = lookup_range_at(*at, name, {}, {});
  if (!members) return members.status();
  std::vector<std::string> ids;
  ids.reserve(members->size());
  for (const auto& doc : *members) ids.push_back(doc->id.str());
  return Cursor(std::make_unique<CursorState>(
      shared_from_this(), std::make_shared<const std::vector<std::string>>(std::move(ids)), 0, std::move(at)));
}

}  // namespace engine

// ---- the public Snapshot ----

namespace {

template <typename Doc>
Result<std::vector<Doc>> deliver_at(Result<engine::Snapshots> found) {
  if (!found) return found.status();
  return engine::StoreCore::deliver_all<Doc>(std::move(*found));
}

Status released() { return Status::snapshot_expired("the snapshot was released"); }

}  // namespace

Snapshot::Snapshot() = default;
Snapshot::Snapshot(std::shared_ptr<engine::SnapshotState> state) : state_(std::move(state)) {}
Snapshot::Snapshot(Snapshot&&) noexcept = default;

Snapshot& Snapshot::operator=(Snapshot&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
  }
  return *this;
}

Snapshot::~Snapshot() { release(); }

std::uint64_t Snapshot::revision() const noexcept { return state_ ? state_->revision : 0; }

// Keeps state_: another thread may be reading through this snapshot, and
// its reads now answer SnapshotExpired.
void Snapshot::release() {
  if (state_) state_->core->release_snapshot(*state_);
}

Result<DocumentResult> Snapshot::get(std::string_view id) const {
  if (!state_) return released();
  auto found = state_->core->get_at(*state_, id);
  if (!found) return found.status();
  return engine::StoreCore::to_result(**found);
}

Result<DocumentView> Snapshot::get_view(std::string_view id) const {
  if (!state_) return released();
  auto found = state_->core->get_at(*state_, id);
  if (!found) return found.status();
  return engine::StoreCore::to_view(std::move(*found));
}

Result<std::vector<DocumentResult>> Snapshot::lookup(std::string_view index, const IndexKey& values) const {
  if (!state_) return released();
  return deliver_at<DocumentResult>(state_->core->lookup_at(*state_, index, values.values()));
}

Result<std::vector<DocumentResult>> Snapshot::lookup_range(std::string_view index, const IndexKey& min,
                                                           const IndexKey& max) const {
  if (!state_) return released();
  return deliver_at<DocumentResult>(state_->core->lookup_range_at(*state_, index, min.values(), max.values()));
}

Result<std::vector<DocumentView>> Snapshot::lookup_view(std::string_view index, const IndexKey& values) const {
  if (!state_) return released();
  return deliver_at<DocumentView>(state_->core->lookup_at(*state_, index, values.values()));
}

Result<std::vector<DocumentView>> Snapshot::lookup_range_view(std::string_view index, const IndexKey& min,
                                                              const IndexKey& max) const {
  if (!state_) return released();
  return deliver_at<DocumentView>(state_->core->lookup_range_at(*state_, index, min.values(), max.values()));
}

Result<Stream> Snapshot::stream() const {
  if (!state_) return released();
  return state_->core->stream_at(*state_);
}

Result<Cursor> Snapshot::read() const {
  if (!state_) return released();
  return state_->core->read_at(state_);
}

Result<Cursor> Snapshot::read_index(std::string_view name) const {
  if (!state_) return released();
  return state_->core->read_index_at(state_, name);
}

Result<Snapshot> Store::snapshot() const {
  if (!core_) return Status::store_closed();
  return core_->snapshot();
}

SnapshotStats Store::snapshot_stats() const {
  if (!core_) return {};
  return core_->snapshot_stats();
}

}  // namespace snapstore
