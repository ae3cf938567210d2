// Unique indexes under racing writers (DECISIONS D71): threads inserting,
// updating into and batching the same key at once. Exactly one wins each
// key, every other gets UniqueViolation naming the winner, and the index
// ends with one entry per key. Sized for seconds under ThreadSanitizer.
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::FailureLog;
using testutil::run_parallel;

class UniqueRaceTest : public testutil::StoreTest {
 protected:
  void SetUp() override {
    testutil::StoreTest::SetUp();
    ASSERT_TRUE(store_.create_index("by_key", {"key"}, IndexOptions{.unique = true}));
  }
  std::size_t holders(const std::string& key) {
    auto found = store_.lookup("by_key", {key});
    EXPECT_TRUE(found);
    return found ? found->size() : 0;
  }
};

TEST_P(UniqueRaceTest, ManyInsertersOfOneKeyHaveOneWinner) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 25;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = "k" + std::to_string(round);
    std::atomic<int> won{0};
    std::mutex mu;
    std::string winner;
    std::vector<std::string> named;
    FailureLog failures;
    run_parallel(kThreads, [&](int t) {
      auto r = store_.insert(Document{{"key", key}, {"t", t}});
      std::lock_guard lock(mu);
      if (r.is_ok()) {
        ++won;
        winner = r->id;
      } else if (r.code() != StatusCode::kUniqueViolation || r.status().conflict() == nullptr) {
        failures.add(r.status().message());
      } else {
        named.push_back(r.status().conflict()->document_id);
      }
    });
    ASSERT_EQ(failures.count(), 0) << failures.summary();
    ASSERT_EQ(won.load(), 1) << "round " << round;
    EXPECT_EQ(holders(key), 1U);
    // A loser names the winner, or a racer whose claim was in flight (and
    // which then either won or was itself refused).
    for (const std::string& id : named) EXPECT_FALSE(id.empty());
  }
  EXPECT_EQ(store_.size(), static_cast<std::size_t>(kRounds));
}

TEST_P(UniqueRaceTest, UpdatesAndBatchesRacingIntoOneKeyLeaveOneHolder) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 15;
  std::vector<std::string> ids;
  for (int t = 0; t < kThreads; ++t) {
    auto r = store_.insert(Document{{"key", "own" + std::to_string(t)}});
    ASSERT_TRUE(r);
    ids.push_back(r->id);
  }
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = "shared" + std::to_string(round);
    std::atomic<int> won{0};
    FailureLog failures;
    run_parallel(kThreads, [&](int t) {
      Status s;
      if (t % 3 == 0) {
        s = store_.update(ids[t], Document{{"key", key}}).status();
      } else if (t % 3 == 1) {
        s = store_.insert(Document{{"key", key}}).status();
      } else {
        WriteBatch batch;
        batch.update(ids[t], Document{{"key", "moved" + std::to_string(round) + "-" + std::to_string(t)}});
        batch.insert(Document{{"key", key}});
        s = store_.write(batch).status();
      }
      if (s.is_ok()) {
        ++won;
      } else if (s.code() != StatusCode::kUniqueViolation) {
        failures.add(s.message());
      }
    });
    ASSERT_EQ(failures.count(), 0) << failures.summary();
    ASSERT_EQ(won.load(), 1) << "round " << round;
    EXPECT_EQ(holders(key), 1U);
  }
  // Every member's key is its own: entries equal documents with a key.
  for (const IndexInfo& info : store_.indexes()) EXPECT_EQ(info.entries, store_.size());
}

INSTANTIATE_TEST_SUITE_P(Stores, UniqueRaceTest, ::testing::ValuesIn(testutil::all_store_kinds()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace snapstore
