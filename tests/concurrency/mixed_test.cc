// Every store method at once (SPEC CON-01) and cursors under remove/insert
// churn (CON-08, the concurrent side of CUR-21): under ThreadSanitizer this
// is the data-race check; the asserts are the invariants that must hold
// whatever the interleaving.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::FailureLog;
using testutil::must;
using testutil::run_parallel;
using ConcurrencyTest = testutil::StoreTest;

TEST_P(ConcurrencyTest, CON_01_EveryMethodConcurrently) {
  const auto seed = testutil::test_seed();
  constexpr int kThreads = 8;
  constexpr int kOps = 300;
  must(store_.create_index("by_g", {"g"}));
  std::vector<std::string> shared;
  for (int i = 0; i < 16; ++i) shared.push_back(must(store_.insert(Document{{"g", i % 4}, {"i", i}})).id);
  FailureLog failures;
  auto expect = [&](bool ok, const std::string& what) {
    if (!ok) failures.add(what);
  };
  run_parallel(kThreads, [&](int t) {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
    std::vector<std::string> mine;
    for (int i = 0; i < kOps; ++i) {
      const std::int64_t g = static_cast<std::int64_t>(rng() % 4);
      switch (rng() % 12) {
        case 0: {
          auto r = store_.insert(Document{{"g", g}, {"owner", t}});
          expect(r.is_ok(), "insert");
          if (r.is_ok()) mine.push_back(r->id);
          break;
        }
        case 1:
          if (!mine.empty()) {
            expect(store_.remove(mine.back()).is_ok(), "remove of an own document");
            mine.pop_back();
          }
          break;
        case 2: {
          const auto r = store_.update(shared[rng() % shared.size()], Document{{"g", g}, {"by", t}, {"i", -1}});
          expect(r.is_ok(), "update of a shared document");
          break;
        }
        case 3: {
          const auto r = store_.get(shared[rng() % shared.size()]);
          expect(r.is_ok(), "get of a shared document");
          break;
        }
        case 4: {
          const auto r = store_.lookup("by_g", {g});
          expect(r.is_ok(), "lookup");
          if (r.is_ok()) {
            for (const auto& d : *r) expect(compare(d.data.at("g"), g) == 0, "lookup returned another key");
          }
          break;
        }
        case 5:
          expect(store_.lookup_range("by_g", {g}, {g + 1}).is_ok(), "lookup_range");
          break;
        case 6: {
          const std::string name = "t" + std::to_string(t);
          const auto created = store_.create_index(name, {"owner"});
          expect(created.is_ok(), "create_index");
          expect(store_.drop_index(name).is_ok(), "drop_index");
          break;
        }
        case 7: {
          auto stream = store_.stream(static_cast<std::ptrdiff_t>(rng() % 3));
          const auto drained = testutil::drain(stream);
          expect(drained.end == StatusCode::kStreamClosed, "stream end");
          expect(drained.documents.size() >= shared.size(), "stream lost a shared document");
          break;
        }
        case 8: {
          auto cursor = store_.read();
          expect(cursor.is_ok(), "read");
          if (cursor.is_ok()) {
            while (true) {
              const auto step = cursor->next();
              if (!step.is_ok()) {
                expect(step.code() == StatusCode::kDocumentDeleted, "cursor step: " + step.status().message());
                continue;
              }
              if (!step->document) break;
            }
          }
          break;
        }
        case 9: {
          auto by_index = store_.read_index("by_g");
          expect(by_index.is_ok(), "read_index");
          break;
        }
        case 10: {
          auto clone = store_.clone([](DocumentResult& d) { return d.data.contains("i"); });
          expect(clone.is_ok() && clone->size() == shared.size(), "filtered clone keeps the shared documents");
          break;
        }
        default:
          (void)store_.size();
          (void)store_.revision();
          (void)store_.indexes();
          break;
      }
    }
  });
  EXPECT_NO_FAILURES(failures) << " seed=" << seed;
  const auto all = testutil::scan(store_);
  EXPECT_EQ(all.size(), store_.size());
  for (std::int64_t g = 0; g < 4; ++g) {
    std::set<std::string> expected;
    for (const auto& d : all) {
      if (compare(d.data.at("g"), g) == 0) expected.insert(d.id);
    }
    EXPECT_EQ(testutil::id_set(must(store_.lookup("by_g", {g}))), expected) << "g=" << g;
  }
  ASSERT_EQ(store_.indexes().size(), 1u);
}

