// Point-in-time snapshots (Store::snapshot()): every read kind answers as the
// store stood at the snapshot's revision while writes, batches and index
// creation and drops go on; released, expired and closed snapshots answer
// clear errors; the versions a snapshot pinned are let go when it goes.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine/store_core.h"
#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::StoreKind;

std::vector<std::string> ids_of(const std::vector<DocumentResult>& docs) {
  std::vector<std::string> ids;
  for (const auto& d : docs) ids.push_back(d.id);
  return ids;
}

std::vector<std::string> ids_of(const std::vector<DocumentView>& docs) {
  std::vector<std::string> ids;
  for (const auto& d : docs) ids.emplace_back(d.id());
  return ids;
}

std::vector<std::pair<std::string, std::int64_t>> drain(Stream& stream) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (auto doc = stream.next(); doc; doc = stream.next()) out.emplace_back(doc->id, doc->data.at("n").as_int());
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> drain(Cursor& cursor) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (auto step = cursor.next(); step && step->document; step = cursor.next()) {
    out.emplace_back(step->document->id, step->document->data.at("n").as_int());
  }
  return out;
}

class SnapshotTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    auto store = GetParam().open(Options{});
    ASSERT_TRUE(store) << store.status().message();
    store_.emplace(std::move(*store));
    ASSERT_TRUE(store_->create_index("by_city", {"city"}));
  }
  Store& store() { return *store_; }
  std::string insert(const std::string& city, std::int64_t n) {
    auto r = store().insert(Document{{"city", city}, {"n", n}});
    EXPECT_TRUE(r) << r.status().message();
    return r ? r->id : "";
  }

  std::optional<Store> store_;
};

TEST_P(SnapshotTest, EveryReadAnswersAsOfItsRevision) {
  const std::string a = insert("NY", 1), b = insert("SF", 2), c = insert("NY", 3);
  auto snap = store().snapshot();
  ASSERT_TRUE(snap) << snap.status().message();
  EXPECT_EQ(snap->revision(), store().revision());

  // After it: an update that moves a key, one that keeps it, a removal, an
  // insert, and a batch that touches the same documents again.
  ASSERT_TRUE(store().update(a, Document{{"city", "LA"}, {"n", 10}}));
  ASSERT_TRUE(store().update(c, Document{{"city", "NY"}, {"n", 30}}));
  ASSERT_TRUE(store().remove(b));
  const std::string d = insert("NY", 4);
  WriteBatch batch;
  batch.update(c, Document{{"city", "SF"}, {"n", 31}});
  batch.remove(a);
  batch.insert(Document{{"city", "NY"}, {"n", 5}});
  ASSERT_TRUE(store().write(batch));

  auto got = snap->get(a);
  ASSERT_TRUE(got) << got.status().message();
  EXPECT_EQ(got->data.at("n"), Value(1));
  EXPECT_EQ(got->version, 1U);
  auto view = snap->get_view(b);
  ASSERT_TRUE(view) << view.status().message();
  EXPECT_EQ(view->at("n"), Value(2));
  EXPECT_EQ(snap->get(c)->data.at("n"), Value(3));
  EXPECT_EQ(snap->get(d).code(), StatusCode::kDocumentNotFound);

  const std::vector<std::string> ny_then = {a, c};  // key NY, then id order
  EXPECT_EQ(ids_of(*snap->lookup("by_city", {"NY"})), ny_then);
  EXPECT_EQ(ids_of(*snap->lookup_view("by_city", {"NY"})), ny_then);
  EXPECT_EQ(snap->lookup("by_city", {"NY"})->at(1).data.at("n"), Value(3));
  EXPECT_EQ(ids_of(*snap->lookup("by_city", {"SF"})), std::vector<std::string>{b});
  EXPECT_TRUE(snap->lookup("by_city", {"LA"})->empty());
  const std::vector<std::string> all_then = {a, c, b};  // NY, NY, SF
  EXPECT_EQ(ids_of(*snap->lookup_range("by_city", {}, {})), all_then);
  EXPECT_EQ(ids_of(*snap->lookup_range_view("by_city", {"M"}, {"Z"})), (std::vector<std::string>{a, c, b}));
  EXPECT_EQ(ids_of(*snap->lookup_range("by_city", {"O"}, {})), std::vector<std::string>{b});

  const std::vector<std::pair<std::string, std::int64_t>> docs_then = {{a, 1}, {b, 2}, {c, 3}};
  auto stream = snap->stream();
  ASSERT_TRUE(stream);
  EXPECT_EQ(drain(*stream), docs_then);
  auto cursor = snap->read();
  ASSERT_TRUE(cursor);
  EXPECT_EQ(cursor->count(), 3U);
  EXPECT_EQ(drain(*cursor), docs_then);
  auto by_city = snap->read_index("by_city");
  ASSERT_TRUE(by_city);
  EXPECT_EQ(drain(*by_city), (std::vector<std::pair<std::string, std::int64_t>>{{a, 1}, {c, 3}, {b, 2}}));

  // The store itself reads the present.
  EXPECT_EQ(store().get(a).code(), StatusCode::kDocumentNotFound);
  EXPECT_EQ(store().get(c)->data.at("n"), Value(31));
  EXPECT_EQ(store().lookup("by_city", {"NY"})->size(), 2U);  // d and the batch's insert
}

