// OrderedIndex: entries in key-then-id order, exact and range searches with
// prefix and empty bounds, moves, bulk loading.
#include "index/ordered_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <random>

namespace snapstore::index {
namespace {

using Ids = std::vector<std::string>;

// A document version with this id (the index reads only the id of what it holds).
value::SnapshotPtr doc(const std::string& id) {
  return value::Snapshot::make(id, {}, 1, 1);
}

Ids ids_of(const OrderedIndex::Snapshots& found) {
  Ids ids;
  for (const auto& snapshot : found) ids.push_back(snapshot->id.str());
  return ids;
}

class OrderedIndexTest : public ::testing::Test {
 protected:
  OrderedIndex idx_{"by_city_age", {"city", "age"}};

  void add(const std::string& id, const Key& key) { idx_.replace(std::nullopt, key, doc(id)); }
};

TEST_F(OrderedIndexTest, EqualMatchesWholeKeysOnly) {
  add("1", {"NY", 30});
  add("2", {"NY", 30.0});
  add("3", {"NY", 31});
  EXPECT_EQ(ids_of(idx_.find_equal({"NY", 30})), (Ids{"1", "2"}));
  EXPECT_EQ(ids_of(idx_.find_equal({"NY"})), Ids{});           // prefix: no match
  EXPECT_EQ(ids_of(idx_.find_equal({"NY", 30, 1})), Ids{});    // too long: no match
  EXPECT_EQ(ids_of(idx_.find_equal({"NY", nullptr})), Ids{});  // null never matches
  EXPECT_EQ(ids_of(idx_.find_equal({})), Ids{});
  EXPECT_EQ(ids_of(idx_.find_equal({"NY", "30"})), Ids{});  // other class
}

TEST_F(OrderedIndexTest, RangeIsInclusiveWithPrefixAndEmptyBounds) {
  add("a1", {"A", 10});
  add("a2", {"A", 20});
  add("a3", {"A", 30});
  add("b1", {"B", 15});
  add("b2", {"B", 25});
  add("c1", {"C", 5});
  EXPECT_EQ(ids_of(idx_.find_range({"A", 25}, {"B", 26})), (Ids{"a3", "b1", "b2"}));
  EXPECT_EQ(ids_of(idx_.find_range({"A"}, {"A"})), (Ids{"a1", "a2", "a3"}));
  EXPECT_EQ(ids_of(idx_.find_range({"A"}, {"B"})), (Ids{"a1", "a2", "a3", "b1", "b2"}));
  EXPECT_EQ(ids_of(idx_.find_range({"B"}, {"B", 20})), (Ids{"b1"}));
  EXPECT_EQ(ids_of(idx_.find_range({}, {})), (Ids{"a1", "a2", "a3", "b1", "b2", "c1"}));
  EXPECT_EQ(ids_of(idx_.find_range({"B"}, {})), (Ids{"b1", "b2", "c1"}));
  EXPECT_EQ(ids_of(idx_.find_range({}, {"A", 10})), (Ids{"a1"}));
  EXPECT_EQ(ids_of(idx_.find_range({"C"}, {"A"})), Ids{});  // min > max: empty
  EXPECT_EQ(ids_of(idx_.find_range({"A", 10}, {"A", 10})), (Ids{"a1"}));
}

TEST_F(OrderedIndexTest, ReplaceMovesAndRemoves) {
  add("x", {"A", 1});
  idx_.replace(Key{"A", 1}, Key{"B", 2}, doc("x"));
  EXPECT_EQ(ids_of(idx_.find_equal({"A", 1})), Ids{});
  EXPECT_EQ(ids_of(idx_.find_equal({"B", 2})), Ids{"x"});
  // Moving to an equal key of another type keeps one entry.
  idx_.replace(Key{"B", 2}, Key{"B", 2.0}, doc("x"));
  EXPECT_EQ(idx_.size(), 1U);
  idx_.replace(Key{"B", 2.0}, std::nullopt, doc("x"));
  EXPECT_EQ(idx_.size(), 0U);
}

// An update that keeps the key re-points the entry: lookups hand out the new
// version, and the index no longer holds the old one.
TEST_F(OrderedIndexTest, AnUnchangedKeyPointsAtTheNewVersion) {
  const auto v1 = doc("x");
  const auto v2 = value::Snapshot::make("x", {}, 2, 2);
  idx_.replace(std::nullopt, Key{"A", 1}, v1);
  idx_.replace(Key{"A", 1}, Key{"A", 1.0}, v2);
  const auto found = idx_.find_equal({"A", 1});
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0], v2);
  EXPECT_EQ(v1.use_count(), 1U);
  EXPECT_EQ(idx_.size(), 1U);
}

