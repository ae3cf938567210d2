// The document table's 24-byte key (DECISIONS.md D100): a canonical
// lowercase UUID is kept as its 128 bits, any other id as its exact text.
// A lookup by text must find exactly the id inserted — never the uppercase
// or otherwise reworded form of a packed UUID, which is another id — whether
// the key came from the id generator's bits, a replayed WAL record or a
// mirror load; and everything that names ids (get, streams, cursors) must
// give back the original texts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/id_generator.h"
#include "engine/table_key.h"
#include "recovery/store_dir.h"
#include "recovery/tool_interface.h"
#include "snapstore/store.h"
#include "testutil/store_factory.h"
#include "testutil/temp_dir.h"
#include "wal/record.h"
#include "wal/writer.h"

namespace snapstore {
namespace {

using engine::IdProbe;
using engine::TableKey;
using engine::TableKeyHashCompare;
using testutil::must;

const std::string kUuid = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
const std::string kUpperUuid = "0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B";

// Ids that must all stay distinct: a canonical UUID and near misses of it,
// texts at the inline capacity's edges, a long one and the empty one.
std::vector<std::string> tricky_ids() {
  return {kUuid,
          kUpperUuid,
          "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5B",   // one uppercase digit
          "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5",    // 35 characters
          "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b ",  // 37
          "0190a1b2c3d4-7e5f-8a9b-0c1d2e3f4a5b-",   // the dashes elsewhere
          "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g",   // not hex
          std::string(23, 'x'),
          std::string(24, 'x'),
          std::string(1000, 'y'),
          "user-1",
          ""};
}

TEST(TableKeyTest, OnlyTextsThatRoundTripArePackedAndEveryIdIsItsOwnKey) {
  static_assert(sizeof(TableKey) == 24);
  const auto ids = tricky_ids();
  for (const auto& a : ids) {
    const TableKey key(a);
    EXPECT_EQ(key.hash(), IdProbe(a).hash()) << a;
    EXPECT_EQ(TableKey(IdProbe(a)), key) << a;
    for (const auto& b : ids) {
      EXPECT_EQ(TableKeyHashCompare::equal(IdProbe(b), key), a == b) << a << " against " << b;
      EXPECT_EQ(TableKey(b) == key, a == b) << a << " against " << b;
    }
  }
}

TEST(TableKeyTest, AGeneratedIdsBitsMakeTheKeyItsTextMakes) {
  for (int i = 0; i < 100; ++i) {
    const engine::GeneratedId id = engine::next_generated_id();
    const TableKey key = TableKey::of_uuid(id.high, id.low);
    EXPECT_EQ(key, TableKey(id.text)) << id.text;
    EXPECT_EQ(key.hash(), IdProbe(id.text).hash()) << id.text;
    EXPECT_TRUE(TableKeyHashCompare::equal(IdProbe(id.text), key)) << id.text;
  }
}

TEST(TableKeyTest, CopiesAndMovesKeepTheId) {
  for (const auto& id : tricky_ids()) {
    TableKey original(id);
    TableKey copy(original);
    TableKey assigned(std::string(5, 'z'));
    assigned = copy;
    TableKey moved(std::move(copy));
    TableKey move_assigned(std::string(2000, 'z'));  // frees its own block
    move_assigned = std::move(moved);
    EXPECT_TRUE(TableKeyHashCompare::equal(IdProbe(id), assigned)) << id;
    EXPECT_TRUE(TableKeyHashCompare::equal(IdProbe(id), move_assigned)) << id;
    EXPECT_EQ(original, move_assigned) << id;
  }
}

// A store whose WAL holds `ids` after its first write (as a replayed or
// restored store's may), each document {"n": its position}.
void write_wal(const std::string& path, const std::vector<std::string>& ids, const Options& options) {
  {
    auto store = must(Store::open(path, options));
    must(store.remove(must(store.insert(Document{{"n", -1}})).id));  // LSNs 1 and 2
  }
  auto writer = wal::LogWriter::open(wal::Env::posix(), recovery::wal_dir_path(path), 3, wal::WriterOptions{}, nullptr);
  ASSERT_TRUE(writer) << writer.status().message();
  std::vector<wal::Operation> ops;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::string doc;
    ASSERT_TRUE(recovery::encode_document(Object{{"n", static_cast<std::int64_t>(i)}}, doc, 100));
    ops.push_back({wal::OpType::kInsert, ids[i], 1, doc, {}});
  }
  ASSERT_TRUE((*writer)->append(wal::encode_operations(ops), ops.size()));
  ASSERT_TRUE((*writer)->close());
}

// Every id finds its own document and no other, and streams and cursors name
// the original texts.
void expect_ids(const Store& store, const std::vector<std::string>& ids, const std::string& when) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto doc = store.get(ids[i]);
    ASSERT_TRUE(doc) << when << ": " << ids[i] << ": " << doc.status().message();
    EXPECT_EQ(doc->id, ids[i]) << when;
    EXPECT_EQ(doc->data.at("n").as_int(), static_cast<std::int64_t>(i)) << when << ": " << ids[i];
  }
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(testutil::ids_of(testutil::scan(store)), sorted) << when;
  auto cursor = must(store.read());
  std::vector<std::string> read;
  for (;;) {
    auto step = must(cursor.next());
    if (!step.document) break;
    read.push_back(step.document->id);
    if (!step.has_more) break;
  }
  EXPECT_EQ(read, sorted) << when;
}

TEST(TableKeyTest, ReplayedAndLoadedIdsAreFoundExactlyAndNamedAsWritten) {
  testutil::TempDir dir;
  const std::string path = dir / "s";
  std::vector<std::string> ids = tricky_ids();
  ids.erase(std::remove(ids.begin(), ids.end(), kUpperUuid), ids.end());  // its lowercase twin is there
  Options options;
  options.durability = Durability::kNone;
  options.open_threads = 1;
  write_wal(path, ids, options);
  {
    auto store = must(Store::open(path, options));  // the WAL replayed
    expect_ids(store, ids, "replayed");
    EXPECT_EQ(store.get(kUpperUuid).code(), StatusCode::kDocumentNotFound);
    EXPECT_EQ(store.remove(kUpperUuid).code(), StatusCode::kDocumentNotFound);
    store.close();
  }
  {
    auto store = must(Store::open(path, options));  // loaded from the mirror
    expect_ids(store, ids, "loaded");
    EXPECT_EQ(store.get(kUpperUuid).code(), StatusCode::kDocumentNotFound);
    for (const auto& id : ids) must(store.update(id, Document{{"n", -1}}));
    for (const auto& id : ids) must(store.remove(id));
    EXPECT_EQ(store.size(), 0U);
  }
}

TEST(TableKeyTest, GeneratedIdsAreFoundByTheirTextAndNotByTheirUppercase) {
  auto store = must(Store::open_in_memory());
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(must(store.insert(Document{{"n", i}})).id);
  WriteBatch batch;
  for (int i = 50; i < 60; ++i) batch.insert(Document{{"n", i}});
  for (const auto& written : must(store.write(batch))) ids.push_back(written.id);
  expect_ids(store, ids, "generated");
  for (const auto& id : ids) {
    std::string upper = id;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    EXPECT_EQ(store.get(upper).code(), StatusCode::kDocumentNotFound) << upper;
  }
}

}  // namespace
}  // namespace snapstore