TEST_P(SnapshotTest, SeesEachBatchWholeOrNotAtAll) {
  const std::string a = insert("NY", 1), b = insert("NY", 2);
  auto before = store().snapshot();
  WriteBatch batch;
  batch.update(a, Document{{"city", "SF"}, {"n", 10}});
  batch.update(b, Document{{"city", "SF"}, {"n", 20}});
  ASSERT_TRUE(store().write(batch));
  auto after = store().snapshot();
  ASSERT_TRUE(store().remove(a));
  EXPECT_EQ(ids_of(*before->lookup("by_city", {"NY"})), (std::vector<std::string>{a, b}));
  EXPECT_TRUE(before->lookup("by_city", {"SF"})->empty());
  EXPECT_TRUE(after->lookup("by_city", {"NY"})->empty());
  EXPECT_EQ(ids_of(*after->lookup("by_city", {"SF"})), (std::vector<std::string>{a, b}));
  EXPECT_EQ(after->get(a)->data.at("n"), Value(10));
  EXPECT_EQ(before->get(a)->data.at("n"), Value(1));
}

// A batch's preconditions name documents it does not change: only its
// operations' old versions go to the history, the guarded ones stay current.
TEST_P(SnapshotTest, BatchesWithPreconditionsKeepTheVersionsTheyEnd) {
  const std::string a = insert("NY", 1), b = insert("NY", 2), c = insert("LA", 3), gone = insert("LA", 4);
  ASSERT_TRUE(store().remove(gone));
  auto before = store().snapshot();
  WriteBatch guarded;
  guarded.require_version(b, 1);
  guarded.require_exists(c);
  guarded.require_absent(gone);
  guarded.update_if(a, Document{{"city", "SF"}, {"n", 10}}, 1);
  ASSERT_TRUE(store().write(guarded));
  EXPECT_EQ(before->get(a)->data.at("n"), Value(1));
  EXPECT_EQ(before->get(b)->data.at("n"), Value(2));
  EXPECT_EQ(ids_of(*before->lookup("by_city", {"NY"})), (std::vector<std::string>{a, b}));
  EXPECT_TRUE(before->lookup("by_city", {"SF"})->empty());
  EXPECT_EQ(ids_of(*store().lookup("by_city", {"SF"})), std::vector<std::string>{a});
}

TEST_P(SnapshotTest, IndexesCreatedAfterAreUnknownAndDroppedOnesStillAnswer) {
  const std::string a = insert("NY", 1);
  auto snap = store().snapshot();
  ASSERT_TRUE(store().create_index("by_n", {"n"}));
  ASSERT_TRUE(store().drop_index("by_city"));
  ASSERT_TRUE(store().update(a, Document{{"city", "SF"}, {"n", 2}}));

  auto missing = snap->lookup("by_n", {1});
  EXPECT_EQ(missing.code(), StatusCode::kIndexNotFound);
  EXPECT_NE(missing.status().message().find("by_n"), std::string::npos);
  EXPECT_EQ(snap->read_index("by_n").code(), StatusCode::kIndexNotFound);
  EXPECT_EQ(ids_of(*snap->lookup("by_city", {"NY"})), std::vector<std::string>{a});
  EXPECT_EQ(store().lookup("by_city", {"NY"}).code(), StatusCode::kIndexNotFound);

  // A name dropped and created again answers at each revision as it stood.
  ASSERT_TRUE(store().create_index("by_city", {"n"}));
  EXPECT_EQ(ids_of(*snap->lookup("by_city", {"NY"})), std::vector<std::string>{a});
  EXPECT_EQ(ids_of(*store().lookup("by_city", {2})), std::vector<std::string>{a});
}