// A search counts its entries and takes one block of the exact size, not a
// vector grown by doubling (D116); the results stay in index order.
TEST_F(OrderedIndexTest, SearchesReserveExactlyWhatTheyFind) {
  for (int i = 0; i < 1000; ++i) add("d" + std::to_string(1000 + i), {"A", i % 3});
  const auto equal = idx_.find_equal({"A", 1});
  EXPECT_EQ(equal.size(), 333U);
  EXPECT_EQ(equal.capacity(), equal.size());
  const auto all = idx_.find_range({}, {});
  EXPECT_EQ(all.size(), 1000U);
  EXPECT_EQ(all.capacity(), all.size());
  const auto tail = idx_.find_range({"A", 2}, {});
  EXPECT_EQ(tail.size(), 333U);
  EXPECT_EQ(tail.capacity(), tail.size());
  Ids expected;
  for (int i = 1; i < 1000; i += 3) expected.push_back("d" + std::to_string(1000 + i));
  EXPECT_EQ(ids_of(equal), expected);
  EXPECT_TRUE(idx_.find_range({"B"}, {}).empty());
}

TEST_F(OrderedIndexTest, TiesComeInIdOrder) {
  add("c", {"A", 1});
  add("a", {"A", 1});
  add("b", {"A", 1});
  EXPECT_EQ(idx_.all_ids(), (Ids{"a", "b", "c"}));
}

TEST(OrderedIndexBulkTest, BulkLoadEqualsIncrementalInserts) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  OrderedIndex bulk("i", {"v"});
  OrderedIndex incremental("i", {"v"});
  std::vector<OrderedIndex::Entry> entries;
  for (int i = 0; i < 2000; ++i) {
    Value v;
    switch (rng() % 4) {
      case 0: v = static_cast<int>(rng() % 50); break;
      case 1: v = static_cast<double>(rng() % 50) / 2; break;
      case 2: {
        const char letter[2] = {static_cast<char>('a' + rng() % 26), '\0'};
        v = letter;
        break;
      }
      default: v = (rng() % 2) == 0; break;
    }
    const std::string id = std::to_string(i);
    entries.push_back({Key{v}, doc(id)});
    incremental.replace(std::nullopt, Key{v}, doc(id));
  }
  bulk.bulk_load(entries);
  EXPECT_EQ(bulk.all_ids(), incremental.all_ids());
  EXPECT_EQ(ids_of(bulk.find_range({10}, {20})), ids_of(incremental.find_range({10}, {20})));
}

