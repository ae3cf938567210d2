// The one-block snapshot (DECISIONS D99): Snapshot::make puts the header and
// the document's bytes in one heap block, SnapshotPtr counts references in
// that block, and a DocumentView holds one of them — so copies, moves and
// drops of pointers and views keep the count exact, the last one frees the
// block once, and a view outlives its Store.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/store_core.h"
#include "testutil/store_factory.h"
#include "value/msgpack_scan.h"
#include "value/snapshot.h"

namespace snapstore {
namespace {

using testutil::must;
using value::Snapshot;
using value::SnapshotPtr;

TEST(SnapshotBlockTest, OneBlockHoldsTheHeaderAndTheBytes) {
  static_assert(sizeof(SnapshotPtr) == 8);
  const std::string bytes = "\x81\xa1n\x01";  // {"n": 1}
  const SnapshotPtr s = Snapshot::make("an-id", bytes, 3, 7);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id.view(), "an-id");
  EXPECT_EQ(s->version, 3U);
  EXPECT_EQ(s->revision, 7U);
  EXPECT_EQ(s->bytes(), bytes);
  // The bytes follow the header in the same block.
  EXPECT_EQ(s->bytes().data(), reinterpret_cast<const char*>(s.get()) + sizeof(Snapshot));
  EXPECT_EQ(value::view_of(*s).at("n").as_int(), 1);

