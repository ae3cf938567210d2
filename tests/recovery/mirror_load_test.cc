// Mirror::load: the docs column family split into ranges of about equal size
// (also when ids are skewed), read by several threads from one snapshot, each
// document handed over exactly once, and the first failure ending the load.
#include <gtest/gtest.h>

#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "recovery/mirror.h"
#include "recovery/mirror_families.h"
#include "recovery/rocksdb_logger.h"
#include "testutil/temp_dir.h"
#include "value/msgpack_codec.h"
#include "wal/record.h"

namespace snapstore::recovery {
namespace {

using testutil::TempDir;

// Collects what load hands over; thread-safe where load needs it to be.
class CollectingSink final : public LoadSink {
 public:
  // A loader fails at its `fail_at`-th document (0: never).
  explicit CollectingSink(std::size_t fail_at = 0) : fail_at_(fail_at) {}

  Status on_index(std::string_view name, std::vector<std::string>, IndexOptions) override {
    indexes.emplace_back(name);
    return Status::ok();
  }
  void expect_documents(std::uint64_t) override {}
  std::unique_ptr<DocumentLoader> make_loader() override {
    ++loaders_made;
    return std::make_unique<Loader>(*this);
  }
  Status on_loaded() override {
    ++loaded_calls;
    return Status::ok();
  }

  std::function<void()> on_first_document;  // if set: called once, by the first document's loader
  std::once_flag first_document;
  std::vector<std::string> indexes;
  std::mutex mutex;
  std::vector<std::string> ids;  // guarded by mutex
  std::atomic<int> loaders_made{0};
  std::atomic<int> loaders_finished{0};
  std::atomic<int> loaded_calls{0};

 private:
  class Loader final : public DocumentLoader {
   public:
    explicit Loader(CollectingSink& sink) : sink_(sink) {}
    Status on_document(std::string_view id, std::uint64_t version, std::uint64_t, std::string_view) override {
      if (sink_.fail_at_ != 0 && ++seen_ == sink_.fail_at_) return Status::corruption("refused " + std::string(id));
      if (version != 1) return Status::corruption("version " + std::to_string(version));
      if (sink_.on_first_document) std::call_once(sink_.first_document, sink_.on_first_document);
      std::lock_guard lock(sink_.mutex);
      sink_.ids.emplace_back(id);
      return Status::ok();
    }
    Status finish() override {
      ++sink_.loaders_finished;
      return Status::ok();
    }

   private:
    CollectingSink& sink_;
    std::size_t seen_ = 0;
  };

  const std::size_t fail_at_;
};

class MirrorLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(wal::Env::posix()->create_dir(dir_ / "wal").is_ok());
    auto mirror = Mirror::open(wal::Env::posix(), dir_ / "db", dir_ / "wal", MirrorOptions{});
    ASSERT_TRUE(mirror.is_ok()) << mirror.status().message();
    mirror_ = std::move(*mirror);
  }

  // Inserts documents under `ids` through the applier, a checkpoint after
  // every `per_checkpoint` of them (so they spread over several SST files).
  void insert(const std::vector<std::string>& ids, std::size_t per_checkpoint) {
    std::string document;
    ASSERT_TRUE(value::encode_msgpack(Object{{"pad", std::string(200, 'x')}}, document, 100).is_ok());
    std::vector<wal::Operation> ops;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      ops.push_back({wal::OpType::kInsert, ids[i], 1, document, {}});
      if (ops.size() == 100 || i + 1 == ids.size()) {
        std::string payload;
        wal::append_payload(payload, lsn_ + 1, wal::encode_operations(ops));
        mirror_->enqueue(lsn_ + 1, lsn_ + ops.size(), payload);
        lsn_ += ops.size();
        ops.clear();
      }
      if ((i + 1) % per_checkpoint == 0 || i + 1 == ids.size()) {
        ASSERT_TRUE(mirror_->checkpoint().is_ok());
      }
    }
  }

  TempDir dir_;
  std::unique_ptr<Mirror> mirror_;
  std::uint64_t lsn_ = 0;
};

// Ids as UUIDv7 would give them, but 90% crowded into one millisecond-wide
// band and the rest spread thinly on both sides of it: splitting the key
// space evenly would put nearly everything into one range.
std::vector<std::string> skewed_ids(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> ids;
  char id[40];
  for (std::size_t i = 0; i < n; ++i) {
    const bool crowded = i % 10 != 0;
    const unsigned long long high = crowded ? 0x0193'4567'89abULL : rng() % 0xffff'ffff'ffffULL;
    std::snprintf(id, sizeof id, "%012llx-%04llx-%016llx", high, static_cast<unsigned long long>(rng() % 0x10000),
                  static_cast<unsigned long long>(rng()));
    ids.emplace_back(id);
  }
  return ids;
}

TEST_F(MirrorLoadTest, SkewedIdsSplitIntoRangesOfAboutEqualSize) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<std::string> ids = skewed_ids(20000, seed);
  insert(ids, 5000);
  std::sort(ids.begin(), ids.end());

  constexpr std::size_t kParts = 8;
  auto splits = mirror_->load_split_points(kParts);
  ASSERT_TRUE(splits.is_ok()) << splits.status().message();
  ASSERT_EQ(splits->size(), kParts - 1);
  ASSERT_TRUE(std::is_sorted(splits->begin(), splits->end()));
  std::size_t begin = 0;
  for (std::size_t part = 0; part < kParts; ++part) {
    const std::size_t end = part + 1 < kParts
                                ? std::lower_bound(ids.begin(), ids.end(), (*splits)[part]) - ids.begin()
                                : ids.size();
    // An even share is 2500; estimates work in blocks of ~16 documents.
    EXPECT_GT(end - begin, ids.size() / kParts / 2) << "range " << part;
    EXPECT_LT(end - begin, ids.size() / kParts * 3 / 2) << "range " << part;
    begin = end;
  }
}

