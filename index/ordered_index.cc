// OrderedIndex (see ordered_index.h).
#include "index/ordered_index.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <mutex>
#include <utility>

namespace snapstore::index {

OrderedIndex::OrderedIndex(std::string name, std::vector<std::string> fields, IndexOptions options)
    : name_(std::move(name)),
      fields_(std::move(fields)),
      paths_(parse_field_paths(fields_)),
      options_(std::move(options)),
      predicate_(options_.partial) {}

std::optional<OrderedIndex::Clash> OrderedIndex::reserve(const std::vector<Claim>& claims,
                                                         const std::vector<std::string_view>& movers) {
  // Claims of one write against each other first: sorted by key, equal
  // neighbours collide (a batch giving two documents one key).
  if (claims.size() > 1) {
    std::vector<std::size_t> order(claims.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&claims](std::size_t a, std::size_t b) {
      const int c = compare_keys(claims[a].key, claims[b].key);
      return c != 0 ? c < 0 : a < b;
    });
    for (std::size_t i = 1; i < order.size(); ++i) {
      if (compare_keys(claims[order[i - 1]].key, claims[order[i]].key) == 0) {
        return Clash{order[i], claims[order[i - 1]].id, order[i - 1]};
      }
    }
  }
  const EntryOrder order;
  std::unique_lock lock(mutex_);
  for (std::size_t c = 0; c < claims.size(); ++c) {
    const ExactProbe probe(claims[c].key);
    for (auto it = entries_.lower_bound(probe); it != entries_.end() && order(*it, probe) == 0; ++it) {
      if (!std::binary_search(movers.begin(), movers.end(), it->id())) return Clash{c, std::string(it->id()), {}};
    }
    if (const auto held = reserved_.find(claims[c].key); held != reserved_.end()) return Clash{c, held->second, {}};
  }
  for (const Claim& claim : claims) reserved_.emplace(claim.key, claim.id);
  return std::nullopt;
}

void OrderedIndex::unreserve(const std::vector<Claim>& claims) {
  std::unique_lock lock(mutex_);
  for (const Claim& claim : claims) {
    auto [it, end] = reserved_.equal_range(claim.key);
    for (; it != end; ++it) {
      if (it->second == claim.id) {
        reserved_.erase(it);
        break;
      }
    }
  }
}

std::optional<std::pair<std::string, std::string>> OrderedIndex::first_duplicate(Key* key) const {
  std::shared_lock lock(mutex_);
  const Entry* previous = nullptr;
  for (const Entry& entry : entries_) {
    if (previous != nullptr && EntryOrder::compare_entry_keys(*previous, entry) == 0) {
      if (key != nullptr) *key = entry.key();
      return std::make_pair(std::string(previous->id()), std::string(entry.id()));
    }
    previous = &entry;
  }
  return std::nullopt;
}

void OrderedIndex::replace(std::optional<KeyValues> old_key, std::optional<KeyValues> new_key, const SnapshotPtr& doc) {
  replace(old_key, new_key, doc, IdOrder(doc->id.view()));
}

void OrderedIndex::replace(std::optional<KeyValues> old_key, std::optional<KeyValues> new_key, const SnapshotPtr& doc,
                           const IdOrder& id_order) {
  std::unique_lock lock(mutex_);
  replace_locked(old_key, new_key, doc, id_order);
}

void OrderedIndex::apply(std::vector<Change> changes) {
  std::unique_lock lock(mutex_);
  for (const Change& change : changes) {
    replace_locked(change.old_key, change.new_key, change.doc,
                   change.id_order ? *change.id_order : IdOrder(change.doc->id.view()));
  }
}

void OrderedIndex::replace_locked(std::optional<KeyValues> old_key, std::optional<KeyValues> new_key,
                                  const SnapshotPtr& doc, const IdOrder& id_order) {
  const bool same_key = old_key && new_key && compare_keys(*old_key, *new_key) == 0;
  if (old_key) {
    // Equal keys of other types (5 and 5.0) are one position in the order;
    // a search by (key, id) finds the entry whichever was stored.
    const auto it = entries_.find(EntryProbe(*old_key, doc->id, id_order));
    if (it != entries_.end()) {
      if (same_key) {
        it->doc = doc;
        return;
      }
      entries_.erase(it);
    }
  }
  // Tried at the end first: keys that grow with every write (a sequence, a
  // timestamp) then go in after one comparison with the last entry instead
  // of a descent; any other key pays that comparison and then descends.
  if (new_key) entries_.insert(entries_.end(), Entry{*new_key, doc, id_order});
}

