// The engine's side of point-in-time snapshots (Store::snapshot()):
// SnapshotState, what a snapshot is behind snapstore::Snapshot, and
// DocumentHistory, the document versions that writes replaced or removed
// while a snapshot was open (index/index_history.h keeps the index side).
//
// A document's versions have disjoint lifetimes [revision, end): the current
// one is open-ended, each historical one ended at the write that replaced or
// removed it. A read at revision R takes the current version when its
// revision <= R, else the historical version alive at R, else nothing (the
// document was inserted after R or removed at or before R).
//
// Thread safety: DocumentHistory's methods may be called concurrently (a
// mutex per shard); SnapshotState's phase is atomic, the rest is immutable.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "value/snapshot.h"

namespace snapstore::engine {

class StoreCore;

// Behind snapstore::Snapshot (and the cursors made from one).
struct SnapshotState {
  enum class Phase : std::uint8_t { kOpen, kReleased, kExpired };

  SnapshotState(std::shared_ptr<StoreCore> owner, std::uint64_t at, std::uint64_t number,
                std::chrono::steady_clock::time_point when)
      : core(std::move(owner)), revision(at), ticket(number), created(when) {}

  const std::shared_ptr<StoreCore> core;  // keeps the engine alive past the Store object
  const std::uint64_t revision;           // what the snapshot reads at
  const std::uint64_t ticket;             // its key in the store's registry
  const std::chrono::steady_clock::time_point created;
  // Written under the registry's mutex; read by every snapshot read.
  std::atomic<Phase> phase{Phase::kOpen};
};

class DocumentHistory {
 public:
  // Records that `old` (the document's version until now) ended at `end`.
  void add(value::SnapshotPtr old, std::uint64_t end);
  // The version of `id` alive at `revision` among the recorded ones, or null.
  value::SnapshotPtr find_at(std::string_view id, std::uint64_t revision) const;
  // Appends every recorded version alive at `revision`.
  void collect_at(std::uint64_t revision, value::Snapshots& out) const;
  // Drops the versions no snapshot at `oldest` or later needs (end <= oldest).
  void prune(std::uint64_t oldest);
  void clear() { prune(UINT64_MAX); }

  std::size_t versions() const { return versions_.load(std::memory_order_relaxed); }
  std::size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  // What one pinned version is counted as: its encoding and its record.
  static std::size_t bytes_of(const value::Snapshot& s) { return sizeof(value::Snapshot) + s.bytes().size(); }

 private:
  struct Version {
    value::SnapshotPtr doc;
    std::uint64_t end = 0;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const noexcept { return std::hash<std::string_view>{}(id); }
  };
  struct Shard {
    mutable std::mutex mutex;
    // id -> its ended versions, oldest first. guarded by mutex
    std::unordered_map<std::string, std::vector<Version>, Hash, std::equal_to<>> versions;
  };
  static constexpr std::size_t kShards = 16;
  Shard& shard_of(std::string_view id) const { return shards_[Hash{}(id) % kShards]; }

  mutable std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> versions_{0};
  std::atomic<std::size_t> bytes_{0};
};

}  // namespace snapstore::engine
