// IndexHistory: the entries an index no longer holds but an open
// point-in-time snapshot may still need (engine/snapshot_history.h holds the
// documents' side). When a write removes a document from an index, moves it
// to another key or re-points its entry at a new version while a snapshot is
// open, the engine first records (old key, old version, end revision) here;
// a lookup at revision R then adds the entries with
// version.revision <= R < end to the live entries with revision <= R.
// Entries sort like the index's (key, then id), so a lookup reads a range.
//
// Thread safety: every method may be called concurrently (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <vector>

#include "index/key.h"
#include "value/snapshot.h"

namespace snapstore::index {

class IndexHistory {
 public:
  // One ended entry: the key `doc` had in the index until revision `end`.
  struct Entry {
    Key key;
    value::SnapshotPtr doc;
    std::uint64_t end = 0;
  };

  // Records that `doc`'s entry under `key` ended at revision `end`.
  void add(KeyValues key, value::SnapshotPtr doc, std::uint64_t end);

  // The entries valid at `revision` whose key equals `values`, or lies in
  // [min, max] (compare_to_bound; an empty bound is unbounded), in index
  // order.
  std::vector<Entry> find_equal_at(const Key& values, std::uint64_t revision) const;
  std::vector<Entry> find_range_at(const Key& min, const Key& max, std::uint64_t revision) const;

  // Drops the entries no snapshot at `oldest` or later needs (end <= oldest).
  void prune(std::uint64_t oldest);
  void clear();
  std::size_t size() const;

 private:
  // Probes for lower_bound: keys equal to `key`, keys at or after a bound.
  struct EqualProbe {
    const Key& key;
  };
  struct BoundProbe {
    const Key& bound;
  };
  struct Order {
    using is_transparent = void;
    bool operator()(const Entry& a, const Entry& b) const noexcept;
    bool operator()(const Entry& e, const EqualProbe& p) const noexcept { return compare_keys(e.key, p.key) < 0; }
    bool operator()(const EqualProbe& p, const Entry& e) const noexcept { return compare_keys(e.key, p.key) > 0; }
    bool operator()(const Entry& e, const BoundProbe& p) const noexcept { return compare_to_bound(e.key, p.bound) < 0; }
    bool operator()(const BoundProbe& p, const Entry& e) const noexcept { return compare_to_bound(e.key, p.bound) > 0; }
  };

  mutable std::mutex mutex_;
  std::multiset<Entry, Order> entries_;  // guarded by mutex_
};

}  // namespace snapstore::index
