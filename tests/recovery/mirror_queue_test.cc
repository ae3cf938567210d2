// The mirror's queue (D107): batches pass from the WAL's leader to the
// applier through chunks of bytes, in order, across chunk boundaries and in
// chunks of their own when large; the producer waits while the queue is over
// max_lag_bytes and the applier is stalled; close() applies everything
// enqueued; a failed apply is sticky and never leaves the producer waiting.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "recovery/mirror.h"
#include "testutil/temp_dir.h"
#include "value/msgpack_codec.h"
#include "wal/record.h"

namespace snapstore::recovery {
namespace {

using namespace std::chrono_literals;
using testutil::TempDir;

struct Stored {
  std::uint64_t version = 0;
  std::uint64_t revision = 0;
  std::size_t bytes = 0;
};

// Collects what Mirror::load hands over.
class CollectingSink final : public LoadSink {
 public:
  Status on_index(std::string_view, std::vector<std::string>, IndexOptions) override { return Status::ok(); }
  void expect_documents(std::uint64_t) override {}
  std::unique_ptr<DocumentLoader> make_loader() override { return std::make_unique<Loader>(*this); }
  Status on_loaded() override { return Status::ok(); }

  std::mutex mutex;
  std::map<std::string, Stored> docs;  // guarded by mutex

 private:
  class Loader final : public DocumentLoader {
   public:
    explicit Loader(CollectingSink& sink) : sink_(sink) {}
    Status on_document(std::string_view id, std::uint64_t version, std::uint64_t revision,
                       std::string_view document) override {
      std::lock_guard lock(sink_.mutex);
      sink_.docs[std::string(id)] = Stored{version, revision, document.size()};
      return Status::ok();
    }
    Status finish() override { return Status::ok(); }

   private:
    CollectingSink& sink_;
  };
};

std::string document_of(std::size_t pad) {
  std::string bytes;
  EXPECT_TRUE(value::encode_msgpack(Object{{"pad", std::string(pad, 'x')}}, bytes, 100).is_ok());
  return bytes;
}

class MirrorQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(wal::Env::posix()->create_dir(dir_ / "wal").is_ok()); }

  std::unique_ptr<Mirror> open(const MirrorOptions& options) {
    auto mirror = Mirror::open(wal::Env::posix(), dir_ / "db", dir_ / "wal", options);
    EXPECT_TRUE(mirror.is_ok()) << mirror.status().message();
    return mirror.is_ok() ? std::move(*mirror) : nullptr;
  }

  // One batch: `count` updates of key `key`, versions next_version.., each
  // document `pad` bytes long. Returns its payload and advances the LSN.
  std::string batch(const std::string& key, std::size_t count, std::size_t pad, std::uint64_t& first,
                    std::uint64_t& last) {
    std::vector<wal::Operation> ops;
    const std::string document = document_of(pad);
    for (std::size_t i = 0; i < count; ++i) ops.push_back({wal::OpType::kInsert, key, ++versions_[key], document, {}});
    std::string payload;
    first = lsn_ + 1;
    last = lsn_ + count;
    wal::append_payload(payload, first, wal::encode_operations(ops));
    lsn_ = last;
    expected_[key] = Stored{versions_[key], last, document.size()};
    return payload;
  }

  // Reopens the closed mirror read-only and checks it holds exactly what
  // was enqueued, as of the last LSN.
  void expect_everything_applied() {
    MirrorOptions options;
    options.read_only = true;
    auto mirror = open(options);
    ASSERT_NE(mirror, nullptr);
    EXPECT_EQ(mirror->applied_lsn(), lsn_);
    CollectingSink sink;
    ASSERT_TRUE(mirror->load(sink, 1).is_ok());
    ASSERT_EQ(sink.docs.size(), expected_.size());
    for (const auto& [key, want] : expected_) {
      const Stored& got = sink.docs[key];
      EXPECT_EQ(got.version, want.version) << key;
      EXPECT_EQ(got.revision, want.revision) << key;
      EXPECT_EQ(got.bytes, want.bytes) << key;
    }
  }

  TempDir dir_;
  std::uint64_t lsn_ = 0;
  std::map<std::string, std::uint64_t> versions_;
  std::map<std::string, Stored> expected_;
};

