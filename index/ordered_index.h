// OrderedIndex: one named composite index, an ordered set of (key, document
// version) entries. Each entry holds the Snapshot its key was read from, so a
// lookup hands out the documents it finds without a second search by id, and
// every document it returns has the key it was found by. Entries sort by key
// (compare_keys) and then by id, so results come in index order with ties in
// id order. The set is a B-tree (absl::btree_set): entries sit side by side
// in nodes of a few hundred bytes rather than one heap node each.
//
// Thread safety: every method may be called concurrently; readers share the
// index's lock, writers hold it exclusively for one entry change. The engine
// calls the writers while it holds the document's exclusive accessor, so the
// changes of one document reach the index in the document's write order.
//
// A unique index also keeps the keys that writes in flight have claimed
// (reserve()): a writer checks and claims its keys under the index's lock
// before its WAL commit and releases them after installing its entries, so
// two writers can never both pass the check for one key (DECISIONS D71).
// A partial index (IndexOptions::partial) leaves out documents its
// predicate does not match: key_of and key_in answer nullopt for them.
#pragma once

#include <absl/container/btree_set.h>
#include <absl/types/compare.h>

#include <map>

#include <cassert>
#include <cstddef>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/page_allocator.h"
#include "value/snapshot.h"
#include "index/held_key.h"
#include "index/id_order.h"
#include "index/index_history.h"
#include "index/key.h"
#include "index/key_summary.h"
#include "index/predicate.h"
#include "snapstore/index_options.h"

namespace snapstore::index {

class OrderedIndex {
 public:
  using SnapshotPtr = value::SnapshotPtr;
  using Snapshots = value::Snapshots;

  struct Entry {
    // Copies the values only where the summary does not hold them.
    Entry(KeyValues entry_key, SnapshotPtr version)
        : doc(std::move(version)), summary(entry_key), id_order(doc->id.view()) {
      if (!summary.exact()) own_key = HeldKey::copy_of(entry_key);
    }
    // With the id's order already computed: a write computes it once for
    // all of its indexes (IdOrder(doc->id.view()) is the only right value).
    Entry(KeyValues entry_key, SnapshotPtr version, const IdOrder& order)
        : doc(std::move(version)), summary(entry_key), id_order(order) {
      if (!summary.exact()) own_key = HeldKey::copy_of(entry_key);
    }
    // Moves them instead; `entry_key` keeps its capacity for the next key.
    Entry(Key&& entry_key, SnapshotPtr version)
        : doc(std::move(version)), summary(entry_key), id_order(doc->id.view()) {
      if (!summary.exact()) own_key = HeldKey::moved_from(entry_key);
    }
    Entry(Key&& entry_key, SnapshotPtr version, const IdOrder& order)
        : doc(std::move(version)), summary(entry_key), id_order(order) {
      if (!summary.exact()) own_key = HeldKey::moved_from(entry_key);
    }

    // The key, held only where the summary does not hold it whole: most
    // single-value keys (small numbers, short strings) need no block.
    HeldKey own_key;
    // The version the key was read from. Mutable: an update that keeps the
    // key re-points its entry in place (the order depends on the id only).
    mutable SnapshotPtr doc;
    // The order of the key and of the id, kept in the node: most
    // comparisons end here, without a trip to the key's values or to the
    // snapshot for the id.
    KeySummary summary;
    IdOrder id_order;

    std::string_view id() const noexcept { return doc->id.view(); }
    // The key (for an exact summary, one equal to it under compare_keys).
    Key key() const {
      if (summary.exact()) return Key{summary.value()};
      return Key(own_key.values().begin(), own_key.values().end());
    }
    // fn(the key's values), with no copy of a held key and no allocation
    // for a rebuilt one. Entries never have empty keys (an index has fields).
    template <typename Fn>
    int with_key(Fn fn) const noexcept {
      if (!summary.exact()) {
        assert(own_key);
        return fn(own_key.values());
      }
      const Value value = summary.value();
      return fn(KeyValues(&value, 1));
    }
  };

  OrderedIndex(std::string name, std::vector<std::string> fields, IndexOptions options = {});

  const std::string& name() const noexcept { return name_; }
  const std::vector<std::string>& fields() const noexcept { return fields_; }
  const IndexOptions& options() const noexcept { return options_; }
  bool unique() const noexcept { return options_.unique; }

