// OrderedIndex: one named composite index, an ordered set of (key, document
// id) entries. Entries sort by key (compare_keys) and then by id, so results
// come in index order with ties in id order.
//
// Thread safety: every method may be called concurrently; readers share the
// index's lock, writers hold it exclusively for one entry change. The engine
// calls the writers while it holds the document's exclusive accessor, so the
// changes of one document reach the index in the document's write order.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "index/key.h"

namespace snapstore::index {

class OrderedIndex {
 public:
  struct Entry {
    Key key;
    std::string id;
  };

  OrderedIndex(std::string name, std::vector<std::string> fields);

  const std::string& name() const noexcept { return name_; }
  const std::vector<std::string>& fields() const noexcept { return fields_; }

  // The document's key in this index, or nullopt when it is not a member.
  std::optional<Key> key_of(const Object& doc) const { return extract_key(doc, paths_); }
  std::optional<Key> key_of(const ValueView& doc) const { return extract_key(doc, paths_); }

  // Moves document `id` from `old_key` to `new_key` in one step; either may be
  // nullopt (not a member before or after). Equal keys change nothing.
  void replace(const std::optional<Key>& old_key, std::optional<Key> new_key, const std::string& id);

  // Sorts entries with distinct ids, in any order, into index order (key,
  // then id): what bulk_load_sorted takes. Loaders call it on their own
  // threads, so runs sort in parallel.
  static void sort_entries(std::vector<Entry>& entries);

  // Fills an empty index from unsorted entries: sorts once, then builds,
  // which is far cheaper than inserting one at a time.
  void bulk_load(std::vector<Entry> entries);

  // Fills an empty index from runs each already in index order (see
  // sort_entries), merging them in one pass: every entry is appended at the
  // end of the set, which costs amortized constant time, not a search.
  void bulk_load_sorted(std::vector<std::vector<Entry>> runs);

  // Ids whose key equals `values` exactly (same length, no nulls), in index order.
  std::vector<std::string> find_equal(const Key& values) const;
  // Ids whose key lies in [min, max] with compare_to_bound semantics; an
  // empty bound is unbounded on its side. Index order.
  std::vector<std::string> find_range(const Key& min, const Key& max) const;
  // Every member id in index order.
  std::vector<std::string> all_ids() const;

  std::size_t size() const;

 private:
  // Heterogeneous probes for set searches. The set is ordered by full key,
  // and both "key equals" and "key against a prefix bound" are monotone in
  // that order, so lower_bound with them is well defined.
  struct ExactProbe {
    const Key& key;
  };
  struct BoundProbe {
    const Key& bound;
  };
  struct EntryLess {
    using is_transparent = void;
    bool operator()(const Entry& a, const Entry& b) const noexcept;
    bool operator()(const Entry& e, const ExactProbe& p) const noexcept { return compare_keys(e.key, p.key) < 0; }
    bool operator()(const ExactProbe& p, const Entry& e) const noexcept { return compare_keys(e.key, p.key) > 0; }
    bool operator()(const Entry& e, const BoundProbe& p) const noexcept { return compare_to_bound(e.key, p.bound) < 0; }
    bool operator()(const BoundProbe& p, const Entry& e) const noexcept { return compare_to_bound(e.key, p.bound) > 0; }
  };

  const std::string name_;
  const std::vector<std::string> fields_;
  const std::vector<FieldPath> paths_;

  mutable std::shared_mutex mutex_;
  std::set<Entry, EntryLess> entries_;  // guarded by mutex_
};

}  // namespace snapstore::index
