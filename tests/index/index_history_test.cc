// IndexHistory: the ended index entries a point-in-time snapshot at revision
// R still needs. A lookup at R finds, per document, exactly the entry whose
// [version's revision, end) holds R — also when a document went through many
// versions under one key (the runs a lookup crosses by seeking).
#include "index/index_history.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace snapstore::index {
namespace {

value::SnapshotPtr version_of(const std::string& id, std::uint64_t version, std::uint64_t revision) {
  return value::Snapshot::make(id, {}, version, revision);
}

// (id, version) of each entry found, in the order found.
std::vector<std::pair<std::string, std::uint64_t>> found(const std::vector<IndexHistory::Entry>& entries) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const auto& e : entries) out.emplace_back(e.doc->id.str(), e.doc->version);
  return out;
}

TEST(IndexHistoryTest, EachRevisionFindsTheOneVersionValidThen) {
  IndexHistory history;
  const Key city{Value("NY")};
  // "a" had the key NY in versions 1..20, written at revisions 10, 20, ...,
  // 200, each ended by the next write 10 revisions later.
  for (std::uint64_t v = 1; v <= 20; ++v) history.add(city, version_of("a", v, 10 * v), 10 * v + 10);
  // "b" once, valid over [15, 95); "c" under another key.
  history.add(city, version_of("b", 1, 15), 95);
  history.add(Key{Value("LA")}, version_of("c", 1, 12), 300);

  for (std::uint64_t r = 0; r <= 230; ++r) {
    SCOPED_TRACE("revision " + std::to_string(r));
    std::vector<std::pair<std::string, std::uint64_t>> want;
    if (r >= 10 && r < 210) want.emplace_back("a", r / 10);
    if (r >= 15 && r < 95) want.emplace_back("b", 1);
    EXPECT_EQ(found(history.find_equal_at(city, r)), want);

    auto all = want;
    if (r >= 12 && r < 300) all.insert(all.begin(), {"c", 1});  // "LA" sorts before "NY"
    EXPECT_EQ(found(history.find_range_at({}, {}, r)), all);
    EXPECT_EQ(found(history.find_range_at(Key{Value("M")}, Key{Value("O")}, r)), want);
  }
}

TEST(IndexHistoryTest, PruneDropsWhatNoSnapshotAtOrAfterOldestNeeds) {
  IndexHistory history;
  const Key city{Value("NY")};
  for (std::uint64_t v = 1; v <= 5; ++v) history.add(city, version_of("a", v, 10 * v), 10 * v + 10);
  history.prune(35);  // entries ending at 20 and 30 go
  EXPECT_EQ(history.size(), 3U);
  EXPECT_EQ(found(history.find_equal_at(city, 35)), (std::vector<std::pair<std::string, std::uint64_t>>{{"a", 3}}));
  history.clear();
  EXPECT_EQ(history.size(), 0U);
}

}  // namespace
}  // namespace snapstore::index
