// IndexHistory: ended index entries kept for open snapshots (see the header).
#include "index/index_history.h"


namespace snapstore::index {
namespace {

bool valid_at(const IndexHistory::Entry& e, std::uint64_t revision) {
  return e.doc->revision <= revision && revision < e.end;
}

}  // namespace

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

std::vector<IndexHistory::Entry> IndexHistory::find_equal_at(const Key& values, std::uint64_t revision) const {
  std::vector<Entry> found;
  std::lock_guard lock(mutex_);
  auto it = entries_.lower_bound(EqualProbe{values});
  for (; it != entries_.end() && compare_keys(it->key, values) == 0; ++it) {
    if (valid_at(*it, revision)) found.push_back(*it);
  }
  return found;
}

std::vector<IndexHistory::Entry> IndexHistory::find_range_at(const Key& min, const Key& max,
                                                             std::uint64_t revision) const {
  std::vector<Entry> found;
  std::lock_guard lock(mutex_);
  auto it = min.empty() ? entries_.begin() : entries_.lower_bound(BoundProbe{min});
  for (; it != entries_.end(); ++it) {
    if (!max.empty() && compare_to_bound(it->key, max) > 0) break;
    if (valid_at(*it, revision)) found.push_back(*it);
  }
  return found;
}

void IndexHistory::prune(std::uint64_t oldest) {
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [oldest](const Entry& e) { return e.end <= oldest; });
}

void IndexHistory::clear() {
  std::multiset<Entry, Order> dropped;
  std::lock_guard lock(mutex_);
  dropped.swap(entries_);
}

std::size_t IndexHistory::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace snapstore::index
