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
#include <string_view>
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
  // Probes for lower_bound: keys equal to `key`, keys at or after a bound,
  // and one document's entries under one key from an end revision on.
  struct EqualProbe {
    const Key& key;
  };
  struct BoundProbe {
    const Key& bound;
  };
  struct GroupProbe {
    const Key& key;
    std::string_view id;
    std::uint64_t end;
  };
  struct Order {
    using is_transparent = void;
    bool operator()(const Entry& a, const Entry& b) const noexcept;
    bool operator()(const Entry& e, const EqualProbe& p) const noexcept { return compare_keys(e.key, p.key) < 0; }
    bool operator()(const EqualProbe& p, const Entry& e) const noexcept { return compare_keys(e.key, p.key) > 0; }
    bool operator()(const Entry& e, const BoundProbe& p) const noexcept { return compare_to_bound(e.key, p.bound) < 0; }
    bool operator()(const BoundProbe& p, const Entry& e) const noexcept { return compare_to_bound(e.key, p.bound) > 0; }
    bool operator()(const Entry& e, const GroupProbe& p) const noexcept { return compare(e, p) < 0; }
    bool operator()(const GroupProbe& p, const Entry& e) const noexcept { return compare(e, p) > 0; }
    static int compare(const Entry& e, const GroupProbe& p) noexcept;
  };
  using Entries = std::multiset<Entry, Order>;

  // Appends the entry of each document valid at `revision` from `it` on,
  // while `in_bounds(key)`. One document's entries under one key sit side
  // by side in end order and at most one is valid at a revision, so a long
  // run of them (a document updated many times while a snapshot is open)
  // is crossed by two seeks instead of being read entry by entry.
  template <typename InBounds>
  void collect_at(Entries::const_iterator it, std::uint64_t revision, InBounds in_bounds,
                  std::vector<Entry>& found) const;

  mutable std::mutex mutex_;
  Entries entries_;  // guarded by mutex_
};

}  // namespace snapstore::index
