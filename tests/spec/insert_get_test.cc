// go-store conformance, SPEC §4, §5 and §8: insert, get and deep-copy
// isolation of everything that goes in or comes out.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::must;
using SpecTest = testutil::StoreTest;

TEST_P(SpecTest, INS_01_InsertReturnsFreshNonEmptyIds) {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    const auto written = must(i % 2 == 0 ? store_.insert(Document{}) : store_.insert(Document{{"i", i}}));
    EXPECT_FALSE(written.id.empty());
    EXPECT_TRUE(ids.insert(written.id).second) << "id reissued: " << written.id;
  }
  EXPECT_EQ(store_.size(), 50u);
}

TEST_P(SpecTest, INS_02_NullOrNonObjectIsInvalidAndTakesNoRevision) {
  for (const Value& bad : {Value(), Value(5), Value("doc"), Value(true), Value(Array{}), Value(Binary{1})}) {
    const auto result = store_.insert(bad);
    EXPECT_CODE(result, StatusCode::kInvalidDocument);
    EXPECT_TRUE(result.status().message().starts_with("invalid document")) << result.status().message();
  }
  EXPECT_EQ(store_.revision(), 0u);
  EXPECT_EQ(store_.size(), 0u);
  const auto ok = must(store_.insert(Value(Document{{"a", 1}})));
  EXPECT_EQ(ok.revision, 1u);
  store_.close();
  EXPECT_CODE(store_.insert(Value()), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, INS_03_IdsAreCanonicalUuidV7InInsertionOrder) {
  const std::regex uuid7("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::string previous;
  for (int i = 0; i < 200; ++i) {
    const auto id = must(store_.insert(Document{{"i", i}})).id;
    EXPECT_EQ(id.size(), 36u);
    EXPECT_TRUE(std::regex_match(id, uuid7)) << id;
    EXPECT_LT(previous, id) << "ids must sort in insertion order";
    previous = id;
  }
}

TEST_P(SpecTest, INS_04_GetReturnsWhatWasInserted) {
  const Document doc{{"name", "Alice"}, {"age", 30}, {"score", 30.0}, {"nothing", nullptr},
                     {"tags", Array{"a", 1, 1.0}}, {"address", Document{{"zip", "12345"}}}};
  const auto written = must(store_.insert(doc));
  EXPECT_EQ(written.version, 1u);
  EXPECT_EQ(written.revision, 1u);
  const auto got = must(store_.get(written.id));
  EXPECT_EQ(got.id, written.id);
  EXPECT_EQ(got.data, doc);
  EXPECT_TRUE(got.data.at("age").is_int());
  EXPECT_TRUE(got.data.at("score").is_double());
  EXPECT_TRUE(got.data.at("nothing").is_null());
  EXPECT_EQ(got.version, 1u);
  EXPECT_EQ(got.revision, written.revision);

  const auto second = must(store_.insert(Document{{"x", 1}}));
  EXPECT_EQ(second.version, 1u);
  EXPECT_EQ(second.revision, 2u);
  EXPECT_EQ(must(store_.get(second.id)).revision, 2u);
}

TEST_P(SpecTest, INS_05_StoredDocumentIsADeepCopy) {
  must(store_.create_index("by_zip", {"zip"}));
  Document doc{{"zip", "111"}, {"nested", Document{{"inner", Document{{"k", 1}}}}}, {"list", Array{1, Array{2}}}};
  const Document original = doc;
  const auto id = must(store_.insert(doc)).id;
  doc["zip"] = "222";
  doc["nested"]["inner"]["k"] = 99;
  doc["list"].as_array()[1].as_array().push_back(3);
  doc["added"] = true;
  EXPECT_EQ(must(store_.get(id)).data, original);
  EXPECT_EQ(must(store_.lookup("by_zip", {"111"})).size(), 1u);
  EXPECT_TRUE(must(store_.lookup("by_zip", {"222"})).empty());
}

TEST_P(SpecTest, INS_06_EveryValueKindIsIsolated) {
  Document doc{{"bin", Binary{1, 2, 3}},
               {"floats", Array{1.5, 2.5}},
               {"strings", Document{{"a", "x"}}},
               {"objects", Array{Document{{"k", "v"}}, Document{{"k", "w"}}}},
               {"text", "abc"}};
  const Document original = doc;
  const auto id = must(store_.insert(doc));
  doc["bin"].as_binary().bytes[0] = 42;
  doc["floats"].as_array()[0] = 9.5;
  doc["strings"]["a"] = "changed";
  doc["objects"].as_array()[1]["k"] = "changed";
  doc["text"].as_string() += "def";
  EXPECT_EQ(must(store_.get(id.id)).data, original);
}

TEST_P(SpecTest, INS_07_IndexesSeeAnInsertAsSoonAsItReturns) {
  must(store_.create_index("by_city", {"city"}));
  for (int i = 0; i < 20; ++i) {
    const auto id = must(store_.insert(Document{{"city", "NY"}, {"i", i}})).id;
    const auto found = testutil::id_set(must(store_.lookup("by_city", {"NY"})));
    EXPECT_EQ(found.count(id), 1u) << "insert " << i << " not visible at once";
    EXPECT_EQ(found.size(), static_cast<std::size_t>(i + 1));
  }
}

TEST_P(SpecTest, INS_08_InsertJoinsExactlyTheIndexesWhoseFieldsArePresent) {
  must(store_.create_index("a", {"a"}));
  must(store_.create_index("b", {"b"}));
  must(store_.create_index("ab", {"a", "b"}));
  const auto only_a = must(store_.insert(Document{{"a", 1}})).id;
  const auto a_null_b = must(store_.insert(Document{{"a", 1}, {"b", nullptr}})).id;
  const auto both = must(store_.insert(Document{{"a", 1}, {"b", 2}})).id;
  const auto neither = must(store_.insert(Document{{"c", 3}})).id;
  EXPECT_EQ(testutil::id_set(must(store_.lookup_range("a", {}, {}))), (std::set<std::string>{only_a, a_null_b, both}));
  EXPECT_EQ(testutil::id_set(must(store_.lookup_range("b", {}, {}))), (std::set<std::string>{both}));
  EXPECT_EQ(testutil::id_set(must(store_.lookup_range("ab", {}, {}))), (std::set<std::string>{both}));
  EXPECT_EQ(must(store_.read_index("a")).count(), 3u);
  EXPECT_EQ(must(store_.read_index("b")).count(), 1u);
  EXPECT_EQ(must(store_.read_index("ab")).count(), 1u);
  EXPECT_EQ(store_.size(), 4u);
  EXPECT_OK(store_.get(neither));
}

TEST_P(SpecTest, INS_09_ConcurrentInsertsGetDistinctIdsAndRevisions) {
  constexpr int kThreads = 10;
  constexpr int kPerThread = 100;
  std::vector<std::vector<WriteResult>> written(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store_.insert(Document{{"t", t}, {"i", i}});
        if (!r.is_ok()) {
          failures.fetch_add(1);
          continue;
        }
        written[t].push_back(std::move(r).value());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<std::string> ids;
  std::set<std::uint64_t> revisions;
  for (const auto& list : written) {
    for (const auto& w : list) {
      ids.insert(w.id);
      revisions.insert(w.revision);
      EXPECT_EQ(w.version, 1u);
    }
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(revisions.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(*revisions.rbegin(), static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(store_.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(store_.revision(), static_cast<std::uint64_t>(kThreads * kPerThread));
}

TEST_P(SpecTest, GET_01_GetReturnsIdCurrentDataVersionAndRevision) {
  const auto written = must(store_.insert(Document{{"a", 1}}));
  must(store_.insert(Document{{"other", true}}));
  const auto got = must(store_.get(written.id));
  EXPECT_EQ(got.id, written.id);
  EXPECT_EQ(got.data, (Document{{"a", 1}}));
  EXPECT_EQ(got.version, 1u);
  EXPECT_EQ(got.revision, written.revision);
}

TEST_P(SpecTest, GET_02_UnknownEmptyOrRemovedIdIsNotFound) {
  const auto id = must(store_.insert(Document{{"a", 1}})).id;
  EXPECT_CODE(store_.get("never-inserted"), StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.get(""), StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.get("01890a5d-ac96-774b-bcce-b302099a8057"), StatusCode::kDocumentNotFound);
  must(store_.remove(id));
  const auto removed = store_.get(id);
  EXPECT_CODE(removed, StatusCode::kDocumentNotFound);
  EXPECT_TRUE(removed.status().message().starts_with("document not found")) << removed.status().message();
}

TEST_P(SpecTest, GET_03_ClosedStoreReportsStoreClosedForAnyId) {
  const auto id = must(store_.insert(Document{{"a", 1}})).id;
  store_.close();
  EXPECT_CODE(store_.get(id), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.get("missing"), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.get(""), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, GET_04_EachGetIsAnIndependentCopy) {
  const Document doc{{"n", Document{{"deep", Array{1, Document{{"x", "y"}}}}}}};
  const auto id = must(store_.insert(doc)).id;
  auto first = must(store_.get(id));
  auto second = must(store_.get(id));
  first.data["n"]["deep"].as_array()[1]["x"] = "mutated";
  first.data["extra"] = 1;
  EXPECT_EQ(second.data, doc);
  EXPECT_EQ(must(store_.get(id)).data, doc);
}

TEST_P(SpecTest, GET_05_GetAfterUpdateSeesOnlyTheNewDocument) {
  const auto id = must(store_.insert(Document{{"a", 1}, {"b", 2}})).id;
  must(store_.update(id, Document{{"c", 3}}));
  const auto got = must(store_.get(id));
  EXPECT_EQ(got.data, (Document{{"c", 3}}));
  EXPECT_EQ(got.version, 2u);
  EXPECT_EQ(got.revision, 2u);
}

// Removes race inserts while readers get ids whose documents carry their own
// tag: a get may fail, but it never returns another document's data.
TEST_P(SpecTest, GET_07_GetNeverReturnsAnotherDocumentsData) {
  const auto seed = testutil::test_seed();
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> known;  // id, tag
  std::atomic<bool> done{false};
  std::atomic<int> mismatches{0};
  std::atomic<int> unexpected{0};
  std::atomic<int> hits{0};

  auto churn = [&](int t) {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
    std::vector<std::string> mine;
    for (int i = 0; i < 1500; ++i) {
      const std::string tag = std::to_string(t) + ":" + std::to_string(i);
      auto r = store_.insert(Document{{"tag", tag}, {"pad", Array{tag, tag}}});
      if (!r.is_ok()) {
        unexpected.fetch_add(1);
        continue;
      }
      {
        std::lock_guard lock(mu);
        known.emplace_back(r->id, tag);
      }
      mine.push_back(r->id);
      // The first 20 stay, so that readers still find documents when they
      // only get to run after the writers are done (a loaded machine).
      if (mine.size() > 24) {
        const std::size_t victim = 20 + rng() % (mine.size() - 20);
        if (!store_.remove(mine[victim]).is_ok()) unexpected.fetch_add(1);
        mine.erase(mine.begin() + static_cast<std::ptrdiff_t>(victim));
      }
    }
  };
  auto reader = [&](int t) {
    std::mt19937_64 rng(seed ^ (0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(t + 1)));
    for (int pass = 0; !done.load() || pass < 2000; ++pass) {
      std::pair<std::string, std::string> pick;
      {
        std::lock_guard lock(mu);
        if (known.empty()) continue;
        pick = known[rng() % known.size()];
      }
      auto got = store_.get(pick.first);
      if (got.is_ok()) {
        hits.fetch_add(1);
        const auto* tag = got->data.contains("tag") ? &got->data.at("tag") : nullptr;
        if (got->id != pick.first || tag == nullptr || *tag != Value(pick.second)) mismatches.fetch_add(1);
      } else if (got.code() != StatusCode::kDocumentNotFound) {
        unexpected.fetch_add(1);
      }
    }
  };
  std::vector<std::thread> writers;
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) writers.emplace_back(churn, t);
  for (int t = 0; t < 2; ++t) readers.emplace_back(reader, t);
  for (auto& th : writers) th.join();
  done.store(true);
  for (auto& th : readers) th.join();
  EXPECT_EQ(mismatches.load(), 0) << "seed=" << seed;
  EXPECT_EQ(unexpected.load(), 0) << "seed=" << seed;
  EXPECT_GT(hits.load(), 0);
}

TEST_P(SpecTest, ISO_01_InputsToInsertAndUpdateAreCopied) {
  Document doc{{"k", Document{{"v", 1}}}};
  const auto id = must(store_.insert(doc)).id;
  doc["k"]["v"] = 2;
  EXPECT_EQ(must(store_.get(id)).data, (Document{{"k", Document{{"v", 1}}}}));

  Document replacement{{"list", Array{1, 2}}};
  must(store_.update(id, replacement));
  replacement["list"].as_array().push_back(3);
  EXPECT_EQ(must(store_.get(id)).data, (Document{{"list", Array{1, 2}}}));
}

TEST_P(SpecTest, ISO_02_EveryReturnedDocumentIsPrivate) {
  must(store_.create_index("by_k", {"k"}));
  const Document doc{{"k", 1}, {"nested", Document{{"list", Array{Document{{"x", 1}}}}}}};
  const auto id = must(store_.insert(doc)).id;
  auto vandalize = [](Document& data) {
    data["k"] = 999;
    data["nested"]["list"].as_array()[0]["x"] = "gone";
    data.erase("nested");
  };

  auto got = must(store_.get(id));
  vandalize(got.data);
  auto looked = must(store_.lookup("by_k", {1}));
  ASSERT_EQ(looked.size(), 1u);
  EXPECT_EQ(looked[0].data, doc);
  vandalize(looked[0].data);
  auto ranged = must(store_.lookup_range("by_k", {1}, {1}));
  ASSERT_EQ(ranged.size(), 1u);
  EXPECT_EQ(ranged[0].data, doc);
  vandalize(ranged[0].data);
  auto stream = store_.stream();
  auto streamed = must(stream.next());
  EXPECT_EQ(streamed.data, doc);
  vandalize(streamed.data);
  auto cursor = must(store_.read());
  auto step = must(cursor.next());
  ASSERT_TRUE(step.document.has_value());
  EXPECT_EQ(step.document->data, doc);
  vandalize(step.document->data);
  auto clone = must(store_.clone([&](DocumentResult& r) {
    EXPECT_EQ(r.data, doc);
    return true;
  }));

  EXPECT_EQ(must(store_.get(id)).data, doc);
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_k", {1}))), std::vector<std::string>{id});
  EXPECT_TRUE(must(store_.lookup("by_k", {999})).empty());
  EXPECT_EQ(must(cursor.previous()).document->data, doc);
  EXPECT_EQ(must(clone.get(id)).data, doc);
}

TEST_P(SpecTest, ISO_03_IndexKeysDoNotFollowCallerMutations) {
  must(store_.create_index("by_tags", {"tags"}));
  Document doc{{"tags", Array{"a"}}};
  const auto id = must(store_.insert(doc)).id;
  doc["tags"].as_array().push_back("b");
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_tags", {Value(Array{"a"})}))), std::vector<std::string>{id});
  EXPECT_TRUE(must(store_.lookup("by_tags", {Value(Array{"a", "b"})})).empty());
}

TEST_P(SpecTest, ISO_04_CreateIndexCopiesTheFieldList) {
  std::vector<std::string> fields{"a"};
  must(store_.create_index("idx", fields));
  fields[0] = "b";
  const auto id = must(store_.insert(Document{{"a", 1}, {"b", 2}})).id;
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("idx", {1}))), std::vector<std::string>{id});
  EXPECT_TRUE(must(store_.lookup("idx", {2})).empty());
  const auto infos = store_.indexes();
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].fields, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace snapstore
