// The change feed under threads, also run under ThreadSanitizer (label
// concurrency): every write of concurrent writers, batches and index
// operations delivered once in revision order to a reader keeping up, from
// memory and from the WAL files; wait_next woken by a write and ended by
// close. Sized to take about a second under TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "snapstore/change.h"
#include "snapstore/store.h"
#include "testutil/change_feed.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

using testutil::drain;
using testutil::feed_options;
using testutil::TempDir;

TEST(ChangeFeed, EveryWriteOnceInRevisionOrderUnderConcurrentWriters) {
  TempDir dir;
  auto store = Store::open(dir.path(), feed_options());
  ASSERT_TRUE(store) << store.status().message();
  ASSERT_TRUE(store->insert(Document{{"before", true}}));
  const std::uint64_t start = store->revision();
  auto feed = store->changes(start);
  ASSERT_TRUE(feed) << feed.status().message();

  // What each write produced, by revision: filled by the writers.
  std::mutex expected_mutex;
  std::map<std::uint64_t, Change> expected;
  auto expect = [&](ChangeOp op, const WriteResult& r, const Document& doc, std::uint64_t first, std::uint64_t last) {
    Change c;
    c.revision = r.revision;
    c.op = op;
    c.id = r.id;
    c.version = r.version;
    if (op != ChangeOp::kRemove) c.document = doc;
    c.batch_first_revision = first;
    c.batch_last_revision = last;
    std::lock_guard lock(expected_mutex);
    expected[r.revision] = std::move(c);
  };

  constexpr int kWriters = 3;
  constexpr int kRounds = 30;
  std::atomic<bool> writers_done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kRounds; ++i) {
        Document doc{{"w", w}, {"i", i}, {"pad", std::string(static_cast<std::size_t>(20 + i), 'x')}};
        auto ins = store->insert(doc);
        ASSERT_TRUE(ins);
        expect(ChangeOp::kInsert, *ins, doc, ins->revision, ins->revision);
        Document changed{{"w", w}, {"i", i}, {"updated", true}};
        auto upd = store->update(ins->id, changed);
        ASSERT_TRUE(upd);
        expect(ChangeOp::kUpdate, *upd, changed, upd->revision, upd->revision);
        WriteBatch batch;
        Document a{{"w", w}, {"batch", i}};
        batch.insert(a);
        batch.update(ins->id, Document{{"w", w}, {"i", i}, {"again", 2}});
        auto done = store->write(batch);
        ASSERT_TRUE(done);
        const std::uint64_t first = (*done)[0].revision, last = (*done)[1].revision;
        expect(ChangeOp::kInsert, (*done)[0], a, first, last);
        expect(ChangeOp::kUpdate, (*done)[1], Document{{"w", w}, {"i", i}, {"again", 2}}, first, last);
        if (i % 3 == 0) {
          auto rem = store->remove(ins->id);
          ASSERT_TRUE(rem);
          expect(ChangeOp::kRemove, *rem, {}, rem->revision, rem->revision);
        }
      }
    });
  }
  std::thread indexer([&] {
    for (int k = 0; k < 10; ++k) {
      const std::string name = "ix" + std::to_string(k);
      ASSERT_TRUE(store->create_index(name, {"i"}, IndexOptions{.partial = IndexPredicate::exists("w")}));
      if (k % 2 == 0) {
        ASSERT_TRUE(store->drop_index(name));
      }
    }
  });
  // The reader keeps up while the writers write, from memory and, when it
  // falls behind the small ring, from the WAL files.
  std::vector<Change> got;
  std::thread reader([&] {
    while (!writers_done.load() || got.empty() || got.back().revision < store->revision()) {
      auto batch = feed->wait_next(std::chrono::milliseconds(20), 50);
      ASSERT_TRUE(batch) << batch.status().message();
      for (Change& c : *batch) got.push_back(std::move(c));
    }
  });
  for (auto& t : writers) t.join();
  indexer.join();
  writers_done = true;
  reader.join();

  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().revision, store->revision());
  EXPECT_EQ(feed->position(), store->revision());
  std::map<std::string, std::vector<ChangeOp>> index_ops;
  std::uint64_t next = start + 1;
  for (const Change& c : got) {
    ASSERT_EQ(c.revision, next) << "missing, duplicated or out of order";
    ++next;
    if (c.op == ChangeOp::kCreateIndex || c.op == ChangeOp::kDropIndex) {
      index_ops[c.index].push_back(c.op);
      EXPECT_EQ(c.batch_first_revision, c.revision);
      if (c.op == ChangeOp::kCreateIndex) {
        EXPECT_EQ(c.fields, std::vector<std::string>{"i"});
        EXPECT_EQ(c.index_options, (IndexOptions{.partial = IndexPredicate::exists("w")}));
      }
      continue;
    }
    auto it = expected.find(c.revision);
    ASSERT_NE(it, expected.end()) << "an invented change at " << c.revision;
    EXPECT_EQ(c, it->second) << to_json_line(c) << " vs " << to_json_line(it->second);
  }
  EXPECT_EQ(expected.size() + 15, got.size());  // 10 creates, 5 drops
  for (int k = 0; k < 10; ++k) {
    const auto& ops = index_ops["ix" + std::to_string(k)];
    if (k % 2 == 0) {
      EXPECT_EQ(ops, (std::vector<ChangeOp>{ChangeOp::kCreateIndex, ChangeOp::kDropIndex})) << k;
    } else {
      EXPECT_EQ(ops, std::vector<ChangeOp>{ChangeOp::kCreateIndex}) << k;
    }
  }
  // The feed syncs before it delivers: nothing delivered is only in the page cache.
  EXPECT_GE(store->durable_revision(), got.back().revision);

  // A second feed from the same start reads the same history, now mostly from the files.
  auto again = store->changes(start);
  ASSERT_TRUE(again);
  const std::vector<Change> replayed = drain(*again, start);
  EXPECT_EQ(replayed, got);
}

TEST(ChangeFeed, WaitNextWakesForAWriteAndEndsWhenTheStoreCloses) {
  TempDir dir;
  Options options;
  options.durability = Durability::kSync;
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store);
  auto feed = store->changes(0);
  ASSERT_TRUE(feed);
  auto none = feed->next();
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    ASSERT_TRUE(store->insert(Document{{"late", 1}}));
  });
  const auto started = std::chrono::steady_clock::now();
  auto got = feed->wait_next(std::chrono::seconds(20));
  writer.join();
  ASSERT_TRUE(got) << got.status().message();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].document, (Document{{"late", 1}}));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));

  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    store->close();
  });
  auto closed = feed->wait_next(std::chrono::seconds(20));
  closer.join();
  EXPECT_EQ(closed.code(), StatusCode::kStoreClosed);
  EXPECT_EQ(feed->next().code(), StatusCode::kStoreClosed);
}

}  // namespace
}  // namespace snapstore
