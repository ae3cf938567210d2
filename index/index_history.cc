// IndexHistory: ended index entries kept for open snapshots (see the header).
#include "index/index_history.h"

#include <iterator>
#include <limits>

namespace snapstore::index {

bool IndexHistory::Order::operator()(const Entry& a, const Entry& b) const noexcept {
  if (const int c = compare_keys(a.key, b.key); c != 0) return c < 0;
  if (const int c = a.doc->id.view().compare(b.doc->id.view()); c != 0) return c < 0;
  return a.end < b.end;
}

void IndexHistory::add(KeyValues key, value::SnapshotPtr doc, std::uint64_t end) {
  Entry entry{Key(key.begin(), key.end()), std::move(doc), end};
  std::lock_guard lock(mutex_);
  entries_.insert(std::move(entry));
}

int IndexHistory::Order::compare(const Entry& e, const GroupProbe& p) noexcept {
  if (const int c = compare_keys(e.key, p.key); c != 0) return c;
  if (const int c = e.doc->id.view().compare(p.id); c != 0) return c;
  return e.end < p.end ? -1 : e.end > p.end ? 1 : 0;
}

template <typename InBounds>
void IndexHistory::collect_at(Entries::const_iterator it, std::uint64_t revision, InBounds in_bounds,
                              std::vector<Entry>& found) const {
  constexpr std::uint64_t kLast = std::numeric_limits<std::uint64_t>::max();
  auto same_group = [](const Entry& a, const Entry& b) {
    return a.doc->id == b.doc->id && compare_keys(a.key, b.key) == 0;
  };
  while (it != entries_.end() && in_bounds(it->key)) {
    const Entry& entry = *it;
    const auto next = std::next(it);
    const bool run = next != entries_.end() && same_group(*next, entry);
    if (entry.end <= revision) {
      // Ended at or before `revision`: the group's valid entry, if any, is
      // the first to end after it.
      it = run && revision < kLast ? entries_.lower_bound(GroupProbe{entry.key, entry.doc->id.view(), revision + 1})
                                   : next;
      continue;
    }
    if (entry.doc->revision <= revision) found.push_back(entry);
    // Every later entry of the group began after this one ended.
    it = run ? entries_.upper_bound(GroupProbe{entry.key, entry.doc->id.view(), kLast}) : next;
  }
}

std::vector<IndexHistory::Entry> IndexHistory::find_equal_at(const Key& values, std::uint64_t revision) const {
  std::vector<Entry> found;
  std::lock_guard lock(mutex_);
  collect_at(entries_.lower_bound(EqualProbe{values}), revision,
             [&values](const Key& key) { return compare_keys(key, values) == 0; }, found);
  return found;
}

std::vector<IndexHistory::Entry> IndexHistory::find_range_at(const Key& min, const Key& max,
                                                             std::uint64_t revision) const {
  std::vector<Entry> found;
  std::lock_guard lock(mutex_);
  collect_at(min.empty() ? entries_.begin() : entries_.lower_bound(BoundProbe{min}), revision,
             [&max](const Key& key) { return max.empty() || compare_to_bound(key, max) <= 0; }, found);
  return found;
}

void IndexHistory::prune(std::uint64_t oldest) {
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [oldest](const Entry& e) { return e.end <= oldest; });
}

void IndexHistory::clear() {
  Entries dropped;
  std::lock_guard lock(mutex_);
  dropped.swap(entries_);
}

std::size_t IndexHistory::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace snapstore::index