void OrderedIndex::rank(RankedRun& run) { run.ranking = ranking_of(run.entries.data(), run.entries.size()); }

OrderedIndex::Ranking OrderedIndex::ranking_of(const Entry* all, std::size_t count) {
  // Sorts compact items, contiguous in memory, by the entries' summaries;
  // the entries themselves are touched only where those tie.
  Ranking ranking;
  ranking.reserve(count);
  for (std::size_t i = 0; i < count; ++i) ranking.push_back(Ranked{all[i].summary, all[i].id_order, i});
  const auto less = [&all](const Ranked& a, const Ranked& b) {
    return compare_ranked(a, all[a.position], b, all[b.position]) < 0;
  };
  // A small run: one comparison sort.
  constexpr std::size_t kRadixMinimum = 1024;
  if (ranking.size() < kRadixMinimum) {
    std::sort(ranking.begin(), ranking.end(), less);
    return ranking;
  }
  // A large one: a radix sort by the summaries' order bits (the bytes every
  // item shares cost no pass; a key over a field of small integers or
  // short codes varies in a few), then a comparison sort of each run of
  // equal bits, which only keys the summaries cannot tell apart and ties
  // broken by id need.
  radix_sort_by_summary(ranking);
  for (std::size_t first = 0; first < ranking.size();) {
    const std::uint64_t bits = ranking[first].summary.order_bits();
    std::size_t last = first + 1;
    while (last < ranking.size() && ranking[last].summary.order_bits() == bits) ++last;
    if (last - first > 1) std::sort(ranking.begin() + first, ranking.begin() + last, less);
    first = last;
  }
  return ranking;
}

void OrderedIndex::radix_sort_by_summary(Ranking& ranking) {
  // Least significant byte first; each pass is stable, so after the last
  // one the items are in the order of the whole 64 bits.
  constexpr std::size_t kBytes = sizeof(std::uint64_t);
  std::vector<std::array<std::size_t, 256>> counts(kBytes);
  for (auto& count : counts) count.fill(0);
  for (const Ranked& item : ranking) {
    const std::uint64_t bits = item.summary.order_bits();
    for (std::size_t b = 0; b < kBytes; ++b) ++counts[b][(bits >> (8 * b)) & 0xff];
  }
  Ranking other;
  for (std::size_t b = 0; b < kBytes; ++b) {
    auto& count = counts[b];
    const std::uint64_t any = (ranking.front().summary.order_bits() >> (8 * b)) & 0xff;
    if (count[any] == ranking.size()) continue;  // every item has this byte
    if (other.empty()) other.resize(ranking.size(), ranking.front());
    std::size_t offset = 0;
    for (std::size_t& c : count) offset += std::exchange(c, offset);
    for (const Ranked& item : ranking) other[count[(item.summary.order_bits() >> (8 * b)) & 0xff]++] = item;
    ranking.swap(other);
  }
}

