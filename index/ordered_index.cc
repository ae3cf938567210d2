// OrderedIndex (see ordered_index.h).
#include "index/ordered_index.h"

#include <algorithm>
#include <cassert>
#include <mutex>

namespace snapstore::index {

bool OrderedIndex::EntryLess::operator()(const Entry& a, const Entry& b) const noexcept {
  if (const int c = compare_keys(a.key, b.key); c != 0) return c < 0;
  return a.id < b.id;
}

OrderedIndex::OrderedIndex(std::string name, std::vector<std::string> fields)
    : name_(std::move(name)), fields_(std::move(fields)), paths_(parse_field_paths(fields_)) {}

void OrderedIndex::replace(const std::optional<Key>& old_key, std::optional<Key> new_key, const std::string& id) {
  if (old_key && new_key && compare_keys(*old_key, *new_key) == 0) return;
  std::unique_lock lock(mutex_);
  if (old_key) {
    // Equal keys of other types (5 and 5.0) are one position in the order;
    // erase by (key, id) finds the entry whichever was stored.
    const auto it = entries_.find(Entry{*old_key, id});
    if (it != entries_.end()) entries_.erase(it);
  }
  if (new_key) entries_.insert(Entry{std::move(*new_key), id});
}

void OrderedIndex::sort_entries(std::vector<Entry>& entries) { std::sort(entries.begin(), entries.end(), EntryLess{}); }

void OrderedIndex::bulk_load(std::vector<Entry> entries) {
  sort_entries(entries);
  std::vector<std::vector<Entry>> runs;
  runs.push_back(std::move(entries));
  bulk_load_sorted(std::move(runs));
}

void OrderedIndex::bulk_load_sorted(std::vector<std::vector<Entry>> runs) {
  const EntryLess less;
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

std::vector<std::string> OrderedIndex::find_equal(const Key& values) const {
  std::vector<std::string> ids;
  if (values.size() != fields_.size()) return ids;
  for (const auto& v : values) {
    if (v.is_null()) return ids;
  }
  std::shared_lock lock(mutex_);
  const ExactProbe probe{values};
  auto it = entries_.lower_bound(probe);
  for (; it != entries_.end() && compare_keys(it->key, values) == 0; ++it) ids.push_back(it->id);
  return ids;
}

std::vector<std::string> OrderedIndex::find_range(const Key& min, const Key& max) const {
  std::vector<std::string> ids;
  std::shared_lock lock(mutex_);
  auto it = min.empty() ? entries_.begin() : entries_.lower_bound(BoundProbe{min});
  for (; it != entries_.end(); ++it) {
    if (!max.empty() && compare_to_bound(it->key, max) > 0) break;
    ids.push_back(it->id);
  }
  return ids;
}

std::vector<std::string> OrderedIndex::all_ids() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> ids;
  ids.reserve(entries_.size());
  for (const auto& e : entries_) ids.push_back(e.id);
  return ids;
}

std::size_t OrderedIndex::size() const {
  std::shared_lock lock(mutex_);
  return entries_.size();
}

}  // namespace snapstore::index
