// go-store conformance, SPEC §13: streams are snapshots taken when stream()
// is called, yield each document once in id order, then StreamClosed; the
// errors around close follow the FIX items (STR-10, STR-12).
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::drain;
using testutil::ids_of;
using testutil::must;
using SpecTest = testutil::StoreTest;

std::vector<std::string> insert_n(Store& store, int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(must(store.insert(Document{{"i", i}})).id);
  return ids;
}

TEST_P(SpecTest, STR_01_StreamAlwaysReturnsAStream) {
  insert_n(store_, 2);
  auto open_stream = store_.stream(4);
  EXPECT_OK(open_stream.next());
  Stream closed_by_default;
  EXPECT_CODE(closed_by_default.next(), StatusCode::kStreamClosed);
  closed_by_default.close();
  store_.close();
  auto on_closed_store = store_.stream(4);
  EXPECT_FALSE(on_closed_store.next().is_ok());
}

TEST_P(SpecTest, STR_02_EachDocumentOnceByValueThenStreamClosed) {
  const auto ids = insert_n(store_, 100);
  auto stream = store_.stream(10);
  const auto drained = drain(stream);
  EXPECT_EQ(drained.end, StatusCode::kStreamClosed);
  ASSERT_EQ(drained.documents.size(), 100u);
  std::set<std::string> seen;
  for (const auto& doc : drained.documents) {
    EXPECT_TRUE(seen.insert(doc.id).second) << "delivered twice: " << doc.id;
    const auto current = must(store_.get(doc.id));
    EXPECT_EQ(doc.data, current.data);
    EXPECT_EQ(doc.version, 1u);
    EXPECT_EQ(doc.revision, current.revision);
  }
  EXPECT_EQ(seen, std::set<std::string>(ids.begin(), ids.end()));
  for (int i = 0; i < 5; ++i) EXPECT_CODE(stream.next(), StatusCode::kStreamClosed);
}

TEST_P(SpecTest, STR_03_EmptyStoreStreamEndsAtOnce) {
  auto stream = store_.stream();
  const auto first = stream.next();
  EXPECT_CODE(first, StatusCode::kStreamClosed);
  EXPECT_TRUE(first.status().message().starts_with("stream closed")) << first.status().message();
}

TEST_P(SpecTest, STR_04_LaterWritesAreInvisibleToTheStream) {
  const auto ids = insert_n(store_, 3);
  auto stream = store_.stream(1);
  must(store_.update(ids[0], Document{{"i", 100}}));
  must(store_.remove(ids[1]));
  const auto added = must(store_.insert(Document{{"i", 3}})).id;
  const auto drained = drain(stream);
  EXPECT_EQ(drained.end, StatusCode::kStreamClosed);
  ASSERT_EQ(ids_of(drained.documents), ids);
  EXPECT_EQ(drained.documents[0].data, (Document{{"i", 0}}));
  EXPECT_EQ(drained.documents[0].version, 1u);
  EXPECT_EQ(drained.documents[1].data, (Document{{"i", 1}}));
  EXPECT_NE(drained.documents[2].id, added);
}

TEST_P(SpecTest, STR_05_StreamYieldsIdOrder) {
  const auto ids = insert_n(store_, 50);
  must(store_.remove(ids[10]));
  must(store_.insert(Document{{"i", 50}}));
  must(store_.update(ids[3], Document{{"i", -3}}));
  const auto streamed = ids_of(testutil::scan(store_));
  ASSERT_EQ(streamed.size(), 50u);
  EXPECT_TRUE(std::is_sorted(streamed.begin(), streamed.end()));
  std::vector<std::string> expected = ids;
  expected.erase(expected.begin() + 10);
  EXPECT_EQ(std::vector<std::string>(streamed.begin(), streamed.begin() + 49), expected);
}

TEST_P(SpecTest, STR_06_BufferSizeNeverChangesTheResult) {
  const auto ids = insert_n(store_, 30);
  for (std::ptrdiff_t buffer : {std::ptrdiff_t{0}, std::ptrdiff_t{-5}, std::ptrdiff_t{1}, std::ptrdiff_t{10},
                                std::ptrdiff_t{1000}}) {
    auto stream = store_.stream(buffer);
    const auto drained = drain(stream);
    EXPECT_EQ(drained.end, StatusCode::kStreamClosed) << "buffer " << buffer;
    EXPECT_EQ(ids_of(drained.documents), ids) << "buffer " << buffer;
  }
}