void OrderedIndex::sort_entries(std::vector<Entry>& entries) {
  const Ranking ranking = ranking_of(entries.data(), entries.size());
  std::vector<Entry> sorted;
  sorted.reserve(entries.size());
  for (const Ranked& item : ranking) sorted.push_back(std::move(entries[item.position]));
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

void OrderedIndex::bulk_load_ranked(std::vector<RankedRun> runs) {
  // bulk_load_sorted's merge, comparing the rankings' items (contiguous,
  // read in order) and reading an entry only to move it or break a tie.
  struct Head {
    RankedRun* run;
    std::size_t next;
    const Ranked& item() const noexcept { return run->ranking[next]; }
    const Entry& entry() const noexcept { return run->entries[item().position]; }
  };
  auto later = [](const Head& a, const Head& b) {
    return compare_ranked(b.item(), b.entry(), a.item(), a.entry()) < 0;
  };
  std::vector<Head> heads;
  for (auto& run : runs) {
    if (!run.ranking.empty()) heads.push_back(Head{&run, 0});
  }
  std::make_heap(heads.begin(), heads.end(), later);
  std::unique_lock lock(mutex_);
  assert(entries_.empty());
  while (!heads.empty()) {
    std::pop_heap(heads.begin(), heads.end(), later);
    Head& head = heads.back();
    // The entry a few places on in this run is in no cache yet: it was
    // written in table order, and is read in index order.
    constexpr std::size_t kAhead = 8;
    if (head.next + kAhead < head.run->ranking.size()) {
      __builtin_prefetch(&head.run->entries[head.run->ranking[head.next + kAhead].position], 1);
    }
    entries_.insert(entries_.end(), std::move(head.run->entries[head.item().position]));
    if (++head.next < head.run->ranking.size()) {
      std::push_heap(heads.begin(), heads.end(), later);
    } else {
      heads.pop_back();
    }
  }
}

int OrderedIndex::compare_ranked(const Ranked& a, const Entry& x, const Ranked& b, const Entry& y) noexcept {
  return EntryOrder::keys_then_ids(
      a.summary, a.id_order, b.summary, b.id_order, [&] { return EntryOrder::compare_entry_keys(x, y); },
      [&] { return x.id().compare(y.id()); });
}

OrderedIndex::Snapshots OrderedIndex::find_equal(const Key& values) const {
  Snapshots found;
  if (values.size() != fields_.size()) return found;
  for (const auto& v : values) {
    if (v.is_null()) return found;
  }
  const ExactProbe probe(values);
  const EntryOrder order;
  std::shared_lock lock(mutex_);
  const auto first = entries_.lower_bound(probe);
  auto last = first;
  std::size_t count = 0;
  for (; last != entries_.end() && order(*last, probe) == 0; ++last) ++count;
  copy_docs(first, last, count, found);
  return found;
}

OrderedIndex::Snapshots OrderedIndex::find_range(const Key& min, const Key& max) const {
  Snapshots found;
  // An empty bound is no bound, and gets no probe.
  const std::optional<BoundProbe> lower = min.empty() ? std::nullopt : std::optional<BoundProbe>(min);
  const std::optional<BoundProbe> upper = max.empty() ? std::nullopt : std::optional<BoundProbe>(max);
  const EntryOrder order;
  std::shared_lock lock(mutex_);
  const auto first = lower ? entries_.lower_bound(*lower) : entries_.begin();
  auto last = first;
  std::size_t count = 0;
  for (; last != entries_.end() && !(upper && order(*last, *upper) > 0); ++last) ++count;
  copy_docs(first, last, count, found);
  return found;
}

// The lookups count their entries first and take one block of the exact
// size: growing by doubling made ~15 requests for 10k documents, the last
// ones large (a large request or free makes glibc consolidate its fastbins
// and may trim the heap), and held up to twice the pointers (D116).
void OrderedIndex::copy_docs(Entries::const_iterator first, Entries::const_iterator last, std::size_t count,
                             Snapshots& found) {
  found.reserve(count);
  for (; first != last; ++first) found.push_back(first->doc);
}

void OrderedIndex::tally_between(Entries::const_iterator first, Entries::const_iterator last, bool distinct_keys,
                                 Tally& tally) {
  if (first == last) return;
  tally.keys = 1;
  ++tally.documents;
  for (auto previous = first++; first != last; previous = first++) {
    ++tally.documents;
    // Entries sort by key, so a new key is one unequal to the one before;
    // the summaries tell most neighbours apart without reading their values.
    if (distinct_keys && EntryOrder::keys(previous->summary, first->summary, [&] {
          return EntryOrder::compare_entry_keys(*previous, *first);
        }) != 0) {
      ++tally.keys;
    }
  }
  if (!distinct_keys) tally.keys = 0;
}

OrderedIndex::Tally OrderedIndex::tally_equal(const Key& values, bool distinct_keys) const {
  Tally tally;
  const bool can_match =
      values.size() == fields_.size() && std::none_of(values.begin(), values.end(), [](const Value& v) { return v.is_null(); });
  std::shared_lock lock(mutex_);
  tally.entries = entries_.size();
  if (!can_match) return tally;
  const ExactProbe probe(values);
  tally_between(entries_.lower_bound(probe), entries_.upper_bound(probe), distinct_keys, tally);
  return tally;
}

OrderedIndex::Tally OrderedIndex::tally_range(const Key& min, const Key& max, bool distinct_keys) const {
  Tally tally;
  const std::optional<BoundProbe> lower = min.empty() ? std::nullopt : std::optional<BoundProbe>(min);
  const std::optional<BoundProbe> upper = max.empty() ? std::nullopt : std::optional<BoundProbe>(max);
  const EntryOrder order;
  std::shared_lock lock(mutex_);
  tally.entries = entries_.size();
  const auto first = lower ? entries_.lower_bound(*lower) : entries_.begin();
  // When the first entry from min on is already past max the range is
  // empty, and upper_bound(max) would lie before `first`.
  if (first == entries_.end() || (upper && order(*first, *upper) > 0)) return tally;
  tally_between(first, upper ? entries_.upper_bound(*upper) : entries_.end(), distinct_keys, tally);
  return tally;
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
