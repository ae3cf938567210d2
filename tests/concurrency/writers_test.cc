// Concurrent writers (SPEC §17, CON-02/03/04/06, UPD-10, GET-07): many
// threads inserting, updating one document, racing update against remove,
// creating an index during inserts, and churning ids under readers. Sized to
// stay within a few seconds under ThreadSanitizer on two cores. Also
// instantiates the ConcurrencyTest suite over every store kind.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::FailureLog;
using testutil::must;
using testutil::run_parallel;
using ConcurrencyTest = testutil::StoreTest;

TEST_P(ConcurrencyTest, CON_02_ConcurrentInsertsGetUniqueIdsAndRevisions) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::vector<std::vector<WriteResult>> written(kThreads);
  FailureLog failures;
  run_parallel(kThreads, [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      auto r = store_.insert(Document{{"t", t}, {"i", i}});
      if (!r.is_ok()) {
        failures.add("insert: " + r.status().message());
        continue;
      }
      if (!written[t].empty() && written[t].back().revision >= r->revision) {
        failures.add("revision of a later insert on one thread did not grow");
      }
      written[t].push_back(std::move(r).value());
    }
  });
  EXPECT_NO_FAILURES(failures);
  std::set<std::string> ids;
  std::set<std::uint64_t> revisions;
  for (const auto& list : written) {
    for (const auto& w : list) {
      ids.insert(w.id);
      revisions.insert(w.revision);
    }
  }
  constexpr std::size_t kTotal = kThreads * kPerThread;
  EXPECT_EQ(ids.size(), kTotal);
  EXPECT_EQ(revisions.size(), kTotal);
  EXPECT_EQ(*revisions.begin(), 1u);
  EXPECT_EQ(*revisions.rbegin(), kTotal);
  EXPECT_EQ(store_.size(), kTotal);
  const auto scanned = testutil::ids_of(testutil::scan(store_));
  EXPECT_EQ(scanned.size(), kTotal);
  EXPECT_TRUE(std::is_sorted(scanned.begin(), scanned.end()));
  EXPECT_EQ(std::set<std::string>(scanned.begin(), scanned.end()), ids);
}

// Many threads replace one document: every update gets its own version and
// revision, both orders agree, and the final state is the last serialised
// submission.
TEST_P(ConcurrencyTest, UPD_10_ManyWritersOneDocumentSerialise) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  auto doc_for = [](int t, int i) {
    const std::string tag = std::to_string(t) + "/" + std::to_string(i);
    return Document{{"tag", tag}, {"copy", Array{tag, Document{{"tag", tag}}}}, {"t", t}, {"i", i}};
  };
  const auto id = must(store_.insert(Document{{"tag", "initial"}})).id;
  std::mutex mu;
  std::map<std::uint64_t, std::pair<std::uint64_t, Document>> by_revision;  // revision -> (version, doc)
  FailureLog failures;
  run_parallel(kThreads, [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      Document doc = doc_for(t, i);
      auto r = store_.update(id, doc);
      if (!r.is_ok()) {
        failures.add("update: " + r.status().message());
        continue;
      }
      std::lock_guard lock(mu);
      if (!by_revision.emplace(r->revision, std::make_pair(r->version, std::move(doc))).second) {
        failures.add("revision " + std::to_string(r->revision) + " given twice");
      }
    }
  });
  EXPECT_NO_FAILURES(failures);
  ASSERT_EQ(by_revision.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::uint64_t expected_version = 2;
  for (const auto& [revision, entry] : by_revision) {
    EXPECT_EQ(entry.first, expected_version) << "revision " << revision << " out of step with version";
    ++expected_version;
  }
  const auto final_doc = must(store_.get(id));
  EXPECT_EQ(final_doc.version, 1u + by_revision.size());
  EXPECT_EQ(final_doc.revision, by_revision.rbegin()->first);
  EXPECT_EQ(final_doc.data, by_revision.rbegin()->second.second);
}

// CON-06's corrected invariant: remove succeeds; a racing update succeeds or
// reports DocumentNotFound; afterwards the document is gone everywhere.
TEST_P(ConcurrencyTest, CON_06_UpdateRacingRemove) {
  constexpr int kPairs = 4;
  constexpr int kDocs = 1200;
  must(store_.create_index("by_n", {"n"}));
  std::vector<std::string> ids;
  for (int i = 0; i < kDocs; ++i) ids.push_back(must(store_.insert(Document{{"n", i}})).id);
  FailureLog failures;
  std::atomic<int> updated{0};
  std::atomic<int> not_found{0};
  run_parallel(2 * kPairs, [&](int t) {
    const int pair = t / 2;
    const bool remover = t % 2 == 1;
    for (int i = pair; i < kDocs; i += kPairs) {
      if (remover) {
        const auto r = store_.remove(ids[i]);
        if (!r.is_ok()) failures.add("remove: " + r.status().message());
      } else {
        const auto r = store_.update(ids[i], Document{{"n", i + kDocs}});
        if (r.is_ok()) {
          updated.fetch_add(1);
        } else if (r.code() == StatusCode::kDocumentNotFound) {
          not_found.fetch_add(1);
        } else {
          failures.add("update: " + r.status().message());
        }
      }
    }
  });
  EXPECT_NO_FAILURES(failures);
  EXPECT_EQ(updated.load() + not_found.load(), kDocs);
  std::cout << "[   INFO   ] updates that won: " << updated.load() << ", lost: " << not_found.load() << std::endl;
  for (const auto& id : ids) EXPECT_CODE(store_.get(id), StatusCode::kDocumentNotFound);
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_TRUE(must(store_.lookup_range("by_n", {}, {})).empty());
  EXPECT_TRUE(testutil::scan(store_).empty());
}