TEST_P(SpecTest, STR_07_NextNeverBlocksAfterExhaustionOrClose) {
  insert_n(store_, 3);
  auto exhausted = store_.stream(0);
  drain(exhausted);
  auto closed = store_.stream(0);
  closed.close();
  for (int i = 0; i < 1000; ++i) {
    EXPECT_CODE(exhausted.next(), StatusCode::kStreamClosed);
    EXPECT_CODE(closed.next(), StatusCode::kStreamClosed);
  }
}

TEST_P(SpecTest, STR_08_CloseIsIdempotentAndWorksFromAnotherThread) {
  insert_n(store_, 200);
  auto stream = store_.stream(0);
  std::atomic<int> delivered{0};
  std::atomic<bool> started{false};
  std::thread consumer([&] {
    while (true) {
      started.store(true);
      auto next = stream.next();
      if (!next.is_ok()) {
        EXPECT_EQ(next.code(), StatusCode::kStreamClosed);
        return;
      }
      delivered.fetch_add(1);
    }
  });
  while (!started.load()) std::this_thread::yield();
  stream.close();
  stream.close();
  consumer.join();
  EXPECT_LE(delivered.load(), 200);
  EXPECT_CODE(stream.next(), StatusCode::kStreamClosed);
  stream.close();
  EXPECT_CODE(stream.next(), StatusCode::kStreamClosed);
}

TEST_P(SpecTest, STR_09_StreamOutlivesStoreClose) {
  const auto ids = insert_n(store_, 20);
  auto stream = store_.stream(2);
  EXPECT_OK(stream.next());
  store_.close();
  const auto drained = drain(stream);
  EXPECT_EQ(drained.end, StatusCode::kStreamClosed);
  EXPECT_EQ(ids_of(drained.documents), std::vector<std::string>(ids.begin() + 1, ids.end()));
}

TEST_P(SpecTest, STR_10_StreamOnClosedStoreReportsStoreClosedThenStreamClosed) {
  insert_n(store_, 5);
  store_.close();
  auto stream = store_.stream(10);
  const auto first = stream.next();
  EXPECT_CODE(first, StatusCode::kStoreClosed);
  EXPECT_TRUE(first.status().message().starts_with("store closed")) << first.status().message();
  for (int i = 0; i < 5; ++i) EXPECT_CODE(stream.next(), StatusCode::kStreamClosed);
}

TEST_P(SpecTest, STR_11_ExhaustedStreamKeepsAnsweringStreamClosed) {
  insert_n(store_, 1);
  auto stream = store_.stream();
  EXPECT_OK(stream.next());
  for (int i = 0; i < 10; ++i) EXPECT_CODE(stream.next(), StatusCode::kStreamClosed);
}

TEST_P(SpecTest, STR_12_NextAfterCloseIsStreamClosed) {
  insert_n(store_, 20);
  auto stream = store_.stream(10);
  EXPECT_OK(stream.next());
  stream.close();
  for (int i = 0; i < 20; ++i) EXPECT_CODE(stream.next(), StatusCode::kStreamClosed);

  auto exhausted = store_.stream(10);
  drain(exhausted);
  exhausted.close();
  EXPECT_CODE(exhausted.next(), StatusCode::kStreamClosed);
}

TEST_P(SpecTest, STR_13_SharedStreamDeliversEachDocumentToOneCaller) {
  const auto ids = insert_n(store_, 400);
  auto stream = store_.stream(8);
  std::mutex mu;
  std::multiset<std::string> got;
  std::atomic<int> bad_end{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      while (true) {
        auto next = stream.next();
        if (!next.is_ok()) {
          if (next.code() != StatusCode::kStreamClosed) bad_end.fetch_add(1);
          break;
        }
        mine.push_back(next->id);
      }
      std::lock_guard lock(mu);
      got.insert(mine.begin(), mine.end());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad_end.load(), 0);
  EXPECT_EQ(got, std::multiset<std::string>(ids.begin(), ids.end()));
}

TEST_P(SpecTest, STR_14_AbandonedStreamsReleaseAndSurviveTheStore) {
  insert_n(store_, 50);
  for (int i = 0; i < 200; ++i) {
    auto undrained = store_.stream(i % 7);
    if (i % 2 == 0) {
      EXPECT_OK(undrained.next());
    }
  }
  Stream survivor;
  {
    auto doomed = open_store();
    insert_n(doomed, 10);
    survivor = doomed.stream(3);
  }
  const auto drained = drain(survivor);
  EXPECT_EQ(drained.documents.size(), 10u);
  EXPECT_EQ(drained.end, StatusCode::kStreamClosed);
  Stream moved = std::move(survivor);
  EXPECT_CODE(moved.next(), StatusCode::kStreamClosed);
}

}  // namespace
}  // namespace snapstore