// Batches of many sizes, some larger than a chunk (64 KiB) and one larger
// than the whole bound, many updates of few keys (so an out-of-order apply
// leaves an older version behind), a small bound so that chunks fill, wrap
// into reused ones and the producer waits; then close() without a
// checkpoint: everything enqueued is in RocksDB, in LSN order.
TEST_F(MirrorQueueTest, BatchesArriveInOrderAcrossChunksAndCloseAppliesThemAll) {
  MirrorOptions options;
  options.max_lag_bytes = 96 << 10;
  auto mirror = open(options);
  ASSERT_NE(mirror, nullptr);
  for (std::size_t i = 0; i < 3000; ++i) {
    const std::size_t pad = i % 500 == 7 ? (80 << 10) : i == 1500 ? (200 << 10) : (i * 37) % 1500;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    const std::string payload = batch("key-" + std::to_string(i % 23), 1 + i % 3, pad, first, last);
    mirror->enqueue(first, last, payload);
  }
  ASSERT_TRUE(mirror->close().is_ok());
  EXPECT_TRUE(mirror->error().is_ok());
  mirror.reset();
  expect_everything_applied();
}

// With the applier stalled (inside a checkpoint's retention hook), the
// producer stops once the queue holds max_lag_bytes, and goes on when the
// applier does.
TEST_F(MirrorQueueTest, TheProducerWaitsWhileTheStalledApplierHoldsTheBound) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> stalled_once{false};
  MirrorOptions options;
  options.max_lag_bytes = 16 << 10;
  options.retention = [&](const std::vector<wal::SegmentInfo>&, std::uint64_t) {
    if (!stalled_once.exchange(true)) {
      entered.set_value();
      released.wait();
    }
    return RetentionDecision{};
  };
  auto mirror = open(options);
  ASSERT_NE(mirror, nullptr);
  std::thread checkpointer([&] { EXPECT_TRUE(mirror->checkpoint().is_ok()); });
  ASSERT_EQ(entered.get_future().wait_for(10s), std::future_status::ready);

  constexpr std::size_t kBatches = 200;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> lsns(kBatches);
  std::vector<std::string> payloads;
  for (std::size_t i = 0; i < kBatches; ++i) {
    payloads.push_back(batch("key-" + std::to_string(i), 1, 1000, lsns[i].first, lsns[i].second));
  }
  std::atomic<std::size_t> enqueued{0};
  std::thread producer([&] {
    for (std::size_t i = 0; i < kBatches; ++i) {
      mirror->enqueue(lsns[i].first, lsns[i].second, payloads[i]);
      enqueued.fetch_add(1);
    }
  });
  // ~1 KiB a batch against a 16 KiB bound: about 16 enqueue, then the
  // producer waits for as long as the applier is stalled.
  std::this_thread::sleep_for(300ms);
  const std::size_t while_stalled = enqueued.load();
  EXPECT_GE(while_stalled, 10U);
  EXPECT_LE(while_stalled, 20U);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(enqueued.load(), while_stalled);

  release.set_value();
  producer.join();
  checkpointer.join();
  EXPECT_EQ(enqueued.load(), kBatches);
  ASSERT_TRUE(mirror->close().is_ok());
  mirror.reset();
  expect_everything_applied();
}

// A batch the applier cannot apply fails the mirror for good; the producer
// is never left waiting for room in a queue nobody drains, and checkpoint()
// reports the failure.
TEST_F(MirrorQueueTest, AFailedApplyIsStickyAndNeverLeavesTheProducerWaiting) {
  MirrorOptions options;
  options.max_lag_bytes = 1 << 10;
  auto mirror = open(options);
  ASSERT_NE(mirror, nullptr);
  const std::string garbage(2000, '\xc1');  // 0xc1: never used in msgpack
  mirror->enqueue(1, 1, garbage);
  auto producer = std::async(std::launch::async, [&] {
    for (std::uint64_t lsn = 2; lsn < 200; ++lsn) {
      std::uint64_t first = 0;
      std::uint64_t last = 0;
      lsn_ = lsn - 1;
      const std::string payload = batch("key", 1, 2000, first, last);
      mirror->enqueue(first, last, payload);
    }
  });
  ASSERT_EQ(producer.wait_for(10s), std::future_status::ready);
  const Status checkpoint = mirror->checkpoint();
  EXPECT_FALSE(checkpoint.is_ok());
  EXPECT_EQ(checkpoint.code(), mirror->error().code());
  EXPECT_NE(mirror->error().message().find("msgpack"), std::string::npos) << mirror->error().message();
  EXPECT_EQ(mirror->applied_lsn(), 0U);
}

}  // namespace
}  // namespace snapstore::recovery