TEST_P(SnapshotTest, ARemovedDocumentStaysAndALaterInsertStaysOut) {
  const std::string a = insert("NY", 1);
  auto snap = store().snapshot();
  ASSERT_TRUE(store().remove(a));
  const std::string again = insert("NY", 1);  // same data, a new id
  EXPECT_EQ(snap->get(a)->data.at("n"), Value(1));
  EXPECT_EQ(snap->get(again).code(), StatusCode::kDocumentNotFound);
  EXPECT_EQ(ids_of(*snap->lookup("by_city", {"NY"})), std::vector<std::string>{a});
  EXPECT_EQ(ids_of(*store().lookup("by_city", {"NY"})), std::vector<std::string>{again});
}

INSTANTIATE_TEST_SUITE_P(Kinds, SnapshotTest, ::testing::ValuesIn(testutil::all_store_kinds()),
                         testutil::store_kind_name);

TEST(SnapshotLifeTest, ReleasedSnapshotsAnswerSnapshotExpired) {
  auto store = Store::open_in_memory();
  ASSERT_TRUE(store);
  const std::string a = store->insert(Document{{"n", 1}})->id;
  auto snap = store->snapshot();
  ASSERT_TRUE(snap);
  auto cursor = snap->read();
  auto stream = snap->stream();
  ASSERT_TRUE(cursor && stream);
  snap->release();
  snap->release();  // idempotent
  auto got = snap->get(a);
  EXPECT_EQ(got.code(), StatusCode::kSnapshotExpired);
  EXPECT_NE(got.status().message().find("released"), std::string::npos) << got.status().message();
  EXPECT_EQ(snap->lookup("x", {1}).code(), StatusCode::kSnapshotExpired);
  EXPECT_EQ(snap->stream().code(), StatusCode::kSnapshotExpired);
  EXPECT_EQ(cursor->next().code(), StatusCode::kSnapshotExpired);  // cursors read through the snapshot
  EXPECT_EQ(stream->next()->id, a);                                  // a stream holds its own copy

  Snapshot none;  // default and moved-from snapshots are released ones
  EXPECT_EQ(none.get(a).code(), StatusCode::kSnapshotExpired);
  auto moved = store->snapshot();
  Snapshot taken = std::move(*moved);
  EXPECT_EQ(taken.get(a)->id, a);
  EXPECT_EQ(store->snapshot_stats().open, 1U);
  taken = Snapshot();  // assigning releases the one it held
  EXPECT_EQ(store->snapshot_stats().open, 0U);
}

TEST(SnapshotLifeTest, OldSnapshotsExpireAndStopPinning) {
  Options options;
  options.max_snapshot_age = std::chrono::milliseconds(30);
  auto store = Store::open_in_memory(options);
  ASSERT_TRUE(store);
  const std::string a = store->insert(Document{{"n", 1}})->id;
  auto snap = store->snapshot();
  ASSERT_TRUE(store->update(a, Document{{"n", 2}}));
  EXPECT_EQ(snap->get(a)->data.at("n"), Value(1));
  EXPECT_EQ(store->snapshot_stats().versions_pinned, 1U);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));

  // A write notices first: the snapshot expires and pins nothing.
  ASSERT_TRUE(store->update(a, Document{{"n", 3}}));
  const SnapshotStats stats = store->snapshot_stats();
  EXPECT_EQ(stats.open, 0U);
  EXPECT_EQ(stats.versions_pinned, 0U);
  EXPECT_EQ(stats.bytes_pinned, 0U);
  auto got = snap->get(a);
  EXPECT_EQ(got.code(), StatusCode::kSnapshotExpired);
  EXPECT_NE(got.status().message().find("max_snapshot_age"), std::string::npos) << got.status().message();

  // A read notices too, with no write in between.
  auto idle = store->snapshot();
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(idle->get(a).code(), StatusCode::kSnapshotExpired);
  EXPECT_EQ(store->snapshot_stats().open, 0U);

  options.max_snapshot_age = std::chrono::milliseconds(-1);
  auto bad = Store::open_in_memory(options);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("max_snapshot_age"), std::string::npos);
}