// Cursors read while documents are removed and new ones inserted: a cursor
// returns a document of its own list with that document's data, or
// DocumentDeleted; never a newcomer.
TEST_P(ConcurrencyTest, CON_08_CursorsUnderRemoveInsertChurn) {
  const auto seed = testutil::test_seed();
  constexpr int kDocs = 500;
  constexpr int kReaders = 4;
  std::vector<std::string> ids;
  for (int i = 0; i < kDocs; ++i) ids.push_back(must(store_.insert(Document{{"i", i}})).id);
  std::vector<Cursor> cursors;
  for (int t = 0; t < kReaders; ++t) cursors.push_back(must(store_.read()));
  std::atomic<bool> churning{true};
  FailureLog failures;
  run_parallel(kReaders + 2, [&](int t) {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
    if (t >= kReaders) {
      // Two churners: remove originals (disjoint halves) and insert newcomers.
      for (int i = t - kReaders; i < kDocs; i += 2) {
        if (rng() % 2 == 0) {
          if (!store_.remove(ids[i]).is_ok()) failures.add("remove");
        }
        if (!store_.insert(Document{{"i", kDocs + i}, {"newcomer", true}}).is_ok()) failures.add("insert");
      }
      churning.store(false);
      return;
    }
    auto& cursor = cursors[t];
    int passes = 0;
    while (churning.load() || passes < 2) {
      ++passes;
      if (!cursor.reset().is_ok()) failures.add("reset");
      for (std::size_t p = 0; p < cursor.count(); ++p) {
        const auto step = cursor.next();
        if (!step.is_ok()) {
          if (step.code() != StatusCode::kDocumentDeleted) failures.add("cursor: " + step.status().message());
          continue;
        }
        if (!step->document) {
          failures.add("cursor ended early");
          break;
        }
        const auto& d = *step->document;
        if (d.id != ids[p] || d.data != Document{{"i", static_cast<std::int64_t>(p)}}) {
          failures.add("position " + std::to_string(p) + " read " + d.id + " " + to_json(Value(d.data)));
        }
      }
    }
  });
  EXPECT_NO_FAILURES(failures) << " seed=" << seed;
  for (auto& cursor : cursors) EXPECT_EQ(cursor.count(), static_cast<std::size_t>(kDocs));
}

// DESIGN.md invariant 7 for lookups: a batch that moves every member of a
// group to the next generation is seen by a lookup entirely or not at all.
TEST_P(ConcurrencyTest, LookupsSeeABatchWholeOrNotAtAll) {
  constexpr int kMembers = 12;
  constexpr int kGenerations = 300;
  must(store_.create_index("by_gen", {"gen"}));
  std::vector<std::string> ids;
  for (int i = 0; i < kMembers; ++i) ids.push_back(must(store_.insert(Document{{"gen", 0}, {"i", i}})).id);
  std::atomic<int> written{0};
  FailureLog failures;
  run_parallel(3, [&](int t) {
    if (t == 0) {
      for (int g = 1; g <= kGenerations; ++g) {
        WriteBatch batch;
        for (int i = 0; i < kMembers; ++i) {
          batch.update(ids[static_cast<std::size_t>(i)], Document{{"gen", g}, {"i", i}});
        }
        must(store_.write(batch));
        written.store(g, std::memory_order_release);
      }
      return;
    }
    while (written.load(std::memory_order_acquire) < kGenerations) {
      const int g = written.load(std::memory_order_acquire);
      for (int probe : {g, g + 1}) {
        const auto found = must(store_.lookup_view("by_gen", {probe}));
        if (!found.empty() && found.size() != static_cast<std::size_t>(kMembers)) {
          failures.add("generation " + std::to_string(probe) + ": " + std::to_string(found.size()) + " of " +
                       std::to_string(kMembers) + " members");
        }
      }
    }
  });
  EXPECT_NO_FAILURES(failures);
}

}  // namespace
}  // namespace snapstore