  // An id too long to sit inline, and a version with no bytes.
  const std::string long_id(100, 'x');
  const SnapshotPtr l = Snapshot::make(long_id, {}, 1, 1);
  EXPECT_EQ(l->id.view(), long_id);
  EXPECT_TRUE(l->bytes().empty());
}

TEST(SnapshotBlockTest, TheCountFollowsCopiesMovesAndResets) {
  SnapshotPtr a = Snapshot::make("a", {}, 1, 1);
  EXPECT_EQ(a.use_count(), 1U);
  SnapshotPtr b = a;
  EXPECT_EQ(a.use_count(), 2U);
  EXPECT_EQ(a, b);
  SnapshotPtr c = std::move(b);
  EXPECT_FALSE(b);
  EXPECT_TRUE(b == nullptr);
  EXPECT_EQ(b.use_count(), 0U);
  EXPECT_EQ(a.use_count(), 2U);
  SnapshotPtr& alias = c;
  c = alias;  // self-assignment keeps the reference
  EXPECT_EQ(a.use_count(), 2U);
  SnapshotPtr other = Snapshot::make("b", {}, 1, 2);
  c = other;  // drops a's reference, takes other's
  EXPECT_EQ(a.use_count(), 1U);
  EXPECT_EQ(other.use_count(), 2U);
  EXPECT_NE(a, c);
  c = nullptr;
  EXPECT_EQ(other.use_count(), 1U);
  other.reset();
  EXPECT_FALSE(other);
}

TEST(SnapshotBlockTest, MakeCheckedRepairsKeyOrderAndRejectsWhatIsNoDocument) {
  // {"b": 1, "a": 2}: well formed, keys out of order (another writer's msgpack).
  const std::string unordered = "\x82\xa1"
                                "b\x01\xa1"
                                "a\x02";
  auto repaired = Snapshot::make_checked("x", unordered, 1, 1, 64);
  ASSERT_TRUE(repaired) << repaired.status().message();
  EXPECT_TRUE(value::scan::check_document((*repaired)->bytes(), 64));
  EXPECT_EQ(value::view_of(**repaired).at("a").as_int(), 2);

  const std::string ordered = "\x82\xa1"
                              "a\x02\xa1"
                              "b\x01";
  auto kept = Snapshot::make_checked("x", ordered, 1, 1, 64);
  ASSERT_TRUE(kept);
  EXPECT_EQ((*kept)->bytes(), ordered);

  EXPECT_CODE(Snapshot::make_checked("x", "\xc1", 1, 1, 64), StatusCode::kCorruption);
  EXPECT_CODE(Snapshot::make_checked("x", "\x93\x01\x02\x03", 1, 1, 64), StatusCode::kCorruption);  // an array
}

// Threads copying and dropping references to one version at once: the count
// ends where it began and the block is freed once (ASan and TSan check).
TEST(SnapshotBlockTest, ConcurrentCopiesAndDropsKeepTheCountExact) {
  SnapshotPtr shared = Snapshot::make("shared", "\x80", 1, 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared] {
      for (int i = 0; i < 20000; ++i) {
        SnapshotPtr copy = shared;
        SnapshotPtr moved = std::move(copy);
        EXPECT_EQ(moved->bytes().size(), 1U);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(shared.use_count(), 1U);
  // The last reference dropped on another thread frees the block there.
  std::thread last([taken = std::move(shared)]() mutable { taken.reset(); });
  last.join();
}

// A DocumentView is one reference of the version's own count: making,
// copying, moving and destroying views move it exactly.
TEST(SnapshotBlockTest, ViewsCountAsReferences) {
  auto core = std::make_shared<engine::StoreCore>(Options{}, 0);
  const Document doc{{"n", 1}};
  const auto written = core->insert(engine::DocumentArg{&doc, {}});
  ASSERT_TRUE(written);
  const SnapshotPtr held = *core->get(written->id);
  ASSERT_EQ(held.use_count(), 2U);  // the table and this test
  {
    DocumentView view = engine::StoreCore::to_view(held);
    EXPECT_EQ(held.use_count(), 3U);
    DocumentView copy = view;
    EXPECT_EQ(held.use_count(), 4U);
    DocumentView moved = std::move(copy);
    EXPECT_EQ(held.use_count(), 4U);
    EXPECT_TRUE(copy.id().empty());  // a moved-from view is empty
    copy = moved;
    EXPECT_EQ(held.use_count(), 5U);
    copy = DocumentView();
    EXPECT_EQ(held.use_count(), 4U);
    EXPECT_EQ(moved.at("n").as_int(), 1);
    EXPECT_EQ(view.to_document(), doc);
  }
  EXPECT_EQ(held.use_count(), 2U);
  core->close();
  EXPECT_EQ(held.use_count(), 1U);  // closing dropped the table's reference
}

class SnapshotBlockStoreTest : public ::testing::TestWithParam<testutil::StoreKind> {};

// Views taken from a Store stay readable after the Store object is gone.
TEST_P(SnapshotBlockStoreTest, AViewOutlivesItsStore) {
  std::vector<DocumentView> views;
  std::string id;
  {
    Store store = must(GetParam().open(Options{}));
    must(store.create_index("by_city", {"city"}));
    id = must(store.insert(Document{{"city", "Oslo"}, {"n", 1}})).id;
    must(store.insert(Document{{"city", "Oslo"}, {"n", 2}}));
    views.push_back(must(store.get_view(id)));
    for (auto& v : must(store.lookup_view("by_city", {"Oslo"}))) views.push_back(std::move(v));
    must(store.update(id, Document{{"city", "Rome"}}));
  }
  ASSERT_EQ(views.size(), 3U);
  EXPECT_EQ(views[0].id(), id);
  EXPECT_EQ(views[0].at("city").as_string(), "Oslo");
  EXPECT_EQ(views[0].version(), 1U);
  EXPECT_EQ(views[1].at("n").as_int() + views[2].at("n").as_int(), 3);
  const std::vector<DocumentView> copies = views;
  views.clear();
  EXPECT_EQ(copies[0].to_document(), (Document{{"city", "Oslo"}, {"n", 1}}));
}

INSTANTIATE_TEST_SUITE_P(Kinds, SnapshotBlockStoreTest, ::testing::ValuesIn(testutil::all_store_kinds()),
                         testutil::store_kind_name);

}  // namespace
}  // namespace snapstore
