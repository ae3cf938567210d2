// go-store conformance, SPEC §15-16: clone() and clone(filter) (a clone
// continues the source's revision sequence, also when the filter keeps
// nothing), and close().
#include <map>
#include <set>
#include <string>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::ids_of;
using testutil::must;
using testutil::scan;
using SpecTest = testutil::StoreTest;

// Two indexes and four documents, one updated and one removed.
void populate(Store& store) {
  must(store.create_index("by_city", {"city"}));
  must(store.create_index("by_city_age", {"city", "age"}));
  const auto a = must(store.insert(Document{{"city", "NY"}, {"age", 30}, {"tags", Array{"x"}}})).id;
  must(store.insert(Document{{"city", "LA"}, {"age", 25}}));
  const auto c = must(store.insert(Document{{"city", "NY"}, {"age", 41}})).id;
  must(store.insert(Document{{"name", "no city"}}));
  must(store.update(a, Document{{"city", "NY"}, {"age", 31}, {"tags", Array{"x", "y"}}}));
  must(store.remove(c));
}

void expect_same_documents(const std::vector<DocumentResult>& expected, const std::vector<DocumentResult>& actual) {
  ASSERT_EQ(ids_of(actual), ids_of(expected));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(actual[i].data, expected[i].data) << expected[i].id;
    EXPECT_EQ(actual[i].version, expected[i].version) << expected[i].id;
    EXPECT_EQ(actual[i].revision, expected[i].revision) << expected[i].id;
  }
}

TEST_P(SpecTest, CLN_01_CloneOfAClosedStoreIsStoreClosed) {
  populate(store_);
  store_.close();
  const auto r = store_.clone();
  EXPECT_CODE(r, StatusCode::kStoreClosed);
  EXPECT_TRUE(r.status().message().starts_with("store closed"));
}

TEST_P(SpecTest, CLN_02_CloneCopiesEveryLiveDocument) {
  populate(store_);
  auto clone = must(store_.clone());
  EXPECT_FALSE(clone.is_closed());
  EXPECT_EQ(clone.size(), store_.size());
  expect_same_documents(scan(store_), scan(clone));
  for (const auto& doc : scan(store_)) {
    const auto copy = must(clone.get(doc.id));
    EXPECT_EQ(copy.data, doc.data);
    EXPECT_EQ(copy.version, doc.version);
    EXPECT_EQ(copy.revision, doc.revision);
  }
}

TEST_P(SpecTest, CLN_03_CloneRebuildsTheSameIndexes) {
  populate(store_);
  auto clone = must(store_.clone());
  const auto source_indexes = store_.indexes();
  const auto clone_indexes = clone.indexes();
  ASSERT_EQ(clone_indexes.size(), source_indexes.size());
  for (std::size_t i = 0; i < source_indexes.size(); ++i) {
    EXPECT_EQ(clone_indexes[i].name, source_indexes[i].name);
    EXPECT_EQ(clone_indexes[i].fields, source_indexes[i].fields);
    EXPECT_EQ(clone_indexes[i].entries, source_indexes[i].entries);
  }
  for (const char* city : {"NY", "LA", "SF"}) {
    expect_same_documents(must(store_.lookup("by_city", {city})), must(clone.lookup("by_city", {city})));
  }
  expect_same_documents(must(store_.lookup_range("by_city_age", {}, {})),
                        must(clone.lookup_range("by_city_age", {}, {})));
  expect_same_documents(must(store_.lookup_range("by_city_age", {"LA"}, {"NY", 30})),
                        must(clone.lookup_range("by_city_age", {"LA"}, {"NY", 30})));
  EXPECT_CODE(clone.create_index("by_city", {"other"}), StatusCode::kIndexExists);
}

