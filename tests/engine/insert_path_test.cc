// The insert path's shortcuts (issue 17): a generated id's order in index
// entries comes from the generator's bits, computed once per write and
// shared by every index, instead of parsed from the id's text per index.
// Whatever the shortcut, every index must hold exactly the entries a full
// scan gives, in key-then-id order, through inserts, updates and removes,
// single and batched — an entry placed under a wrong order would be found by
// no later update or remove, and would outlive its document.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "engine/id_generator.h"
#include "index/id_order.h"
#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::must;
using testutil::StoreKind;

int sign(int c) { return c < 0 ? -1 : c > 0 ? 1 : 0; }

// The 128 bits a canonical UUID's 32 hex digits spell.
std::pair<std::uint64_t, std::uint64_t> bits_of(const std::string& uuid) {
  std::string digits;
  for (char c : uuid) {
    if (c != '-') digits += c;
  }
  return {std::strtoull(digits.substr(0, 16).c_str(), nullptr, 16),
          std::strtoull(digits.substr(16).c_str(), nullptr, 16)};
}

TEST(InsertPathTest, AGeneratedIdsBitsAreItsTextAndOrderAsItDoes) {
  std::vector<engine::GeneratedId> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(engine::next_generated_id());  // many within one millisecond
  for (const auto& id : ids) {
    EXPECT_EQ(bits_of(id.text), std::make_pair(id.high, id.low)) << id.text;
    EXPECT_EQ(index::IdOrder::compare(index::IdOrder::of_uuid(id.high, id.low), index::IdOrder(id.text)), 0)
        << id.text;
  }
  for (const auto& a : ids) {
    for (const auto& b : ids) {
      const int c = index::IdOrder::compare(index::IdOrder::of_uuid(a.high, a.low), index::IdOrder(b.text));
      ASSERT_EQ(c, sign(a.text.compare(b.text))) << a.text << " against " << b.text;
    }
  }
}

class InsertPathStoreTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    store_.emplace(must(GetParam().open(Options{})));
    must(store_->create_index("by_city", {"city"}));
    must(store_->create_index("by_city_n", {"city", "n"}));
  }

  void insert(const std::string& city, int n) {
    cities_[must(store_->insert(Document{{"city", city}, {"n", n}})).id] = city;
  }

  // Each index's answer for every city against the model's, ids in order.
  void expect_indexes_match_model() {
    std::map<std::string, std::vector<std::string>> by_city;
    for (const auto& [id, city] : cities_) by_city[city].push_back(id);  // in id order
    for (const char* city : {"Oslo", "Lima", "Pune", "Nome"}) {
      const std::vector<std::string>& expected = by_city[city];
      std::vector<std::string> found;
      for (const auto& doc : must(store_->lookup("by_city", {city}))) found.push_back(doc.id);
      EXPECT_EQ(found, expected) << city;  // equal keys: ties in id order
      std::vector<std::string> ranged;
      for (const auto& doc : must(store_->lookup_range("by_city_n", {city}, {city}))) ranged.push_back(doc.id);
      std::sort(ranged.begin(), ranged.end());
      EXPECT_EQ(ranged, expected) << city;
    }
  }

  std::optional<Store> store_;
  std::map<std::string, std::string> cities_;  // id -> city: what the store must hold
};

TEST_P(InsertPathStoreTest, IndexesHoldWhatTheWritesLeftThroughEveryKindOfWrite) {
  const std::string cities[] = {"Oslo", "Lima", "Pune"};
  for (int i = 0; i < 60; ++i) insert(cities[i % 3], i % 5);
  WriteBatch inserts;
  for (int i = 0; i < 30; ++i) inserts.insert(Document{{"city", cities[i % 3]}, {"n", i % 4}});
  const auto written = must(store_->write(inserts));
  for (int i = 0; i < 30; ++i) cities_[written[i].id] = cities[i % 3];
  expect_indexes_match_model();

  std::vector<std::string> ids;
  for (const auto& [id, city] : cities_) ids.push_back(id);
  // Single updates (to a new key and to the same key), single removes.
  for (std::size_t i = 0; i < ids.size(); i += 7) {
    must(store_->update(ids[i], Document{{"city", "Nome"}, {"n", 1}}));
    cities_[ids[i]] = "Nome";
  }
  for (std::size_t i = 1; i < ids.size(); i += 7) {
    must(store_->update(ids[i], Document{{"city", cities_[ids[i]]}, {"n", 9}}));
  }
  for (std::size_t i = 2; i < ids.size(); i += 7) {
    must(store_->remove(ids[i]));
    cities_.erase(ids[i]);
  }
  expect_indexes_match_model();

  // A batch of updates, removes and inserts.
  WriteBatch mixed;
  for (std::size_t i = 3; i < ids.size(); i += 7) {
    mixed.update(ids[i], Document{{"city", "Lima"}, {"n", 2}});
    cities_[ids[i]] = "Lima";
  }
  for (std::size_t i = 4; i < ids.size(); i += 7) {
    mixed.remove(ids[i]);
    cities_.erase(ids[i]);
  }
  for (int i = 0; i < 10; ++i) mixed.insert(Document{{"city", "Pune"}, {"n", i}});
  const auto mixed_written = must(store_->write(mixed));
  for (std::size_t i = mixed_written.size() - 10; i < mixed_written.size(); ++i) cities_[mixed_written[i].id] = "Pune";
  expect_indexes_match_model();
}

INSTANTIATE_TEST_SUITE_P(Kinds, InsertPathStoreTest, ::testing::ValuesIn(testutil::all_store_kinds()),
                         testutil::store_kind_name);

}  // namespace
}  // namespace snapstore