TEST_F(MirrorLoadTest, EveryDocumentArrivesOnceWithAnyThreadCount) {
  std::vector<std::string> ids = skewed_ids(6000, 7);
  insert(ids, 2000);
  std::sort(ids.begin(), ids.end());
  for (const unsigned threads : {1U, 2U, 5U}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    CollectingSink sink;
    ASSERT_TRUE(mirror_->load(sink, threads).is_ok());
    std::sort(sink.ids.begin(), sink.ids.end());
    EXPECT_EQ(sink.ids, ids);
    // One loader per thread, unless there are fewer ranges than threads.
    EXPECT_LE(sink.loaders_made.load(), static_cast<int>(threads));
    EXPECT_GE(sink.loaders_made.load(), std::min(2, static_cast<int>(threads)));
    EXPECT_EQ(sink.loaders_finished.load(), sink.loaders_made.load());
    EXPECT_EQ(sink.loaded_calls.load(), 1);
  }
}

TEST_F(MirrorLoadTest, EmptyAndSingleDocumentStoresLoad) {
  CollectingSink empty;
  ASSERT_TRUE(mirror_->load(empty, 4).is_ok());
  EXPECT_TRUE(empty.ids.empty());
  EXPECT_EQ(empty.loaded_calls.load(), 1);
  EXPECT_TRUE(mirror_->load_split_points(4)->empty());

  insert({"only"}, 1);
  CollectingSink one;
  ASSERT_TRUE(mirror_->load(one, 4).is_ok());
  EXPECT_EQ(one.ids, std::vector<std::string>{"only"});
}

TEST_F(MirrorLoadTest, ALoaderFailureEndsTheLoadWithItsError) {
  insert(skewed_ids(6000, 11), 3000);
  CollectingSink sink(/*fail_at=*/500);
  const Status status = mirror_->load(sink, 3);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_NE(status.message().find("refused"), std::string::npos) << status.message();
  EXPECT_EQ(sink.loaded_calls.load(), 0);
}

// The SST files in a RocksDB directory.
std::set<std::string> sst_files(const std::filesystem::path& db) {
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(db)) {
    if (entry.path().extension() == ".sst") files.insert(entry.path().filename().string());
  }
  return files;
}

// Waits up to `limit` for an SST file not in `known` (a compaction's output).
bool new_sst_within(const std::filesystem::path& db, const std::set<std::string>& known,
                    std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  do {
    for (const std::string& file : sst_files(db)) {
      if (!known.contains(file)) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

// D120: a session that closes right after a load leaves level 0 due for a
// compaction; RocksDB would start it as the next open opens, beside the
// load's threads. It starts once the load is done, and it does start.
TEST_F(MirrorLoadTest, CompactionsPendingAtOpenWaitForTheLoad) {
  mirror_.reset();
  const std::filesystem::path db = dir_ / "db";
  {
    // Four level-0 files in docs: RocksDB's trigger for a compaction.
    rocksdb::DBOptions db_options;
    use_store_info_log(db_options, db.string(), false);
    rocksdb::ColumnFamilyOptions held = mirror_write_options();
    held.disable_auto_compactions = true;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(db_options, db.string(), mirror_column_families(held), &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> raw_db(raw);
    std::string document;
    ASSERT_TRUE(value::encode_msgpack(Object{{"pad", std::string(200, 'x')}}, document, 100).is_ok());
    for (int file = 0; file < 4; ++file) {
      for (int i = 0; i < 50; ++i) {
        std::string stored;
        put_fixed64(stored, 1);
        put_fixed64(stored, 1);
        stored += document;
        ASSERT_TRUE(raw_db->Put(rocksdb::WriteOptions(), handles[1], "doc-" + std::to_string(i), stored).ok());
      }
      ASSERT_TRUE(raw_db->Flush(rocksdb::FlushOptions(), handles[1]).ok());
    }
    for (auto* handle : handles) ASSERT_TRUE(raw_db->DestroyColumnFamilyHandle(handle).ok());
    ASSERT_TRUE(raw_db->Close().ok());
  }
  const std::set<std::string> before = sst_files(db);
  auto mirror = Mirror::open(wal::Env::posix(), db, dir_ / "wal", MirrorOptions{});
  ASSERT_TRUE(mirror.is_ok()) << mirror.status().message();
  bool compacted_while_loading = false;
  CollectingSink sink;
  sink.on_first_document = [&] {
    compacted_while_loading = new_sst_within(db, before, std::chrono::milliseconds(400));
  };
  ASSERT_TRUE((*mirror)->load(sink, 1).is_ok());
  EXPECT_EQ(sink.ids.size(), 50U);
  EXPECT_FALSE(compacted_while_loading) << "RocksDB compacted level 0 during the load";
  EXPECT_TRUE(new_sst_within(db, before, std::chrono::seconds(20))) << "no compaction after the load";
}

}  // namespace
}  // namespace snapstore::recovery