TEST_P(SpecTest, CLN_04_CloneContinuesTheRevisionCounter) {
  populate(store_);
  const auto source_revision = store_.revision();
  auto clone = must(store_.clone());
  EXPECT_EQ(clone.revision(), source_revision);
  const auto w = must(clone.insert(Document{{"new", true}}));
  EXPECT_EQ(w.revision, source_revision + 1);
  EXPECT_EQ(w.version, 1u);
  EXPECT_EQ(store_.revision(), source_revision);
}

TEST_P(SpecTest, CLN_05_SourceAndCloneAreIndependent) {
  populate(store_);
  const auto before = scan(store_);
  auto clone = must(store_.clone());
  const auto first = before.front().id;

  must(clone.update(first, Document{{"city", "Paris"}}));
  must(clone.insert(Document{{"city", "NY"}}));
  must(clone.drop_index("by_city_age"));
  must(clone.create_index("by_name", {"name"}));
  expect_same_documents(before, scan(store_));
  EXPECT_OK(store_.lookup_range("by_city_age", {}, {}));
  EXPECT_CODE(store_.lookup("by_name", {"no city"}), StatusCode::kIndexNotFound);

  must(store_.remove(first));
  EXPECT_EQ(must(clone.get(first)).data, (Document{{"city", "Paris"}}));

  clone.close();
  EXPECT_FALSE(store_.is_closed());
  EXPECT_OK(store_.insert(Document{}));
  auto second = must(store_.clone());
  store_.close();
  EXPECT_FALSE(second.is_closed());
  EXPECT_OK(second.insert(Document{}));
}

TEST_P(SpecTest, CLN_06_CloneOfAnEmptyStoreKeepsIndexesAndCounter) {
  must(store_.create_index("idx", {"k"}));
  must(store_.remove(must(store_.insert(Document{{"k", 1}})).id));
  const auto revision = store_.revision();
  auto clone = must(store_.clone());
  EXPECT_FALSE(clone.is_closed());
  EXPECT_EQ(clone.size(), 0u);
  EXPECT_EQ(clone.revision(), revision);
  ASSERT_EQ(clone.indexes().size(), 1u);
  EXPECT_EQ(clone.indexes()[0].name, "idx");
  const auto id = must(clone.insert(Document{{"k", 2}})).id;
  EXPECT_EQ(ids_of(must(clone.lookup("idx", {2}))), std::vector<std::string>{id});
}

TEST_P(SpecTest, CLN_07_FilteredCloneOfClosedStoreAndNullFilter) {
  populate(store_);
  auto all = must(store_.clone(CloneFilter{}));
  expect_same_documents(scan(store_), scan(all));
  EXPECT_EQ(all.indexes().size(), 2u);
  EXPECT_EQ(all.revision(), store_.revision());
  store_.close();
  EXPECT_CODE(store_.clone([](DocumentResult&) { return true; }), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.clone(CloneFilter{}), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, CLN_08_FilterSeesEachLiveDocumentOnceAndDecides) {
  populate(store_);
  const auto live = scan(store_);
  std::map<std::string, int> calls;
  std::map<std::string, DocumentResult> seen;
  auto clone = must(store_.clone([&](DocumentResult& doc) {
    ++calls[doc.id];
    seen[doc.id] = doc;
    return doc.data.contains("city") && doc.data.at("city") == Value("NY");
  }));
  ASSERT_EQ(calls.size(), live.size());
  for (const auto& doc : live) {
    EXPECT_EQ(calls[doc.id], 1) << doc.id;
    EXPECT_EQ(seen[doc.id].data, doc.data);
    EXPECT_EQ(seen[doc.id].version, doc.version);
    EXPECT_EQ(seen[doc.id].revision, doc.revision);
  }
  const auto kept = scan(clone);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].data.at("city"), Value("NY"));
  EXPECT_EQ(ids_of(must(clone.lookup("by_city", {"NY"}))), ids_of(kept));
  EXPECT_TRUE(must(clone.lookup("by_city", {"LA"})).empty());
}

