// recovery/store_check.h: the data checks verify prints and the listing wal
// prints. A clean store has no findings; a flipped byte in a WAL segment that
// RocksDB already holds, a document that does not decode, version 0, a
// revision out of range or shared, are each named; rebuilt indexes come in
// key order, ties by id; the listing names each operation in LSN order.
#include "recovery/store_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "recovery/tool_interface.h"
#include "snapstore/store.h"
#include "testutil/temp_dir.h"
#include "wal/writer.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;
using testutil::TempDir;

std::vector<std::string> wal_segments(const std::string& store) {
  std::vector<std::string> segments;
  for (const auto& e : fs::directory_iterator(recovery::wal_dir_path(store))) {
    if (e.path().extension() == ".log") segments.push_back(e.path().string());
  }
  std::sort(segments.begin(), segments.end());
  return segments;
}

void flip_byte(const std::string& file, std::size_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  const char c = static_cast<char>(f.get());
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x20));
}

// create_index, 4 inserts, an update and a delete; returns the ids in order.
std::vector<std::string> small_store(const std::string& dir) {
  Options options;
  options.durability = Durability::kNone;
  options.wal_segment_bytes = 1 << 20;
  options.open_threads = 1;
  auto store = Store::open(dir, options);
  EXPECT_TRUE(store) << store.status().message();
  EXPECT_TRUE(store->create_index("by_age", {"age"}));
  std::vector<std::string> ids;
  for (const Document& doc : {Document{{"age", 30}}, Document{{"age", 25}}, Document{{"name", "no age"}},
                              Document{{"age", 25.0}}}) {
    auto inserted = store->insert(doc);
    EXPECT_TRUE(inserted) << inserted.status().message();
    ids.push_back(inserted->id);
  }
  EXPECT_TRUE(store->update(ids[0], Document{{"age", 31}}));
  EXPECT_TRUE(store->remove(ids[2]));
  store->close();
  return ids;
}

TEST(StoreCheckTest, ACleanStoreHasNoFindingsAndItsIndexesRebuildInKeyOrder) {
  TempDir dir;
  const std::string path = dir / "s";
  const std::vector<std::string> ids = small_store(path);
  auto reader = recovery::StoreReader::open(path);
  ASSERT_TRUE(reader) << reader.status().message();

  std::vector<std::string> problems;
  auto problem = [&](std::string p) { problems.push_back(std::move(p)); };
  const recovery::WalCheck wal = recovery::check_wal(path, (*reader)->applied_lsn(), problem);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_GE(wal.checked_segments, 1U);
  EXPECT_GE(wal.checked_records, 1U);

  recovery::DocumentCheck check((*reader)->revision(), (*reader)->indexes());
  ASSERT_EQ((*reader)->indexes().size(), 1U);
  std::size_t documents = 0;
  ASSERT_TRUE((*reader)->scan([&](const recovery::StoredDocument& doc) {
    ++documents;
    EXPECT_TRUE(check.check(doc, problem).has_value());
    return Status::ok();
  }));
  EXPECT_EQ(documents, 3U);
  EXPECT_TRUE(problems.empty()) << problems.front();
  // 25 (int) and 25.0 are one key: their order is the ids'; 31 last; the
  // document without the field is in no entry.
  std::vector<std::string> expected{std::min(ids[1], ids[3]), std::max(ids[1], ids[3]), ids[0]};
  EXPECT_EQ(check.rebuilt_index(0), expected);
}

TEST(StoreCheckTest, EachBadDocumentIsNamed) {
  std::string good;
  ASSERT_TRUE(recovery::encode_document(Object{{"age", 3}}, good, 100));
  recovery::DocumentCheck check(10, {recovery::IndexDefinition{"by_age", {"age"}}});
  std::vector<std::string> problems;
  auto problem = [&](std::string p) { problems.push_back(std::move(p)); };

  EXPECT_TRUE(check.check({"a", 1, 1, good}, problem).has_value());
  EXPECT_TRUE(problems.empty());
  EXPECT_FALSE(check.check({"b", 1, 2, std::string_view("\xc1", 1)}, problem).has_value());
  check.check({"c", 0, 3, good}, problem);
  check.check({"d", 1, 11, good}, problem);
  check.check({"e", 1, 1, good}, problem);
  ASSERT_EQ(problems.size(), 4U);
  EXPECT_NE(problems[0].find("document \"b\" does not decode"), std::string::npos) << problems[0];
  EXPECT_EQ(problems[1], "document \"c\" has version 0");
  EXPECT_EQ(problems[2], "document \"d\" has revision 11, outside 1..10");
  EXPECT_EQ(problems[3], "document \"e\" has revision 1, which another document has too");
  // Only documents that decode are in the rebuilt index.
  EXPECT_EQ(check.rebuilt_index(0), (std::vector<std::string>{"a", "c", "d", "e"}));
}