// sort_entries orders by 64-bit summaries of the first value before it
// compares keys: values that share or nearly share a summary must still come
// out in the order of compare().
TEST(OrderedIndexBulkTest, EdgeValuesSortAsIncrementalInsertsOrderThem) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const double nan = std::nan("");
  const std::vector<Value> values = {
      0, 0.0, -0.0, 1, 1.0, -1, -1.5, 0.5, 1e-300, -1e-300, 1e300, -1e300, nan,
      std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
      (std::int64_t{1} << 53), (std::int64_t{1} << 53) + 1, (std::int64_t{1} << 60) + 1, (std::int64_t{1} << 60) + 2,
      static_cast<double>(std::int64_t{1} << 60), std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::uint64_t>::max(), std::numeric_limits<std::uint64_t>::max() - 1,
      1.0000000000000002, 1.0000000000000004, true, false, "", "a", std::string("a\0", 2), std::string("a\0b", 3),
      "abcdefg", "abcdefgh", "abcdefgi", "abcdef", std::string("abcdef\0", 7), "\xff\xff", Binary(std::vector<std::uint8_t>{1, 2}),
      Binary(std::vector<std::uint8_t>{1}), Array{1, 2}, Array{1}, Object{{"a", 1}}};
  OrderedIndex bulk("i", {"v"});
  OrderedIndex incremental("i", {"v"});
  OrderedIndex composite_bulk("c", {"v", "w"});
  OrderedIndex composite_incremental("c", {"v", "w"});
  std::vector<OrderedIndex::Entry> entries;
  std::vector<OrderedIndex::Entry> composite_entries;
  char id[16];
  for (int i = 0; i < 3000; ++i) {
    std::snprintf(id, sizeof id, "id-%05d", i);  // increasing ids
    const Value& v = values[rng() % values.size()];
    const Value w = static_cast<int>(rng() % 3);
    entries.push_back({Key{v}, doc(id)});
    composite_entries.push_back({Key{v, w}, doc(id)});
    incremental.replace(std::nullopt, Key{v}, doc(id));
    composite_incremental.replace(std::nullopt, Key{v, w}, doc(id));
  }
  // The sorted vectors themselves: a std::set would quietly repair a wrong
  // order when the entries are appended.
  auto expect_index_order = [](const std::vector<OrderedIndex::Entry>& sorted) {
    for (std::size_t i = 1; i < sorted.size(); ++i) {
      const int c = compare_keys(sorted[i - 1].key(), sorted[i].key());
      ASSERT_TRUE(c < 0 || (c == 0 && sorted[i - 1].id() < sorted[i].id()))
          << "entries " << sorted[i - 1].id() << " and " << sorted[i].id() << " out of order";
    }
  };
  OrderedIndex::sort_entries(entries);
  expect_index_order(entries);
  std::vector<OrderedIndex::Entry> composite_sorted = composite_entries;
  OrderedIndex::sort_entries(composite_sorted);
  expect_index_order(composite_sorted);
  std::vector<std::vector<OrderedIndex::Entry>> runs;
  runs.push_back(std::move(entries));
  bulk.bulk_load_sorted(std::move(runs));
  composite_bulk.bulk_load(std::move(composite_entries));
  EXPECT_EQ(bulk.all_ids(), incremental.all_ids());
  EXPECT_EQ(composite_bulk.all_ids(), composite_incremental.all_ids());
}

// Random inserts, moves and removals of edge-value keys, then every order
// and search answer against a plain list ordered and searched with
// compare_keys and compare_to_bound alone.
// Entries compare by summaries of key and id first (KeySummary, IdOrder):
// one-value keys, where summaries can decide equality, and two-value keys,
// where they never do; ids of every kind IdOrder knows.
class OrderedIndexModelTest : public ::testing::TestWithParam<std::size_t> {};

// Id number `n` as a canonical lowercase UUID, an uppercase one, a short
// id, or a long one whose first 16 bytes are shared with others.
std::string model_id(unsigned n) {
  char text[64];
  switch (n % 4) {
    case 0: std::snprintf(text, sizeof text, "0190a1b2-c3d4-7e5f-8a9b-%012x", n * 2654435761U); break;
    case 1: std::snprintf(text, sizeof text, "0190A1B2-C3D4-7E5F-8A9B-%012X", n); break;
    case 2: std::snprintf(text, sizeof text, "id-%u", n); break;
    default: std::snprintf(text, sizeof text, "shared-16-bytes-%u", n % 7); break;
  }
  return text;
}