TEST_P(SpecTest, CLN_09_FilterTransformsDataButNotIdentity) {
  populate(store_);
  const auto before = scan(store_);
  auto clone = must(store_.clone([](DocumentResult& doc) {
    doc.data["city"] = "Moved";
    doc.data.erase("age");
    doc.id = "forged-id";
    doc.version = 999;
    doc.revision = 999;
    return true;
  }));
  expect_same_documents(before, scan(store_));
  const auto after = scan(clone);
  ASSERT_EQ(ids_of(after), ids_of(before));
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].data.at("city"), Value("Moved"));
    EXPECT_FALSE(after[i].data.contains("age"));
    EXPECT_EQ(after[i].version, before[i].version);
    EXPECT_EQ(after[i].revision, before[i].revision);
  }
  EXPECT_CODE(clone.get("forged-id"), StatusCode::kDocumentNotFound);
  EXPECT_EQ(must(clone.lookup("by_city", {"Moved"})).size(), before.size());
  EXPECT_TRUE(must(clone.lookup("by_city", {"NY"})).empty());
  EXPECT_TRUE(must(clone.lookup_range("by_city_age", {}, {})).empty());
}

TEST_P(SpecTest, CLN_10_CloneContinuesTheRevisionEvenWhenTheFilterKeepsNothing) {
  populate(store_);
  const auto revision = store_.revision();
  auto empty = must(store_.clone([](DocumentResult&) { return false; }));
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.revision(), revision);
  EXPECT_EQ(empty.indexes().size(), 2u);
  EXPECT_EQ(must(empty.insert(Document{{"city", "NY"}})).revision, revision + 1);
  EXPECT_EQ(must(empty.lookup("by_city", {"NY"})).size(), 1u);

  auto one = must(store_.clone([](DocumentResult& doc) { return doc.data.contains("name"); }));
  EXPECT_EQ(one.size(), 1u);
  EXPECT_EQ(one.revision(), revision);
}

TEST_P(SpecTest, CLS_01_CloseIsIdempotent) {
  EXPECT_FALSE(store_.is_closed());
  store_.close();
  EXPECT_TRUE(store_.is_closed());
  store_.close();
  EXPECT_TRUE(store_.is_closed());
  EXPECT_CODE(store_.insert(Document{}), StatusCode::kStoreClosed);
  Store never_opened;
  EXPECT_TRUE(never_opened.is_closed());
  never_opened.close();
  EXPECT_CODE(never_opened.get("x"), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, CLS_02_EveryMethodReportsStoreClosed) {
  populate(store_);
  const auto id = scan(store_).front().id;
  store_.close();
  EXPECT_CODE(store_.insert(Document{{"a", 1}}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.insert(Value(Document{})), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.get(id), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.update(id, Document{{"a", 1}}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.remove(id), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.create_index("new", {"a"}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.drop_index("by_city"), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.lookup("by_city", {"NY"}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.lookup_range("by_city", {}, {}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.read(), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.read_index("by_city"), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.clone(), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.clone([](DocumentResult&) { return true; }), StatusCode::kStoreClosed);
  auto stream = store_.stream();
  EXPECT_CODE(stream.next(), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, CLS_03_ClosedCheckPrecedesValidation) {
  store_.close();
  EXPECT_CODE(store_.insert(Value()), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.insert(Value(42)), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.update("missing", Value()), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.create_index("idx", {}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.lookup("unknown", {1}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.lookup_range("unknown", {}, {}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.read_index("unknown"), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.drop_index("unknown"), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, CLS_04_StreamsMadeBeforeCloseAreUnaffected) {
  populate(store_);
  const auto expected = scan(store_);
  auto stream = store_.stream(1);
  store_.close();
  auto drained = testutil::drain(stream);
  EXPECT_EQ(drained.end, StatusCode::kStreamClosed);
  expect_same_documents(expected, drained.documents);
}

}  // namespace
}  // namespace snapstore
