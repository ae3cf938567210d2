// Compare-and-set under contention: threads racing update_if, remove_if and
// conditional batches on the same documents end in exactly the serializable
// outcomes (no lost increment, one winner, a conserved sum). Bounded thread
// and iteration counts: a few seconds under ThreadSanitizer on two cores.
#include <atomic>
#include <cstdint>
#include <random>
#include <string>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::FailureLog;
using testutil::must;
using testutil::run_parallel;
using CasRaceTest = testutil::StoreTest;

TEST_P(CasRaceTest, UpdateIfRetryLoopsLoseNoIncrement) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 150;
  const std::string id = must(store_.insert(Document{{"n", 0}})).id;
  std::atomic<int> conflicts{0};
  FailureLog failures;
  run_parallel(kThreads, [&](int) {
    for (int i = 0; i < kIncrements; ++i) {
      for (;;) {
        auto doc = store_.get(id);
        if (!doc) {
          failures.add("get: " + doc.status().message());
          return;
        }
        Document next = doc->data;
        next["n"] = next.at("n").as_int() + 1;
        auto done = store_.update_if(id, next, doc->version);
        if (done) break;
        if (done.code() != StatusCode::kVersionConflict || done.status().conflict() == nullptr ||
            done.status().conflict()->current_version <= doc->version) {
          failures.add("update_if: " + done.status().message());
          return;
        }
        conflicts.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });
  EXPECT_NO_FAILURES(failures);
  const auto final_doc = must(store_.get(id));
  EXPECT_EQ(final_doc.data.at("n").as_int(), kThreads * kIncrements);
  EXPECT_EQ(final_doc.version, std::uint64_t{kThreads * kIncrements + 1});
  // Every successful write took one revision; conflicts took none.
  EXPECT_EQ(store_.revision(), std::uint64_t{kThreads * kIncrements + 1});
  std::cout << "conflicts retried: " << conflicts.load() << "\n";
}

TEST_P(CasRaceTest, ExactlyOneRemoveIfWins) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 50;
  for (int round = 0; round < kRounds; ++round) {
    const std::string id = must(store_.insert(Document{{"round", round}})).id;
    std::atomic<int> won{0};
    std::atomic<int> lost{0};
    run_parallel(kThreads, [&](int) {
      auto done = store_.remove_if(id, 1);
      if (done) {
        won.fetch_add(1);
      } else if (done.code() == StatusCode::kVersionConflict && done.status().conflict()->current_version == 0) {
        lost.fetch_add(1);
      }
    });
    ASSERT_EQ(won.load(), 1) << "round " << round;
    ASSERT_EQ(lost.load(), kThreads - 1) << "round " << round;
  }
  EXPECT_EQ(store_.size(), 0u);
}

// Transfers between two accounts as batches guarded by both versions: the
// total never changes, and every committed transfer moved both versions.
TEST_P(CasRaceTest, ConditionalBatchesKeepASumConstant) {
  constexpr int kThreads = 4;
  constexpr int kTransfers = 100;
  constexpr std::int64_t kStart = 1000;
  const std::string a = must(store_.insert(Document{{"balance", kStart}})).id;
  const std::string b = must(store_.insert(Document{{"balance", kStart}})).id;
  std::atomic<int> committed{0};
  FailureLog failures;
  run_parallel(kThreads, [&](int t) {
    std::mt19937 rng(static_cast<unsigned>(t) + 1);
    for (int i = 0; i < kTransfers; ++i) {
      // Alternate direction so both ids lead the batch's id order sometimes.
      const bool forward = (rng() & 1U) != 0;
      const std::string& from = forward ? a : b;
      const std::string& to = forward ? b : a;
      const std::int64_t amount = static_cast<std::int64_t>(rng() % 50);
      for (;;) {
        auto src = store_.get(from);
        auto dst = store_.get(to);
        if (!src || !dst) {
          failures.add("get failed");
          return;
        }
        WriteBatch batch;
        batch.update_if(from, Document{{"balance", src->data.at("balance").as_int() - amount}}, src->version);
        batch.update_if(to, Document{{"balance", dst->data.at("balance").as_int() + amount}}, dst->version);
        auto done = store_.write(batch);
        if (done) {
          committed.fetch_add(1, std::memory_order_relaxed);
          break;
        }
        if (done.code() != StatusCode::kVersionConflict) {
          failures.add("write: " + done.status().message());
          return;
        }
      }
    }
  });
  EXPECT_NO_FAILURES(failures);
  const auto fa = must(store_.get(a));
  const auto fb = must(store_.get(b));
  EXPECT_EQ(fa.data.at("balance").as_int() + fb.data.at("balance").as_int(), 2 * kStart);
  EXPECT_EQ(committed.load(), kThreads * kTransfers);
  EXPECT_EQ(fa.version, std::uint64_t{kThreads * kTransfers + 1});
  EXPECT_EQ(fb.version, std::uint64_t{kThreads * kTransfers + 1});
}

INSTANTIATE_TEST_SUITE_P(Kinds, CasRaceTest, testing::ValuesIn(testutil::all_store_kinds()),
                         testutil::store_kind_name);

}  // namespace
}  // namespace snapstore