TEST(SnapshotLifeTest, ClosedStoresAnswerStoreClosed) {
  std::optional<Store> store(*Store::open_in_memory());
  const std::string a = store->insert(Document{{"n", 1}})->id;
  auto snap = store->snapshot();
  auto cursor = snap->read();
  ASSERT_TRUE(snap && cursor);
  store->close();
  EXPECT_EQ(snap->get(a).code(), StatusCode::kStoreClosed);
  EXPECT_EQ(snap->lookup_range("x", {}, {}).code(), StatusCode::kStoreClosed);
  EXPECT_EQ(cursor->next().code(), StatusCode::kStoreClosed);
  EXPECT_EQ(store->snapshot().code(), StatusCode::kStoreClosed);
  store.reset();  // the snapshot outlives the Store object
  EXPECT_EQ(snap->get(a).code(), StatusCode::kStoreClosed);
  snap->release();
}

TEST(SnapshotLifeTest, PinnedVersionsAreFreedWhenTheLastSnapshotGoes) {
  auto store = Store::open_in_memory();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->create_index("by_n", {"n"}));
  const std::string a = store->insert(Document{{"n", 1}, {"pad", std::string(1000, 'x')}})->id;
  // With no snapshot open, writes keep nothing.
  ASSERT_TRUE(store->update(a, Document{{"n", 2}}));
  EXPECT_EQ(store->snapshot_stats().versions_pinned, 0U);

  auto first = store->snapshot();
  ASSERT_TRUE(store->update(a, Document{{"n", 3}, {"pad", std::string(1000, 'y')}}));
  auto second = store->snapshot();
  ASSERT_TRUE(store->update(a, Document{{"n", 4}}));
  SnapshotStats stats = store->snapshot_stats();
  EXPECT_EQ(stats.open, 2U);
  EXPECT_EQ(stats.oldest_revision, first->revision());
  EXPECT_LT(stats.oldest_age, std::chrono::milliseconds(60000));
  EXPECT_EQ(stats.versions_pinned, 2U);
  EXPECT_EQ(stats.index_entries_pinned, 2U);
  EXPECT_GT(stats.bytes_pinned, 1000U);

  // The version only the second snapshot needs outlives the first one.
  auto pinned = second->get_view(a);
  ASSERT_TRUE(pinned);
  first->release();
  stats = store->snapshot_stats();
  EXPECT_EQ(stats.open, 1U);
  EXPECT_EQ(stats.oldest_revision, second->revision());
  EXPECT_EQ(stats.versions_pinned, 1U);
  EXPECT_EQ(stats.index_entries_pinned, 1U);
  EXPECT_EQ(second->get(a)->data.at("n"), Value(3));
  EXPECT_EQ(pinned->at("pad").as_string(), std::string(1000, 'y'));

  second->release();
  stats = store->snapshot_stats();
  EXPECT_EQ(stats.open, 0U);
  EXPECT_EQ(stats.oldest_revision, 0U);
  EXPECT_EQ(stats.versions_pinned, 0U);
  EXPECT_EQ(stats.bytes_pinned, 0U);
  EXPECT_EQ(stats.index_entries_pinned, 0U);
}

// The engine's view: a version that only a snapshot's history holds is
// destroyed when the snapshot goes.
TEST(SnapshotLifeTest, AVersionOnlyHistoryHeldIsDestroyedOnRelease) {
  auto core = std::make_shared<engine::StoreCore>(Options{}, 0);
  const Document first{{"n", 1}}, second{{"n", 2}};
  auto written = core->insert(engine::DocumentArg{&first, {}});
  ASSERT_TRUE(written);
  // `old` is this test's own reference; the count says who else holds it.
  value::SnapshotPtr old = *core->get(written->id);
  auto snap = core->snapshot();
  ASSERT_TRUE(snap);
  ASSERT_TRUE(core->update(written->id, engine::DocumentArg{&second, {}}));
  EXPECT_EQ(old.use_count(), 2U);  // the snapshot's history holds it
  snap->release();
  EXPECT_EQ(old.use_count(), 1U);
  core->close();
}

}  // namespace
}  // namespace snapstore