  // The document's key in this index, or nullopt when it is not a member
  // (a field missing or null, or the partial predicate not matched).
  std::optional<Key> key_of(const ValueView& doc) const {
    if (!predicate_.matches(doc)) return std::nullopt;
    return extract_key(doc, paths_);
  }
  // The same, in place in `doc` or in `scratch` (see key_values): what a
  // write hands to replace() without building a key the entry may not keep.
  std::optional<KeyValues> key_in(const Object& doc, Key& scratch) const {
    if (!predicate_.matches(doc)) return std::nullopt;
    return key_values(doc, paths_, scratch);
  }
  std::optional<KeyValues> key_in(const ValueView& doc, Key& scratch) const {
    if (!predicate_.matches(doc)) return std::nullopt;
    return key_values(doc, paths_, scratch);
  }

  // A key a write will give document `id` in a unique index.
  struct Claim {
    Key key;
    std::string id;
  };
  // Why reserve() refused: claims[claim] collides with the key of `holder`,
  // an entry's or another writer's document, or with claims[other] of the
  // same write when `other` is set.
  struct Clash {
    std::size_t claim = 0;
    std::string holder;
    std::optional<std::size_t> other;
  };
  // Under the index's lock, checks every claim against the other claims,
  // the entries (except those of `movers`, the documents this write changes
  // or removes, whose keys it replaces) and the keys other writes in flight
  // have reserved; reserves them all when none collides, else nothing.
  // `movers` must be sorted.
  std::optional<Clash> reserve(const std::vector<Claim>& claims, const std::vector<std::string_view>& movers);
  // Drops reservations reserve() made for these claims.
  void unreserve(const std::vector<Claim>& claims);
  // Two members with one key (the first in index order), if any: a unique
  // index built over existing documents must have none.
  std::optional<std::pair<std::string, std::string>> first_duplicate(Key* key = nullptr) const;

  // Moves a document from `old_key` to `new_key` in one step; either may be
  // nullopt (not a member before or after). `doc` is the version `new_key`
  // was read from (for a removal, any version: only its id is used). With
  // equal keys the entry stays where it is and points at `doc`.
  void replace(std::optional<KeyValues> old_key, std::optional<KeyValues> new_key, const SnapshotPtr& doc);
  // The same with the order of doc's id, IdOrder(doc->id.view()), computed
  // by the caller once for every index the write changes.
  void replace(std::optional<KeyValues> old_key, std::optional<KeyValues> new_key, const SnapshotPtr& doc,
               const IdOrder& id_order);

  // One document's move, as replace() takes it. The keys' values belong to
  // the caller and must outlive apply(): a span made from a temporary
  // std::optional<Key> does not.
  struct Change {
    std::optional<KeyValues> old_key;
    std::optional<KeyValues> new_key;
    SnapshotPtr doc;
    // IdOrder(doc->id.view()) when the caller has it; else apply() computes it.
    std::optional<IdOrder> id_order = std::nullopt;
  };
  // Applies a batch's changes in order under one acquisition of the lock, so
  // a lookup sees all of them or none (DESIGN.md invariant 7).
  void apply(std::vector<Change> changes);

  // Sorts entries with distinct ids, in any order, into index order (key,
  // then id): what bulk_load_sorted takes. Loaders call it on their own
  // threads, so runs sort in parallel.
  static void sort_entries(std::vector<Entry>& entries);

  // One entry's place in a ranked run: its summaries, copied from it so
  // that sorting and merging compare compact items side by side, and its
  // position among the run's entries.
  struct Ranked {
    KeySummary summary;
    IdOrder id_order;
    std::size_t position;
  };
  // Entries in any order and, in index order, where each is: what a loading
  // thread hands to bulk_load_ranked without moving an entry. Both vectors
  // are mappings of their own (base::PageAllocator), so a worker thread's
  // malloc arena keeps nothing of them after the build (DECISIONS D111).
  using RunEntries = std::vector<Entry, base::PageAllocator<Entry>>;
  using Ranking = std::vector<Ranked, base::PageAllocator<Ranked>>;
  struct RankedRun {
    RunEntries entries;
    Ranking ranking;
  };
  // Ranks run.entries, which have distinct ids (as sort_entries orders them).
  static void rank(RankedRun& run);

