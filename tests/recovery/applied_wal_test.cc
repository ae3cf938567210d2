// Records RocksDB already holds are not decoded on open (D63): a store just
// built by an import keeps its WAL segment after closing, and the CLI's reads
// (recovery::StoreReader) and Store::open must not pay for decoding it. The
// deletions those records hold are still found when asked for.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "recovery/replay.h"
#include "recovery/store_dir.h"
#include "recovery/store_reader.h"
#include "snapstore/store.h"
#include "testutil/temp_dir.h"
#include "wal/env.h"
#include "wal/reader.h"
#include "wal/record.h"

namespace snapstore {
namespace {

using testutil::TempDir;

Options quick_options() {
  Options options;
  options.durability = Durability::kNone;
  options.open_threads = 1;
  return options;
}

// Ten single-document writes and one delete, closed: the WAL keeps all
// eleven records, RocksDB holds them all. Returns the deleted id.
std::string build_store(const std::string& dir) {
  Options options = quick_options();
  options.create_if_missing = true;
  auto store = Store::open(dir, options);
  EXPECT_TRUE(store.is_ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto written = store->insert(Document{{"n", i}});
    EXPECT_TRUE(written.is_ok());
    ids.push_back(written->id);
  }
  EXPECT_TRUE(store->remove(ids[3]).is_ok());
  store->close();
  return ids[3];
}

TEST(AppliedWalTest, StoreReaderDecodesNoRecordRocksDbHolds) {
  TempDir dir;
  const std::string deleted = build_store(dir / "s");
  auto reader = recovery::StoreReader::open(dir / "s");
  ASSERT_TRUE(reader.is_ok()) << reader.status().message();
  const recovery::StoreReader& r = **reader;
  ASSERT_EQ(r.applied_lsn(), r.revision()) << "the close should leave every record applied";
  EXPECT_EQ(r.wal_summary().records, 11u);
  EXPECT_EQ(r.wal_summary().first_lsn, 1u);
  EXPECT_EQ(r.wal_summary().last_lsn, 11u);
  EXPECT_EQ(r.wal_summary().decoded, 0u);
  EXPECT_EQ(r.revision(), 11u);
  EXPECT_EQ(*r.count(), 9u);
  EXPECT_EQ(r.get(deleted).status().code(), StatusCode::kDocumentNotFound);

  // The deletions are read from the WAL when asked for, as before.
  auto since = r.deletions_since(0);
  ASSERT_TRUE(since.is_ok()) << since.status().message();
  ASSERT_EQ(since->size(), 1u);
  EXPECT_EQ((*since)[0].id, deleted);
  EXPECT_EQ((*since)[0].revision, 11u);
  EXPECT_TRUE(r.deletions_since(11)->empty());
}

TEST(AppliedWalTest, ReplayDecodesOnlyRecordsAfterTheFloor) {
  TempDir dir;
  build_store(dir / "s");
  wal::Env* env = wal::Env::posix();
  const std::string wal_dir = recovery::wal_dir_path(dir / "s");
  std::vector<std::uint64_t> replayed;
  auto replay = recovery::replay_wal(env, wal_dir, 8, false, [&](const wal::Batch& batch) {
    replayed.push_back(batch.first_lsn);
    return Status::ok();
  });
  ASSERT_TRUE(replay.is_ok()) << replay.status().message();
  EXPECT_EQ(replayed, (std::vector<std::uint64_t>{9, 10, 11}));
  EXPECT_EQ(replay->summary.records, 11u);
  EXPECT_EQ(replay->summary.decoded, 3u);
  EXPECT_EQ(replay->last_lsn, 11u);

  // Visiting every record still decodes every record (the wal and verify tools).
  std::uint64_t visited = 0;
  auto read = wal::read_log(env, wal_dir, 8, [&](const wal::Batch&) {
    ++visited;
    return Status::ok();
  });
  ASSERT_TRUE(read.is_ok());
  EXPECT_EQ(visited, 11u);
  EXPECT_EQ(read->decoded, 11u);
}

// The header peek agrees with the full decode for every width msgpack
// gives the first LSN and the operation count, and refuses what is not a
// batch's header (the full decode then names the problem).
TEST(AppliedWalTest, PeekedLsnsMatchTheDecodedBatch) {
  for (std::uint64_t first : {1ull, 127ull, 128ull, 255ull, 256ull, 65536ull, 1ull << 32, (1ull << 63) + 5}) {
    for (std::size_t count : {1u, 15u, 16u, 70000u}) {
      if (count > 65535 && first != 128) continue;  // array32: once is enough
      std::vector<wal::Operation> ops(count, wal::Operation{wal::OpType::kDropIndex, "i", 0, {}, {}});
      std::string payload;
      wal::append_payload(payload, first, wal::encode_operations(ops));
      auto decoded = wal::decode_payload(payload);
      ASSERT_TRUE(decoded.is_ok());
      auto peeked = wal::peek_payload_lsns(payload);
      ASSERT_TRUE(peeked.has_value()) << first << " " << count;
      EXPECT_EQ(peeked->first_lsn, decoded->first_lsn);
      EXPECT_EQ(peeked->last_lsn, decoded->last_lsn());
    }
  }
  std::string zero_lsn;
  wal::append_payload(zero_lsn, 0, wal::encode_operations({wal::Operation{wal::OpType::kDropIndex, "i", 0, {}, {}}}));
  EXPECT_FALSE(wal::peek_payload_lsns(zero_lsn).has_value());
  EXPECT_FALSE(wal::peek_payload_lsns("").has_value());
  EXPECT_FALSE(wal::peek_payload_lsns(std::string("\x92\xcf\x00", 3)).has_value());  // truncated uint64
  EXPECT_FALSE(wal::peek_payload_lsns(std::string("\x93\x01\x91", 3)).has_value());  // not [lsn, ops]
  EXPECT_FALSE(wal::peek_payload_lsns(std::string("\x92\x01\x90", 3)).has_value());  // no operation
}

}  // namespace
}  // namespace snapstore