// Upstream TestConcurrentUpdatesAndDeletes.
TEST_P(ConcurrencyTest, CON_03_OwnedUpdatesThenEvenThreadsDelete) {
  constexpr int kThreads = 20;
  constexpr int kDocs = 100;
  std::vector<std::string> ids;
  for (int i = 0; i < kDocs; ++i) ids.push_back(must(store_.insert(Document{{"counter", 0}, {"state", "active"}})).id);
  FailureLog failures;
  run_parallel(kThreads, [&](int g) {
    for (int i = g; i < kDocs; i += kThreads) {
      for (int j = 0; j < 5; ++j) {
        const auto r = store_.update(ids[i], Document{{"counter", j + 1}, {"state", "updated"}});
        if (!r.is_ok()) failures.add("update: " + r.status().message());
      }
      if (g % 2 == 0) {
        const auto r = store_.remove(ids[i]);
        if (!r.is_ok()) failures.add("remove: " + r.status().message());
      }
    }
  });
  EXPECT_NO_FAILURES(failures);
  int gone = 0;
  for (int i = 0; i < kDocs; ++i) {
    const auto got = store_.get(ids[i]);
    if (i % 2 == 0) {
      EXPECT_CODE(got, StatusCode::kDocumentNotFound) << "doc " << i;
      ++gone;
    } else {
      ASSERT_OK(got) << "doc " << i;
      EXPECT_EQ(got->data, (Document{{"counter", 5}, {"state", "updated"}})) << "doc " << i;
      EXPECT_EQ(got->version, 6u);
    }
  }
  EXPECT_EQ(gone, 50);
  EXPECT_EQ(store_.size(), 50u);
}

// Upstream TestConcurrentIndexCreationAndAccess, with the stronger check:
// an index created while inserts run is complete.
TEST_P(ConcurrencyTest, CON_04_IndexCreatedDuringInsertsIsComplete) {
  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto store = open_store();
    FailureLog failures;
    run_parallel(2, [&](int t) {
      if (t == 0) {
        for (int i = 0; i < 500; ++i) {
          if (!store.insert(Document{{"category", "B"}, {"i", i}}).is_ok()) failures.add("insert B");
        }
      } else {
        for (int i = 0; i < 100; ++i) {
          if (!store.insert(Document{{"category", "A"}, {"i", i}}).is_ok()) failures.add("insert A");
        }
        const auto s = store.create_index("by_category", {"category"});
        if (!s.is_ok()) failures.add("create_index: " + s.message());
      }
    });
    EXPECT_NO_FAILURES(failures);
    EXPECT_EQ(must(store.lookup("by_category", {"A"})).size(), 100u);
    EXPECT_EQ(must(store.lookup("by_category", {"B"})).size(), 500u);
    EXPECT_EQ(testutil::scan(store).size(), 600u);
    EXPECT_EQ(must(store.read_index("by_category")).count(), 600u);
    const auto infos = store.indexes();
    ASSERT_EQ(infos.size(), 1u);
    EXPECT_EQ(infos[0].entries, 600u);
  }
}

// GET-07 / CON-08: removes and inserts churn while readers get known ids; a
// get returns the document written under that id or DocumentNotFound.
TEST_P(ConcurrencyTest, GET_07_GetUnderRemoveInsertChurnNeverCrossesIds) {
  const auto seed = testutil::test_seed();
  constexpr int kChurners = 4;
  constexpr int kReaders = 4;
  constexpr int kOps = 1000;
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> known;
  std::atomic<int> churners_left{kChurners};
  std::atomic<int> hits{0};
  FailureLog failures;
  run_parallel(kChurners + kReaders, [&](int t) {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
    if (t < kChurners) {
      std::vector<std::string> mine;
      for (int i = 0; i < kOps; ++i) {
        const std::string tag = std::to_string(t) + ":" + std::to_string(i);
        auto r = store_.insert(Document{{"tag", tag}, {"again", tag}});
        if (!r.is_ok()) {
          failures.add("insert: " + r.status().message());
          continue;
        }
        {
          std::lock_guard lock(mu);
          known.emplace_back(r->id, tag);
        }
        mine.push_back(r->id);
        if (mine.size() > 3) {
          const std::size_t victim = rng() % mine.size();
          const auto removed = store_.remove(mine[victim]);
          if (!removed.is_ok()) failures.add("remove: " + removed.status().message());
          mine.erase(mine.begin() + static_cast<std::ptrdiff_t>(victim));
        }
      }
      churners_left.fetch_sub(1);
      return;
    }
    // Until the churn ends and for 50 passes more; then, if no get has
    // found a document yet (a fast churn can end before a reader runs, when
    // few of the known ids are still alive), until one does, within a cap.
    for (int pass = 0; churners_left.load() > 0 || pass < 50 || (hits.load() == 0 && pass < 200000); ++pass) {
      std::pair<std::string, std::string> pick;
      {
        std::lock_guard lock(mu);
        if (known.empty()) continue;
        pick = known[rng() % known.size()];
      }
      const auto got = store_.get(pick.first);
      if (got.is_ok()) {
        hits.fetch_add(1);
        const Document expected{{"tag", pick.second}, {"again", pick.second}};
        if (got->id != pick.first || got->data != expected) {
          failures.add("get(" + pick.first + ") returned another document's data");
        }
      } else if (got.code() != StatusCode::kDocumentNotFound) {
        failures.add("get: " + got.status().message());
      }
    }
  });
  EXPECT_NO_FAILURES(failures) << " seed=" << seed;
  EXPECT_GT(hits.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ConcurrencyTest, testing::ValuesIn(testutil::all_store_kinds()),
                         testutil::store_kind_name);

}  // namespace
}  // namespace snapstore