  // Fills an empty index from ranked runs, merging them in one pass; each
  // entry is moved once, from its run into the set.
  void bulk_load_ranked(std::vector<RankedRun> runs);

  // Fills an empty index from unsorted entries: sorts once, then builds,
  // which is far cheaper than inserting one at a time.
  void bulk_load(std::vector<Entry> entries);

  // Fills an empty index from runs each already in index order (see
  // sort_entries), merging them in one pass: every entry is appended at the
  // end of the set, which costs amortized constant time, not a search.
  void bulk_load_sorted(std::vector<std::vector<Entry>> runs);

  // The documents whose key equals `values` exactly (same length, no nulls),
  // in index order, as the index holds them at one instant.
  Snapshots find_equal(const Key& values) const;
  // The documents whose key lies in [min, max] with compare_to_bound
  // semantics; an empty bound is unbounded on its side. Index order.
  Snapshots find_range(const Key& min, const Key& max) const;
  // What find_equal / find_range would find, counted at one instant
  // without copying an entry (no SnapshotPtr is touched): the documents, the
  // distinct keys among them when `distinct_keys` asks (one more key
  // comparison per entry), and the index's size at that instant.
  struct Tally {
    std::size_t documents = 0;
    std::size_t keys = 0;
    std::size_t entries = 0;
  };
  Tally tally_equal(const Key& values, bool distinct_keys) const;
  Tally tally_range(const Key& min, const Key& max, bool distinct_keys) const;

  // Every member id in index order.
  std::vector<std::string> all_ids() const;

  std::size_t size() const;

  // The entries this index ended while a point-in-time snapshot was open
  // (the engine records and prunes them; see index_history.h).
  IndexHistory& history() const noexcept { return history_; }

 private:
  // Heterogeneous probes for set searches. The set is ordered by full key,
  // and both "key equals" and "key against a prefix bound" are monotone in
  // that order, so lower_bound with them is well defined.
  struct EntryProbe {  // one entry: key and id
    EntryProbe(KeyValues entry_key, std::string_view entry_id)
        : key(entry_key), id(entry_id), summary(entry_key), id_order(entry_id) {}
    EntryProbe(KeyValues entry_key, std::string_view entry_id, const IdOrder& order)
        : key(entry_key), id(entry_id), summary(entry_key), id_order(order) {}
    KeyValues key;
    std::string_view id;
    KeySummary summary;
    IdOrder id_order;
  };
  struct ExactProbe {
    explicit ExactProbe(const Key& values) : key(values), summary(values) {}
    const Key& key;
    KeySummary summary;
  };
  // Never of an empty bound: its summary would put every key after it,
  // where compare_to_bound answers 0. find_range takes an empty bound as
  // "unbounded" and makes no probe of it.
  struct BoundProbe {
    explicit BoundProbe(const Key& values) : bound(values), summary(values) { assert(!values.empty()); }
    const Key& bound;
    KeySummary summary;
  };
  // Three-way comparisons: the B-tree then compares each key once per step.
  struct EntryOrder {
    using is_transparent = void;
    // Summaries first; the keys' values and the ids (in the snapshots) are
    // read only where the summaries cannot tell.
    absl::weak_ordering operator()(const Entry& a, const Entry& b) const noexcept {
      return as_ordering(keys_then_ids(
          a.summary, a.id_order, b.summary, b.id_order, [&] { return compare_entry_keys(a, b); },
          [&] { return a.id().compare(b.id()); }));
    }
    absl::weak_ordering operator()(const Entry& e, const EntryProbe& p) const noexcept {
      return as_ordering(keys_then_ids(
          e.summary, e.id_order, p.summary, p.id_order,
          [&] { return e.with_key([&](KeyValues k) { return compare_keys(k, p.key); }); },
          [&] { return e.id().compare(p.id); }));
    }
    absl::weak_ordering operator()(const EntryProbe& p, const Entry& e) const noexcept {
      return reverse((*this)(e, p));
    }
    absl::weak_ordering operator()(const Entry& e, const ExactProbe& p) const noexcept {
      return as_ordering(
          keys(e.summary, p.summary, [&] { return e.with_key([&](KeyValues k) { return compare_keys(k, p.key); }); }));
    }
    absl::weak_ordering operator()(const ExactProbe& p, const Entry& e) const noexcept {
      return reverse((*this)(e, p));
    }
    absl::weak_ordering operator()(const Entry& e, const BoundProbe& p) const noexcept {
      return as_ordering(keys(e.summary, p.summary,
                              [&] { return e.with_key([&](KeyValues k) { return compare_to_bound(k, p.bound); }); }));
    }
    absl::weak_ordering operator()(const BoundProbe& p, const Entry& e) const noexcept {
      return reverse((*this)(e, p));
    }

