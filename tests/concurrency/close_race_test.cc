// close() racing every other operation (SPEC CLS-05, CON-01): nothing
// crashes, each call gives its normal result or StoreClosed, StoreClosed is
// permanent once seen, and streams, cursors and clones made before the close
// keep their documented behaviour.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
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

TEST_P(ConcurrencyTest, CLS_05_CloseRacingOperationsNeverCrashes) {
  const auto seed = testutil::test_seed();
  constexpr int kWorkers = 8;
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto store = open_store();
    must(store.create_index("by_n", {"n"}));
    std::vector<std::string> ids;  // one per worker, never removed by anyone
    for (int t = 0; t < kWorkers; ++t) ids.push_back(must(store.insert(Document{{"n", t}, {"w", t}})).id);
    std::atomic<int> started{0};
    std::atomic<long> ok_calls{0};
    std::atomic<long> closed_calls{0};
    FailureLog failures;

    run_parallel(kWorkers + 1, [&](int t) {
      if (t == kWorkers) {
        while (started.load() < kWorkers) std::this_thread::yield();
        std::this_thread::sleep_for(std::chrono::microseconds(200 * round));
        store.close();
        store.close();
        return;
      }
      std::mt19937_64 rng(seed + static_cast<std::uint64_t>(round * 100 + t));
      bool seen_closed = false;
      // A store-level call's code: ok or StoreClosed, and StoreClosed for
      // good once seen.
      auto judge = [&](StatusCode code, const char* what) {
        if (code == StatusCode::kOk) {
          if (seen_closed) failures.add(std::string(what) + " succeeded after StoreClosed was seen");
          ok_calls.fetch_add(1);
        } else if (code == StatusCode::kStoreClosed) {
          seen_closed = true;
          closed_calls.fetch_add(1);
        } else {
          failures.add(std::string(what) + ": " + testutil::describe(code));
        }
      };
      started.fetch_add(1);
      for (int i = 0; i < 400 && !(seen_closed && i > 50); ++i) {
        switch (rng() % 10) {
          case 0: {
            auto r = store.insert(Document{{"n", 100 + t}});
            judge(r.code(), "insert");
            if (r.is_ok()) judge(store.remove(r->id).code(), "remove");
            break;
          }
          case 1:
            judge(store.get(ids[t]).code(), "get");
            break;
          case 2:
            judge(store.update(ids[t], Document{{"n", t}, {"w", i}}).code(), "update");
            break;
          case 3:
            judge(store.lookup("by_n", {t}).code(), "lookup");
            break;
          case 4:
            judge(store.lookup_range("by_n", {0}, {kWorkers}).code(), "lookup_range");
            break;
          case 5: {
            const std::string name = "idx" + std::to_string(t);
            const auto created = store.create_index(name, {"w"});
            judge(created.code(), "create_index");
            if (created.is_ok()) judge(store.drop_index(name).code(), "drop_index");
            break;
          }
          case 6: {
            auto stream = store.stream(static_cast<std::ptrdiff_t>(rng() % 3));
            auto first = stream.next();
            if (first.code() == StatusCode::kStoreClosed) {
              judge(first.code(), "stream");
              if (stream.next().code() != StatusCode::kStreamClosed) failures.add("stream after StoreClosed");
              break;
            }
            if (!first.is_ok()) {
              failures.add("stream's first next: " + first.status().message());
              break;
            }
            judge(StatusCode::kOk, "stream");
            const auto rest = testutil::drain(stream);
            if (rest.end != StatusCode::kStreamClosed) failures.add("stream ended with " + testutil::describe(rest.end));
            if (rest.documents.size() + 1 < static_cast<std::size_t>(kWorkers)) failures.add("stream lost documents");
            break;
          }
          case 7: {
            auto cursor = store.read();
            judge(cursor.code(), "read");
            if (!cursor.is_ok()) break;
            for (std::size_t k = 0; k < cursor->count(); ++k) {
              const auto step = cursor->next();
              const auto code = step.code();
              if (code != StatusCode::kOk && code != StatusCode::kStoreClosed && code != StatusCode::kDocumentDeleted) {
                failures.add("cursor.next: " + step.status().message());
              }
            }
            break;
          }
          case 8: {
            auto clone = store.clone();
            judge(clone.code(), "clone");
            if (clone.is_ok()) {
              if (clone->is_closed()) failures.add("clone came back closed");
              if (!clone->get(ids[t]).is_ok()) failures.add("clone lacks a long-lived document");
              clone->close();
            }
            break;
          }
          default:
            (void)store.revision();
            (void)store.size();
            (void)store.indexes();
            (void)store.is_closed();
            break;
        }
      }
    });
    EXPECT_NO_FAILURES(failures) << " seed=" << seed;
    EXPECT_TRUE(store.is_closed());
    EXPECT_CODE(store.get(ids[0]), StatusCode::kStoreClosed);
    std::cout << "[   INFO   ] round " << round << ": " << ok_calls.load() << " calls ok, " << closed_calls.load()
              << " StoreClosed" << std::endl;
  }
}

// Streams made before a racing close deliver their whole snapshot; cursors
// made before it answer documents or StoreClosed, never anything else.
TEST_P(ConcurrencyTest, CLS_04_StreamsAndCursorsSurviveARacingClose) {
  constexpr int kDocs = 200;
  constexpr int kReaders = 6;
  for (int i = 0; i < kDocs; ++i) must(store_.insert(Document{{"i", i}}));
  std::vector<Stream> streams;
  std::vector<Cursor> cursors;
  for (int t = 0; t < kReaders; ++t) {
    streams.push_back(store_.stream(t));
    cursors.push_back(must(store_.read()));
  }
  FailureLog failures;
  run_parallel(kReaders + 1, [&](int t) {
    if (t == kReaders) {
      std::this_thread::sleep_for(std::chrono::microseconds(300));
      store_.close();
      return;
    }
    const auto drained = testutil::drain(streams[t]);
    if (drained.end != StatusCode::kStreamClosed) failures.add("stream ended with " + testutil::describe(drained.end));
    if (drained.documents.size() != static_cast<std::size_t>(kDocs)) {
      failures.add("stream delivered " + std::to_string(drained.documents.size()) + " documents");
    }
    bool closed = false;
    for (int k = 0; k < kDocs; ++k) {
      const auto step = cursors[t].next();
      if (step.code() == StatusCode::kStoreClosed) {
        closed = true;
      } else if (!step.is_ok() || !step->document) {
        failures.add("cursor.next: " + testutil::describe(step.status()));
      } else if (closed) {
        failures.add("cursor read a document after StoreClosed");
      }
    }
  });
  EXPECT_NO_FAILURES(failures);
  EXPECT_TRUE(store_.is_closed());
}

}  // namespace
}  // namespace snapstore
