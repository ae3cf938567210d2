// create_index's build (D111): the table is listed and keyed on the
// machine's cores, each part ranked, the ranked runs merged into the index.
// Whatever the table holds, the index it builds equals the one inserts grow
// one document at a time: same members, same order (keys, then ids), for
// every key type, composite keys, missing fields and partial predicates; a
// unique index over duplicates is refused as before. Tables of 0, 1, 2 and a
// few thousand documents (past the size where the build goes parallel).
// Also OrderedIndex's ranked bulk load against replace(), with ids of every
// form (generated UUIDs, short and long text sharing long prefixes).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "index/ordered_index.h"
#include "snapstore/store.h"

namespace snapstore {
namespace {

// A value of one of the key types, drawn from a small pool so keys repeat
// (ties broken by id) and cross classes (numbers of all three kinds, strings
// held whole by the summary and strings sharing their first 7 bytes).
Value key_value(std::mt19937_64& rng) {
  switch (rng() % 12) {
    case 0:
      return Value(rng() % 2 == 0);
    case 1:
      return Value(static_cast<std::int64_t>(rng() % 7) - 3);
    case 2:
      return Value(static_cast<double>(rng() % 7) / 2 - 1.5);
    case 3:
      return Value(std::uint64_t{1} << 63 | rng() % 3);
    case 4:
      return Value(static_cast<std::int64_t>(rng() % 5) << 50);  // beyond the summary's exact integers
    case 5:
      return Value("s" + std::to_string(rng() % 9));
    case 6:
      return Value("a-long-shared-prefix-" + std::to_string(rng() % 5));
    case 7:
      return Value(std::string("nul\0byte", 8) + std::to_string(rng() % 2));
    case 8:
      return Value(Binary({static_cast<std::uint8_t>(rng() % 3), 7}));
    case 9:
      return Value(Array{static_cast<std::int64_t>(rng() % 3), "x"});
    case 10:
      return Value(Document{{"k", static_cast<std::int64_t>(rng() % 2)}});
    default:
      return Value(0.1 * static_cast<double>(rng() % 4));
  }
}

// Documents with a key field `a`, a second field `b`, sometimes missing or
// null, and a `group` for the partial index.
std::vector<Document> documents(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Document> docs;
  for (std::size_t i = 0; i < n; ++i) {
    Document doc{{"n", static_cast<std::int64_t>(i)}, {"group", static_cast<std::int64_t>(rng() % 3)}};
    if (rng() % 10 != 0) doc["a"] = key_value(rng);
    if (rng() % 10 == 0) doc["a"] = nullptr;
    if (rng() % 8 != 0) doc["b"] = key_value(rng);
    docs.push_back(std::move(doc));
  }
  return docs;
}

struct Definition {
  std::string name;
  std::vector<std::string> fields;
  IndexOptions options;
};

std::vector<Definition> definitions() {
  IndexOptions partial;
  partial.partial = IndexPredicate{"group", Value(std::int64_t{1})};
  return {
      {"by_a", {"a"}, {}}, {"by_a_b", {"a", "b"}, {}}, {"by_b_a", {"b", "a"}, {}}, {"by_a_grouped", {"a"}, partial}};
}

// The documents the index holds, as their `n`, in its order.
std::vector<std::int64_t> index_order(const Store& store, const std::string& index) {
  auto found = store.lookup_range(index, {}, {});
  EXPECT_TRUE(found) << index << ": " << found.status().message();
  std::vector<std::int64_t> order;
  if (found) {
    for (const auto& doc : *found) order.push_back(doc.data.at("n").as_int());
  }
  return order;
}

Store open() {
  auto store = Store::open_in_memory();
  EXPECT_TRUE(store) << store.status().message();
  return std::move(*store);
}

class IndexBuildTest : public ::testing::TestWithParam<std::size_t> {};

// Indexes created before the inserts grow one entry per insert; the same
// indexes created after them are built in bulk. Generated ids increase in
// insertion order (engine/id_generator.h), so with the inserts interleaved
// both stores order equal keys the same way, and the documents' `n` in
// index order must be the same sequence.
TEST_P(IndexBuildTest, BuildEqualsInsertsOneByOne) {
  const std::size_t n = GetParam();
  const std::vector<Document> docs = documents(n, 17 + n);
  Store grown = open();
  for (const Definition& d : definitions()) ASSERT_TRUE(grown.create_index(d.name, d.fields, d.options));
  Store built = open();
  for (const Document& doc : docs) {
    ASSERT_TRUE(grown.insert(doc));
    ASSERT_TRUE(built.insert(doc));
  }
  for (const Definition& d : definitions()) ASSERT_TRUE(built.create_index(d.name, d.fields, d.options)) << d.name;
  for (const Definition& d : definitions()) {
    const std::vector<std::int64_t> expected = index_order(grown, d.name);
    EXPECT_EQ(index_order(built, d.name), expected) << d.name;
    if (n >= 1000) {
      EXPECT_GT(expected.size(), n / 4) << d.name;  // the keys are mostly present
    }
  }
}

// A unique index over a table with duplicates is refused with the pair
// that comes first in index order, and the store keeps no such index.
TEST_P(IndexBuildTest, UniqueBuildRefusesTheFirstDuplicate) {
  const std::size_t n = GetParam();
  if (n < 2) GTEST_SKIP() << "needs two documents";
  Store store = open();
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < n; ++i) {
    // Distinct keys but two pairs: documents 0 and n-1 share "dup-b", and
    // for n > 2 documents 1 and n/2 share "dup-a", which sorts first.
    std::string email = "e" + std::to_string(i);
    if (i == 0 || i == n - 1) email = "dup-b";
    if (n > 2 && (i == 1 || i == n / 2)) email = "dup-a";
    auto r = store.insert(Document{{"email", email}, {"n", static_cast<std::int64_t>(i)}});
    ASSERT_TRUE(r);
    ids.push_back(r->id);
  }
  const std::uint64_t revision = store.revision();
  const Status s = store.create_index("by_email", {"email"}, IndexOptions{.unique = true});
  ASSERT_EQ(s.code(), StatusCode::kUniqueViolation) << s.message();
  const std::string first = n > 2 ? ids[1] : ids[0];
  const std::string second = n > 2 ? ids[n / 2] : ids[n - 1];
  const std::string key = n > 2 ? "[\"dup-a\"]" : "[\"dup-b\"]";
  EXPECT_EQ(s.message(), "unique index violation: index \"by_email\": id \"" + first + "\" and id \"" + second +
                             "\" both have the key " + key);
  ASSERT_TRUE(s.conflict());
  EXPECT_EQ(s.conflict()->document_id, first);
  EXPECT_EQ(s.conflict()->key, key);
  EXPECT_EQ(store.revision(), revision);
  EXPECT_EQ(store.lookup("by_email", {"e3"}).code(), StatusCode::kIndexNotFound);
  // Without the duplicates the same build succeeds.
  ASSERT_TRUE(store.remove(ids[0]));
  if (n > 2) {
    ASSERT_TRUE(store.remove(ids[1]));
  }
  ASSERT_TRUE(store.create_index("by_email", {"email"}, IndexOptions{.unique = true}));
  EXPECT_EQ(index_order(store, "by_email").size(), n - (n > 2 ? 2 : 1));
}

INSTANTIATE_TEST_SUITE_P(Sizes, IndexBuildTest, ::testing::Values(0, 1, 2, 3000, 6000));

// OrderedIndex alone: bulk_load (sort_entries, ranked, then the merge) and
// bulk_load_ranked over several runs give the order replace() gives, with
// ids of every form: canonical UUIDs (ordered by their bits), short text,
// and long text that shares its first 16 bytes (ordered by the rest).
TEST(OrderedIndexBuild, RankedLoadsEqualReplace) {
  std::mt19937_64 rng(99);
  for (const std::size_t n : {0, 1, 2, 3000}) {
    index::OrderedIndex grown("g", {"a", "b"});
    std::vector<index::OrderedIndex::Entry> all;
    std::vector<index::OrderedIndex::RankedRun> runs(3);
    std::vector<index::OrderedIndex::RunEntries> parts(3);
    for (std::size_t i = 0; i < n; ++i) {
      char uuid[64];
      std::snprintf(uuid, sizeof uuid, "%08x-0000-7000-8000-%012llx", static_cast<unsigned>(rng() % 50),
                    static_cast<unsigned long long>(i));
      std::string id;
      switch (i % 3) {
        case 0:
          id = uuid;
          break;
        case 1:
          id = "id" + std::to_string(rng() % 1000) + "-" + std::to_string(i);
          break;
        default:
          id = "a-very-long-common-prefix-" + std::to_string(i);
          break;
      }
      const index::Key key{key_value(rng), key_value(rng)};
      const value::SnapshotPtr doc = value::Snapshot::make(id, {}, 1, 1);
      grown.replace(std::nullopt, index::KeyValues(key), doc);
      all.emplace_back(index::KeyValues(key), doc);
      parts[i % 3].emplace_back(index::KeyValues(key), doc);
    }
    index::OrderedIndex bulk("b", {"a", "b"});
    bulk.bulk_load(std::move(all));
    index::OrderedIndex merged("m", {"a", "b"});
    for (std::size_t r = 0; r < parts.size(); ++r) {
      runs[r].entries = std::move(parts[r]);
      index::OrderedIndex::rank(runs[r]);
    }
    merged.bulk_load_ranked(std::move(runs));
    const std::vector<std::string> expected = grown.all_ids();
    ASSERT_EQ(expected.size(), n);
    EXPECT_EQ(bulk.all_ids(), expected) << n;
    EXPECT_EQ(merged.all_ids(), expected) << n;
  }
}

}  // namespace
}  // namespace snapstore
