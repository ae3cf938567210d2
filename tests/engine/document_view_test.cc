// DocumentView: the view-returning reads (get_view, lookup_view,
// lookup_range_view, Stream::next_view, the cursors' *_view steps) return the
// same documents in the same order as their deep-copy twins, and a view keeps
// the version it was made from, whatever the store does afterwards.
#include <string>
#include <vector>

#include "testutil/store_factory.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

using testutil::must;
using ViewTest = testutil::StoreTest;

std::vector<std::string> ids_of(const std::vector<DocumentView>& views) {
  std::vector<std::string> ids;
  for (const auto& view : views) ids.emplace_back(view.id());
  return ids;
}

Document person(const std::string& name, int age, const std::string& city) {
  return Document{{"name", name}, {"age", age}, {"address", Document{{"city", city}}}};
}

TEST_P(ViewTest, GetViewReadsTheStoredVersion) {
  const auto written = must(store_.insert(person("ada", 36, "London")));
  const DocumentView view = must(store_.get_view(written.id));
  EXPECT_EQ(view.id(), written.id);
  EXPECT_EQ(view.version(), 1u);
  EXPECT_EQ(view.revision(), written.revision);
  EXPECT_EQ(view.at("name").as_string(), "ada");
  EXPECT_EQ(view.at("address").at("city").as_string(), "London");
  EXPECT_EQ(view.to_document(), must(store_.get(written.id)).data);
  const DocumentResult copy = view.to_result();
  EXPECT_EQ(copy.id, written.id);
  EXPECT_EQ(copy.revision, written.revision);
  EXPECT_CODE(store_.get_view("no-such-id"), StatusCode::kDocumentNotFound);
}

TEST_P(ViewTest, AViewOutlivesUpdatesRemovesAndClose) {
  const auto written = must(store_.insert(person("ada", 36, "London")));
  const DocumentView before = must(store_.get_view(written.id));
  must(store_.update(written.id, person("ada", 37, "Paris")));
  const DocumentView after = must(store_.get_view(written.id));
  EXPECT_EQ(before.at("age").as_int(), 36);
  EXPECT_EQ(before.version(), 1u);
  EXPECT_EQ(after.at("age").as_int(), 37);
  EXPECT_EQ(after.version(), 2u);
  must(store_.remove(written.id));
  store_.close();
  EXPECT_EQ(before.at("address").at("city").as_string(), "London");
  EXPECT_EQ(after.to_document(), person("ada", 37, "Paris"));
  EXPECT_CODE(store_.get_view(written.id), StatusCode::kStoreClosed);
}

TEST_P(ViewTest, LookupViewsMatchTheDeepCopies) {
  for (int i = 0; i < 60; ++i) must(store_.insert(person("p" + std::to_string(i), 20 + i % 7, i % 2 ? "NY" : "LA")));
  must(store_.create_index("by_city_age", {"address.city", "age"}));
  const auto views = must(store_.lookup_view("by_city_age", {"NY", 21}));
  const auto copies = must(store_.lookup("by_city_age", {"NY", 21}));
  ASSERT_EQ(views.size(), copies.size());
  ASSERT_FALSE(views.empty());
  for (std::size_t i = 0; i < views.size(); ++i) {
    EXPECT_EQ(views[i].id(), copies[i].id);
    EXPECT_EQ(views[i].to_document(), copies[i].data);
  }
  const auto range_views = must(store_.lookup_range_view("by_city_age", {"LA", 22}, {"NY", 21}));
  const auto range_copies = must(store_.lookup_range("by_city_age", {"LA", 22}, {"NY", 21}));
  EXPECT_EQ(ids_of(range_views), testutil::ids_of(range_copies));
  EXPECT_CODE(store_.lookup_view("missing", {1}), StatusCode::kIndexNotFound);
  EXPECT_CODE(store_.lookup_range_view("missing", {}, {}), StatusCode::kIndexNotFound);
}

TEST_P(ViewTest, StreamAndCursorViewsFollowTheirDeepCopyTwins) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(must(store_.insert(Document{{"i", i}})).id);
  auto stream = store_.stream();
  for (const auto& id : ids) {
    const DocumentView view = must(stream.next_view());
    EXPECT_EQ(view.id(), id);
  }
  EXPECT_CODE(stream.next_view(), StatusCode::kStreamClosed);

  auto cursor = must(store_.read());
  auto first = must(cursor.next_view());
  ASSERT_TRUE(first.document.has_value());
  EXPECT_EQ(first.document->id(), ids[0]);
  EXPECT_TRUE(first.has_more);
  auto last = must(cursor.advance_view(10));
  EXPECT_EQ(last.document->id(), ids[4]);
  EXPECT_FALSE(last.has_more);
  auto back = must(cursor.previous_view());
  EXPECT_EQ(back.document->at("i").as_int(), 3);
  must(store_.remove(ids[2]));
  EXPECT_CODE(cursor.previous_view(), StatusCode::kDocumentDeleted);
  cursor.close();
  EXPECT_CODE(cursor.next_view(), StatusCode::kStreamClosed);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ViewTest, testing::ValuesIn(testutil::all_store_kinds()), testutil::store_kind_name);

TEST(DocumentView, ReadsDocumentsRecoveredFromDisk) {
  testutil::TempDir dir;
  std::string ada, bob;
  {
    auto store = must(Store::open(dir.path()));
    ada = must(store.insert(person("ada", 36, "London"))).id;
    bob = must(store.insert(person("bob", 41, "Oslo"))).id;
  }
  auto store = must(Store::open(dir.path()));
  EXPECT_EQ(must(store.get_view(ada)).at("address").at("city").as_string(), "London");
  EXPECT_EQ(must(store.get_view(bob)).at("age").as_int(), 41);
}

TEST(DocumentView, AMovedFromViewIsEmpty) {
  auto store = must(Store::open_in_memory());
  const auto written = must(store.insert(person("ada", 36, "London")));
  DocumentView view = must(store.get_view(written.id));
  DocumentView moved = std::move(view);
  EXPECT_EQ(moved.at("name").as_string(), "ada");
  EXPECT_TRUE(view.data().is_null());  // NOLINT(bugprone-use-after-move): the documented state
  EXPECT_FALSE(view.find("name").has_value());
  view = std::move(moved);
  EXPECT_EQ(view.at("name").as_string(), "ada");
  EXPECT_TRUE(moved.data().is_null());  // NOLINT(bugprone-use-after-move)
}

TEST(DocumentView, DefaultIsEmpty) {
  const DocumentView empty;
  EXPECT_TRUE(empty.id().empty());
  EXPECT_TRUE(empty.data().is_null());
  EXPECT_TRUE(empty.to_document().empty());
}

}  // namespace
}  // namespace snapstore