TEST(StoreCheckTest, AFlippedByteInRecordsRocksDbHoldsIsAProblemNamingTheSegment) {
  TempDir dir;
  const std::string path = dir / "s";
  small_store(path);
  const std::vector<std::string> segments = wal_segments(path);
  ASSERT_FALSE(segments.empty());
  // Inside the first records (after the segment header), which RocksDB holds.
  flip_byte(segments.front(), 40);
  auto reader = recovery::StoreReader::open(path);
  ASSERT_TRUE(reader) << reader.status().message();
  std::vector<std::string> problems;
  recovery::check_wal(path, (*reader)->applied_lsn(), [&](std::string p) { problems.push_back(std::move(p)); });
  ASSERT_FALSE(problems.empty());
  const bool named = std::any_of(problems.begin(), problems.end(), [&](const std::string& p) {
    return p.find(segments.front() + " at offset ") != std::string::npos;
  });
  EXPECT_TRUE(named) << problems.front();

  auto listing = recovery::list_wal(path, (*reader)->applied_lsn(), 0, UINT64_MAX, [](const recovery::WalEntry&) {});
  ASSERT_TRUE(listing) << listing.status().message();
  ASSERT_FALSE(listing->damage.empty());
  EXPECT_NE(listing->damage.front().find(segments.front() + " at offset "), std::string::npos)
      << listing->damage.front();
}

TEST(StoreCheckTest, AVersionThatDoesNotFollowOnIsNamed) {
  TempDir dir;
  const std::string path = dir / "s";
  fs::create_directories(recovery::wal_dir_path(path));
  std::string doc;
  ASSERT_TRUE(recovery::encode_document(Object{{"a", 1}}, doc, 100));
  {
    auto writer = wal::LogWriter::open(wal::Env::posix(), recovery::wal_dir_path(path), 1, wal::WriterOptions{}, nullptr);
    ASSERT_TRUE(writer) << writer.status().message();
    using wal::OpType;
    const std::vector<std::vector<wal::Operation>> batches{
        {{OpType::kInsert, "a", 1, doc, {}}, {OpType::kInsert, "b", 1, doc, {}}},
        {{OpType::kUpdate, "a", 2, doc, {}}},
        {{OpType::kUpdate, "a", 4, doc, {}}},  // LSN 4: a jump from 2
        {{OpType::kDelete, "b", 1, {}, {}}},
        {{OpType::kUpdate, "b", 2, doc, {}}},  // LSN 6: after its delete
        {{OpType::kDelete, "a", 3, {}, {}}},   // LSN 7: a is at 4
        {{OpType::kUpdate, "c", 9, doc, {}}},  // a document the WAL has not seen: unknown before
    };
    for (const auto& ops : batches) ASSERT_TRUE((*writer)->append(wal::encode_operations(ops), ops.size()));
    ASSERT_TRUE((*writer)->close());
  }
  std::vector<std::string> problems;
  const recovery::WalCheck wal =
      recovery::check_wal(path, std::nullopt, [&](std::string p) { problems.push_back(std::move(p)); });
  EXPECT_EQ(wal.records, 7U);
  EXPECT_EQ(wal.operations, 8U);
  EXPECT_EQ(problems, (std::vector<std::string>{
                          "WAL LSN 4: update of \"a\" has version 4, expected 3 (its version before was 2)",
                          "WAL LSN 6: update of \"b\", which an earlier record deleted",
                          "WAL LSN 7: delete of \"a\" has version 3, expected 4 (its version before was 4)"}));
}

TEST(StoreCheckTest, TheListingNamesEveryOperationInLsnOrder) {
  TempDir dir;
  const std::string path = dir / "s";
  const std::vector<std::string> ids = small_store(path);
  std::vector<std::string> lines;
  auto listing = recovery::list_wal(path, 0, 2, 6, [&](const recovery::WalEntry& e) {
    std::string line = std::to_string(e.lsn) + " " + std::string(e.op) + " " + std::string(e.key) + " v" +
                       std::to_string(e.version) + (e.on_index ? " index" : "") + (e.bytes > 0 ? " bytes" : "");
    for (const std::string& f : *e.fields) line += " " + f;
    lines.push_back(line);
  });
  ASSERT_TRUE(listing) << listing.status().message();
  EXPECT_TRUE(listing->damage.empty());
  EXPECT_FALSE(listing->torn_tail);
  EXPECT_EQ(listing->first_lsn, 1U);
  EXPECT_EQ(listing->last_lsn, 7U);
  EXPECT_EQ(lines, (std::vector<std::string>{"2 insert " + ids[0] + " v1 bytes", "3 insert " + ids[1] + " v1 bytes",
                                             "4 insert " + ids[2] + " v1 bytes", "5 insert " + ids[3] + " v1 bytes",
                                             "6 update " + ids[0] + " v2 bytes"}));
  std::vector<std::string> first;
  ASSERT_TRUE(recovery::list_wal(path, 0, 1, 1, [&](const recovery::WalEntry& e) {
    first.push_back(std::string(e.op) + " " + std::string(e.key) + (e.on_index ? " index" : "") + " " +
                    (e.fields->empty() ? "" : e.fields->front()));
  }));
  EXPECT_EQ(first, (std::vector<std::string>{"create_index by_age index age"}));
}

}  // namespace
}  // namespace snapstore
