// Store::write(WriteBatch): atomic batches, in memory and on disk — all
// operations or none, consecutive revisions, indexes moved, and on a durable
// store one WAL record that a reopen replays whole.
#include <gtest/gtest.h>

#include "testutil/store_factory.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

using testutil::StoreKind;

class BatchTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    auto store = GetParam().open(Options{});
    ASSERT_TRUE(store) << store.status().message();
    store_.emplace(std::move(*store));
    ASSERT_TRUE(store_->create_index("by_city", {"city"}));
  }
  Store& store() { return *store_; }
  std::vector<std::string> city_ids(const std::string& city) {
    auto found = store().lookup("by_city", {city});
    EXPECT_TRUE(found);
    std::vector<std::string> ids;
    for (const auto& doc : *found) ids.push_back(doc.id);
    return ids;
  }

  std::optional<Store> store_;
};

TEST_P(BatchTest, AppliesEveryOperationWithConsecutiveRevisions) {
  auto a = store().insert(Document{{"city", "NY"}, {"n", 1}});
  auto b = store().insert(Document{{"city", "NY"}, {"n", 2}});
  ASSERT_TRUE(a && b);
  const std::uint64_t before = store().revision();

  WriteBatch batch;
  batch.insert(Document{{"city", "SF"}, {"n", 3}});
  batch.update(a->id, Document{{"city", "LA"}, {"n", 10}});
  batch.remove(b->id);
  auto results = store().write(batch);
  ASSERT_TRUE(results) << results.status().message();
  ASSERT_EQ(results->size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ((*results)[i].revision, before + 1 + i);
  EXPECT_EQ((*results)[1].id, a->id);
  EXPECT_EQ((*results)[1].version, 2U);
  EXPECT_EQ((*results)[2].version, 1U);  // the removed document's version
  EXPECT_EQ(store().revision(), before + 3);

  auto inserted = store().get((*results)[0].id);
  ASSERT_TRUE(inserted);
  EXPECT_EQ(inserted->data.at("n"), Value(3));
  EXPECT_EQ(inserted->revision, before + 1);
  EXPECT_EQ(store().get(b->id).code(), StatusCode::kDocumentNotFound);
  EXPECT_EQ(city_ids("NY"), std::vector<std::string>{});
  EXPECT_EQ(city_ids("LA"), std::vector<std::string>{a->id});
  EXPECT_EQ(city_ids("SF"), std::vector<std::string>{(*results)[0].id});
}

TEST_P(BatchTest, AnyFailingOperationAppliesNothing) {
  auto a = store().insert(Document{{"city", "NY"}});
  ASSERT_TRUE(a);
  const std::uint64_t before = store().revision();
  const std::size_t size = store().size();

  WriteBatch missing;
  missing.insert(Document{{"city", "SF"}});
  missing.update(a->id, Document{{"city", "LA"}});
  missing.remove("no-such-id");
  auto result = store().write(missing);
  ASSERT_EQ(result.code(), StatusCode::kDocumentNotFound);
  EXPECT_NE(result.status().message().find("operation 2"), std::string::npos) << result.status().message();

  WriteBatch twice;
  twice.update(a->id, Document{{"city", "LA"}});
  twice.remove(a->id);
  EXPECT_EQ(store().write(twice).code(), StatusCode::kInvalidArgument);

  Options small;
  WriteBatch too_deep;
  too_deep.insert(Document{{"city", "SF"}});
  Value deep = Document{};
  for (std::size_t i = 0; i < small.max_nesting_depth + 1; ++i) deep = Document{{"d", std::move(deep)}};
  too_deep.insert(deep.as_object());
  auto invalid = store().write(too_deep);
  ASSERT_EQ(invalid.code(), StatusCode::kInvalidDocument);
  EXPECT_NE(invalid.status().message().find("operation 1"), std::string::npos) << invalid.status().message();

  EXPECT_EQ(store().write(WriteBatch{}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store().revision(), before);
  EXPECT_EQ(store().size(), size);
  EXPECT_EQ(city_ids("NY"), std::vector<std::string>{a->id});
  EXPECT_EQ(city_ids("SF"), std::vector<std::string>{});
  auto still = store().get(a->id);
  ASSERT_TRUE(still);
  EXPECT_EQ(still->version, 1U);
}

TEST_P(BatchTest, ConcurrentBatchesOverTheSameDocumentsNeitherDeadlockNorLoseUpdates) {
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    auto w = store().insert(Document{{"city", "NY"}, {"count", 0}});
    ASSERT_TRUE(w);
    ids.push_back(w->id);
  }
  constexpr int kThreads = 4;
  constexpr int kRounds = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        WriteBatch batch;
        // Opposite orders in alternate threads: the store must lock in one order.
        for (int k = 0; k < 8; ++k) {
          const std::string& id = ids[t % 2 ? 7 - k : k];
          batch.update(id, Document{{"city", "NY"}, {"writer", t}, {"round", r}});
        }
        ASSERT_TRUE(store().write(batch));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& id : ids) {
    auto doc = store().get(id);
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->version, 1U + kThreads * kRounds);
  }
  EXPECT_EQ(city_ids("NY").size(), ids.size());
}

INSTANTIATE_TEST_SUITE_P(Kinds, BatchTest, ::testing::ValuesIn(testutil::all_store_kinds()), testutil::store_kind_name);

TEST(DurableBatchTest, AReopenReplaysTheBatchWhole) {
  testutil::TempDir dir;
  std::vector<WriteResult> written;
  {
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store);
    WriteBatch batch;
    for (int i = 0; i < 100; ++i) batch.insert(Document{{"i", i}});
    auto results = store->write(batch);
    ASSERT_TRUE(results) << results.status().message();
    written = *results;
  }
  auto store = Store::open(dir.path());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->size(), 100U);
  EXPECT_EQ(store->revision(), written.back().revision);
  for (const auto& w : written) {
    auto doc = store->get(w.id);
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->revision, w.revision);
  }
}

}  // namespace
}  // namespace snapstore
