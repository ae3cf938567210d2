// OrderedIndex (see ordered_index.h).
#include "index/ordered_index.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <mutex>

#include "codec/byte_prefix.h"

namespace snapstore::index {

OrderedIndex::OrderedIndex(std::string name, std::vector<std::string> fields)
    : name_(std::move(name)), fields_(std::move(fields)), paths_(parse_field_paths(fields_)) {}

void OrderedIndex::replace(const std::optional<Key>& old_key, std::optional<Key> new_key, const SnapshotPtr& doc) {
  std::unique_lock lock(mutex_);
  replace_locked(old_key, std::move(new_key), doc);
}

void OrderedIndex::apply(std::vector<Change> changes) {
  std::unique_lock lock(mutex_);
  for (Change& change : changes) replace_locked(change.old_key, std::move(change.new_key), change.doc);
}

void OrderedIndex::replace_locked(const std::optional<Key>& old_key, std::optional<Key> new_key,
                                  const SnapshotPtr& doc) {
  const bool same_key = old_key && new_key && compare_keys(*old_key, *new_key) == 0;
  if (old_key) {
    // Equal keys of other types (5 and 5.0) are one position in the order;
    // a search by (key, id) finds the entry whichever was stored.
    const auto it = entries_.find(EntryProbe{*old_key, doc->id});
    if (it != entries_.end()) {
      if (same_key) {
        it->doc = doc;
        return;
      }
      entries_.erase(it);
    }
  }
  if (new_key) entries_.insert(Entry{std::move(*new_key), doc});
}

namespace {

// A 64-bit summary of a key for sorting: the class of its first value in the
// top byte, then 7 bytes that order values within the class. A smaller
// summary means an earlier key; equal summaries decide nothing unless both
// are `exact`, which means equal summaries imply equal keys. Sorting the
// summaries, contiguous in memory, avoids most comparisons of the keys
// themselves, each of which chases pointers into the heap.
struct SortSummary {
  std::uint64_t bits = 0;
  bool exact = false;
};

constexpr int kSummaryShift = 56;
constexpr std::uint64_t kSummaryLowMask = (std::uint64_t{1} << kSummaryShift) - 1;

SortSummary summarize_number(double d, bool representable, bool single) {
  constexpr std::uint64_t kSign = std::uint64_t{1} << 63;
  constexpr std::uint64_t kClass = std::uint64_t{3} << kSummaryShift;
  // NaN sorts after every other number, and all NaNs are equal.
  if (std::isnan(d)) return {kClass | kSummaryLowMask, single};
  if (d == 0) d = 0.0;  // -0.0 == 0.0 in the order
  const auto raw = std::bit_cast<std::uint64_t>(d);
  // The IEEE bits, made to sort as unsigned integers in numeric order.
  const std::uint64_t ordered = (raw & kSign) != 0 ? ~raw : (raw | kSign);
  return {kClass | (ordered >> 8), single && representable && (ordered & 0xFF) == 0};
}

SortSummary summarize(const Key& key) {
  if (key.empty()) return {0, true};
  const Value& v = key.front();
  const bool single = key.size() == 1;
  switch (v.type()) {
    case ValueType::kNull:
      return {std::uint64_t{1} << kSummaryShift, single};
    case ValueType::kBool:
      return {(std::uint64_t{2} << kSummaryShift) | (v.as_bool() ? 1U : 0U), single};
    case ValueType::kInt: {
      const std::int64_t i = v.as_int();
      constexpr std::int64_t kExactDouble = std::int64_t{1} << 53;
      return summarize_number(static_cast<double>(i), i >= -kExactDouble && i <= kExactDouble, single);
    }
    case ValueType::kUint:  // only above INT64_MAX: never an exact double
      return summarize_number(static_cast<double>(v.as_uint()), false, single);
    case ValueType::kDouble:
      return summarize_number(v.as_double(), true, single);
    case ValueType::kString: {
      // The first 7 bytes, zero-padded: bytewise order is kept. Without NUL
      // bytes a string of up to 7 bytes is all there in its summary.
      const std::string& s = v.as_string();
      std::uint64_t bits = std::uint64_t{4} << kSummaryShift;
      for (std::size_t i = 0; i < 7; ++i) {
        const std::uint64_t byte = i < s.size() ? static_cast<unsigned char>(s[i]) : 0U;
        bits |= byte << (8 * (6 - i));
      }
      return {bits, single && s.size() <= 7 && s.find('\0') == std::string::npos};
    }
    case ValueType::kBinary:
      return {std::uint64_t{5} << kSummaryShift, false};
    case ValueType::kArray:
      return {std::uint64_t{6} << kSummaryShift, false};
    case ValueType::kObject:
      return {std::uint64_t{7} << kSummaryShift, false};
  }
  return {~std::uint64_t{0}, false};
}

}  // namespace

void OrderedIndex::sort_entries(std::vector<Entry>& entries) {
  // Keys compare by their summaries, ids by their prefixes; the entries
  // themselves are touched only where both tie.
  struct Item {
    std::uint64_t bits;
    codec::BytePrefix id_prefix;
    std::size_t position;
    bool exact;
  };
  std::vector<Item> items;
  items.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const SortSummary summary = summarize(entries[i].key);
    items.push_back(Item{summary.bits, codec::byte_prefix(entries[i].id()), i, summary.exact});
  }
  std::sort(items.begin(), items.end(), [&entries](const Item& a, const Item& b) {
    if (a.bits != b.bits) return a.bits < b.bits;
    if (!a.exact || !b.exact) {
      if (const int c = compare_keys(entries[a.position].key, entries[b.position].key); c != 0) return c < 0;
    }
    if (a.id_prefix != b.id_prefix) return a.id_prefix < b.id_prefix;
    return entries[a.position].id() < entries[b.position].id();
  });
  std::vector<Entry> sorted;
  sorted.reserve(entries.size());
  for (const Item& item : items) sorted.push_back(std::move(entries[item.position]));
  entries = std::move(sorted);
}