    static int compare_entry_keys(const Entry& a, const Entry& b) noexcept {
      return a.with_key([&](KeyValues x) { return b.with_key([&](KeyValues y) { return compare_keys(x, y); }); });
    }
    // -1, 0 or 1: by the summaries if they tell, else by `compare_values`.
    // Summaries order keys as compare_keys does and prefix bounds as
    // compare_to_bound does, since both are decided by the first value
    // whenever the first values differ.
    template <typename CompareValues>
    static int keys(KeySummary a, KeySummary b, CompareValues compare_values) noexcept {
      const int c = KeySummary::compare(a, b);
      return c != KeySummary::kUndecided ? c : compare_values();
    }
    // The entries' order: keys, then ids, each by its summary where that
    // tells, else by the function that reads the values or the ids.
    template <typename CompareValues, typename CompareIds>
    static int keys_then_ids(KeySummary key_a, const IdOrder& id_a, KeySummary key_b, const IdOrder& id_b,
                             CompareValues compare_values, CompareIds compare_ids) noexcept {
      if (const int c = keys(key_a, key_b, compare_values); c != 0) return c;
      const int c = IdOrder::compare(id_a, id_b);
      return c != IdOrder::kUndecided ? c : compare_ids();
    }
    static absl::weak_ordering reverse(absl::weak_ordering o) noexcept {
      return o < 0 ? absl::weak_ordering::greater : o > 0 ? absl::weak_ordering::less : o;
    }
    static absl::weak_ordering as_ordering(int c) noexcept {
      return c < 0 ? absl::weak_ordering::less : c > 0 ? absl::weak_ordering::greater : absl::weak_ordering::equivalent;
    }
  };
  using Entries = absl::btree_set<Entry, EntryOrder>;

  // The ranking of `count` entries with distinct ids.
  static Ranking ranking_of(const Entry* entries, std::size_t count);
  // Sorts items by their summaries' order bits alone (stable).
  static void radix_sort_by_summary(Ranking& ranking);
  // -1, 0 or 1 as two ranked entries (x at a, y at b) compare in index order.
  static int compare_ranked(const Ranked& a, const Entry& x, const Ranked& b, const Entry& y) noexcept;

  // Appends the `count` documents of [first, last) to the empty `found`,
  // reserved once (D116). Needs mutex_.
  static void copy_docs(Entries::const_iterator first, Entries::const_iterator last, std::size_t count,
                        Snapshots& found);
  // Counts the entries in [first, last) into `tally`. Needs mutex_.
  static void tally_between(Entries::const_iterator first, Entries::const_iterator last, bool distinct_keys,
                            Tally& tally);

  // replace() for a caller that holds mutex_ exclusively.
  void replace_locked(std::optional<KeyValues> old_key, std::optional<KeyValues> new_key, const SnapshotPtr& doc,
                      const IdOrder& id_order);

  struct KeyLess {
    bool operator()(const Key& a, const Key& b) const noexcept { return compare_keys(a, b) < 0; }
  };

  const std::string name_;
  const std::vector<std::string> fields_;
  const std::vector<FieldPath> paths_;
  const IndexOptions options_;
  const Predicate predicate_;

  mutable std::shared_mutex mutex_;
  Entries entries_;  // guarded by mutex_
  // Unique indexes: keys claimed by writes in flight, with the claiming
  // document's id. Guarded by mutex_.
  std::multimap<Key, std::string, KeyLess> reserved_;
  mutable IndexHistory history_;
};

// 48 bytes (the snapshot pointer is 8 since D99): five entries to a B-tree
// node of absl's 256-byte target (DECISIONS D7).
static_assert(sizeof(OrderedIndex::Entry) == 48);

}  // namespace snapstore::index