TEST_P(OrderedIndexModelTest, InsertsRemovesAndSearchesAgreeWithPlainKeyComparison) {
  const std::size_t width = GetParam();
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed) + ", keys of " + std::to_string(width));
  std::mt19937 rng(seed);
  const double nan = std::nan("");
  const std::vector<Value> values = {
      0, 0.0, -0.0, 1, 1.0, -1, 0.5, 1e300, -1e300, nan, std::numeric_limits<double>::infinity(),
      (std::int64_t{1} << 53) + 1, static_cast<double>(std::int64_t{1} << 53), std::numeric_limits<std::uint64_t>::max(),
      std::numeric_limits<std::int64_t>::min(), true, false, "", "a", std::string("a\0", 2), "abcdefg", "abcdefgh",
      "abcdefgi", std::string("abcdefg\0", 8), "\xff", Binary(std::vector<std::uint8_t>{1}), Array{1}, Object{{"a", 1}}};
  auto random_value = [&] { return values[rng() % values.size()]; };
  auto random_key = [&] {
    Key key;
    for (std::size_t i = 0; i < width; ++i) key.push_back(random_value());
    return key;
  };
  OrderedIndex idx("i", width == 1 ? std::vector<std::string>{"v"} : std::vector<std::string>{"v", "w"});
  std::map<std::string, Key> reference;  // id -> key
  for (int step = 0; step < 4000; ++step) {
    const std::string id = model_id(static_cast<unsigned>(rng() % 600));
    const auto found = reference.find(id);
    const std::optional<Key> old_key = found == reference.end() ? std::nullopt : std::optional<Key>(found->second);
    if (old_key && rng() % 4 == 0) {
      idx.replace(old_key, std::nullopt, doc(id));
      reference.erase(id);
      continue;
    }
    Key key = random_key();
    idx.replace(old_key, key, doc(id));
    reference[id] = std::move(key);
  }
  std::vector<std::pair<Key, std::string>> ordered;
  for (const auto& [id, key] : reference) ordered.emplace_back(key, id);
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    const int c = compare_keys(a.first, b.first);
    return c != 0 ? c < 0 : a.second < b.second;
  });
  Ids expected_all;
  for (const auto& [key, id] : ordered) expected_all.push_back(id);
  ASSERT_EQ(idx.all_ids(), expected_all);

  for (int probe = 0; probe < 300; ++probe) {
    const Key exact = random_key();
    Ids expected_equal;
    if (std::none_of(exact.begin(), exact.end(), [](const Value& v) { return v.is_null(); })) {
      for (const auto& [key, id] : ordered) {
        if (compare_keys(key, exact) == 0) expected_equal.push_back(id);
      }
    }
    EXPECT_EQ(ids_of(idx.find_equal(exact)), expected_equal) << "exact " << exact[0];
    // Bounds of one or two values, or none.
    auto bound = [&] {
      Key b;
      for (std::size_t n = rng() % 3; n > 0; --n) b.push_back(random_value());
      return b;
    };
    const Key min = bound();
    const Key max = bound();
    Ids expected_range;
    for (const auto& [key, id] : ordered) {
      if ((min.empty() || compare_to_bound(key, min) >= 0) && (max.empty() || compare_to_bound(key, max) <= 0)) {
        expected_range.push_back(id);
      }
    }
    EXPECT_EQ(ids_of(idx.find_range(min, max)), expected_range) << "range of " << min.size() << " and " << max.size();
  }
}

INSTANTIATE_TEST_SUITE_P(KeyWidths, OrderedIndexModelTest, ::testing::Values(1, 2));

TEST(OrderedIndexBulkTest, SortedRunsMergeIntoTheSameIndexAsIncrementalInserts) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  OrderedIndex merged("i", {"v", "w"});
  OrderedIndex incremental("i", {"v", "w"});
  // Uneven runs, one of them empty, with equal keys (also 5 and 5.0) spread
  // across runs so that only the id breaks ties.
  std::vector<std::vector<OrderedIndex::Entry>> runs(5);
  for (int i = 0; i < 3000; ++i) {
    const Value v = (rng() % 2) == 0 ? Value(static_cast<int>(rng() % 20)) : Value(static_cast<double>(rng() % 20));
    const Key key{v, static_cast<int>(rng() % 3)};
    const std::string id = "doc-" + std::to_string(rng() % 100000) + "-" + std::to_string(i);
    runs[(rng() % 7) % 4].push_back({key, doc(id)});  // run 4 stays empty; run 0 gets the most
    incremental.replace(std::nullopt, key, doc(id));
  }
  for (auto& run : runs) {
    std::sort(run.begin(), run.end(), [](const auto& a, const auto& b) { return a.id() < b.id(); });
    OrderedIndex::sort_entries(run);
  }
  merged.bulk_load_sorted(std::move(runs));
  EXPECT_EQ(merged.size(), 3000U);
  EXPECT_EQ(merged.all_ids(), incremental.all_ids());
  EXPECT_EQ(ids_of(merged.find_range({5}, {12, 1})), ids_of(incremental.find_range({5}, {12, 1})));
}

}  // namespace
}  // namespace snapstore::index