void OrderedIndex::bulk_load(std::vector<Entry> entries) {
  sort_entries(entries);
  std::vector<std::vector<Entry>> runs;
  runs.push_back(std::move(entries));
  bulk_load_sorted(std::move(runs));
}

void OrderedIndex::bulk_load_sorted(std::vector<std::vector<Entry>> runs) {
  const EntryOrder order;
  auto less = [&order](const Entry& a, const Entry& b) { return order(a, b) < 0; };
  // A min-heap of run positions by their next entry; a handful of runs (one
  // per loading thread), so the heap stays tiny.
  struct Head {
    std::vector<Entry>* run;
    std::size_t next;
  };
  auto later = [&less](const Head& a, const Head& b) { return less((*b.run)[b.next], (*a.run)[a.next]); };
  std::vector<Head> heads;
  for (auto& run : runs) {
    assert(std::is_sorted(run.begin(), run.end(), less));
    if (!run.empty()) heads.push_back(Head{&run, 0});
  }
  std::make_heap(heads.begin(), heads.end(), later);
  std::unique_lock lock(mutex_);
  assert(entries_.empty());
  while (!heads.empty()) {
    std::pop_heap(heads.begin(), heads.end(), later);
    Head& head = heads.back();
    entries_.insert(entries_.end(), std::move((*head.run)[head.next]));
    if (++head.next < head.run->size()) {
      std::push_heap(heads.begin(), heads.end(), later);
    } else {
      heads.pop_back();
    }
  }
}

OrderedIndex::Snapshots OrderedIndex::find_equal(const Key& values) const {
  Snapshots found;
  if (values.size() != fields_.size()) return found;
  for (const auto& v : values) {
    if (v.is_null()) return found;
  }
  std::shared_lock lock(mutex_);
  auto it = entries_.lower_bound(ExactProbe{values});
  for (; it != entries_.end() && compare_keys(it->key, values) == 0; ++it) found.push_back(it->doc);
  return found;
}

OrderedIndex::Snapshots OrderedIndex::find_range(const Key& min, const Key& max) const {
  Snapshots found;
  std::shared_lock lock(mutex_);
  auto it = min.empty() ? entries_.begin() : entries_.lower_bound(BoundProbe{min});
  for (; it != entries_.end(); ++it) {
    if (!max.empty() && compare_to_bound(it->key, max) > 0) break;
    found.push_back(it->doc);
  }
  return found;
}

std::vector<std::string> OrderedIndex::all_ids() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> ids;
  ids.reserve(entries_.size());
  for (const auto& e : entries_) ids.emplace_back(e.id());
  return ids;
}

std::size_t OrderedIndex::size() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

}  // namespace snapstore::index
