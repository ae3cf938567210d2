// go-store conformance, SPEC §9-12: create_index, drop_index, lookup and
// lookup_range, with snapstore's resolutions: dotted field paths (IDX-06),
// inclusive and prefix/unbounded range bounds (RNG-02/04/08/09), and the
// class order null < bool < number < string < binary < array < object.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::field_of;
using testutil::id_set;
using testutil::ids_of;
using testutil::must;
using SpecTest = testutil::StoreTest;

using Keys = std::vector<Value>;

// Inserts {field: v} for each value, returning the ids in insertion order.
std::vector<std::string> insert_each(Store& store, const std::string& field, const Keys& values) {
  std::vector<std::string> ids;
  for (const auto& v : values) ids.push_back(must(store.insert(Document{{field, v}})).id);
  return ids;
}

// The composite data set of RNG-07/08: (A,10)(A,20)(A,30)(B,15)(B,25)(C,5).
void insert_category_scores(Store& store) {
  must(store.create_index("cat_score", {"category", "score"}));
  const std::vector<std::pair<const char*, int>> rows = {{"B", 25}, {"A", 20}, {"C", 5},
                                                         {"A", 10}, {"B", 15}, {"A", 30}};
  for (const auto& [c, s] : rows) must(store.insert(Document{{"category", c}, {"score", s}}));
}

std::vector<std::string> pairs_of(const std::vector<DocumentResult>& results) {
  std::vector<std::string> out;
  for (const auto& r : results) {
    out.push_back(r.data.at("category").as_string() + std::to_string(r.data.at("score").as_int()));
  }
  return out;
}

TEST_P(SpecTest, IDX_01_ClosedStoreReportsStoreClosedEvenWithNoFields) {
  store_.close();
  EXPECT_CODE(store_.create_index("idx", {"a"}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.create_index("idx", {}), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, IDX_02_NoFieldsIsEmptyIndexBeforeTheName) {
  const auto r = store_.create_index("idx", {});
  EXPECT_CODE(r, StatusCode::kEmptyIndex);
  EXPECT_TRUE(r.message().starts_with("cannot create empty index")) << r.message();
  must(store_.create_index("existing", {"a"}));
  EXPECT_CODE(store_.create_index("existing", {}), StatusCode::kEmptyIndex);
  EXPECT_EQ(store_.indexes().size(), 1u);
}

TEST_P(SpecTest, IDX_03_NameInUseIsIndexExists) {
  must(store_.create_index("idx", {"a"}));
  const auto same = store_.create_index("idx", {"a"});
  EXPECT_CODE(same, StatusCode::kIndexExists);
  EXPECT_TRUE(same.message().starts_with("index already exists")) << same.message();
  EXPECT_CODE(store_.create_index("idx", {"b", "c"}), StatusCode::kIndexExists);
  const auto infos = store_.indexes();
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].fields, std::vector<std::string>{"a"});
}

// go-store allows "" as a name, "" as a field and a repeated field;
// snapstore refuses each with InvalidArgument (DECISIONS D55).
TEST_P(SpecTest, IDX_04_NamesAreFreeButNotEmptyAndFieldsNeitherEmptyNorRepeated) {
  EXPECT_OK(store_.create_index("Idx", {"a"}));
  EXPECT_OK(store_.create_index("idx", {"a"}));
  EXPECT_OK(store_.create_index("two", {"a", "b"}));
  const auto unnamed = store_.create_index("", {"a"});
  EXPECT_CODE(unnamed, StatusCode::kInvalidArgument);
  EXPECT_NE(unnamed.message().find("name must not be empty"), std::string::npos) << unnamed.message();
  const auto twice = store_.create_index("twice", {"a", "b", "a"});
  EXPECT_CODE(twice, StatusCode::kInvalidArgument);
  EXPECT_NE(twice.message().find("\"a\" appears twice"), std::string::npos) << twice.message();
  const auto empty_field = store_.create_index("empty_field", {"a", ""});
  EXPECT_CODE(empty_field, StatusCode::kInvalidArgument);
  EXPECT_NE(empty_field.message().find("field 2 is empty"), std::string::npos) << empty_field.message();
  EXPECT_CODE(store_.create_index("", {}), StatusCode::kEmptyIndex);  // no fields is still go-store's error first
  EXPECT_CODE(store_.create_index("idx", {""}), StatusCode::kInvalidArgument);  // argument errors before existence
  EXPECT_EQ(store_.indexes().size(), 3u);
  const auto id = must(store_.insert(Document{{"a", 1}, {"b", 7}})).id;
  const std::vector<std::string> just{id};
  EXPECT_EQ(ids_of(must(store_.lookup("Idx", {1}))), just);
  EXPECT_EQ(ids_of(must(store_.lookup("idx", {1}))), just);
  EXPECT_EQ(ids_of(must(store_.lookup("two", {1, 7}))), just);
  must(store_.drop_index("idx"));
  EXPECT_EQ(ids_of(must(store_.lookup("Idx", {1}))), just);
}

TEST_P(SpecTest, IDX_05_CreateIndexBackfillsBeforeReturning) {
  const auto ids = insert_each(store_, "k", {1, 2, 2, 3});
  must(store_.insert(Document{{"other", 2}}));
  must(store_.insert(Document{{"k", nullptr}}));
  must(store_.create_index("by_k", {"k"}));
  EXPECT_EQ(id_set(must(store_.lookup("by_k", {2}))), (std::set<std::string>{ids[1], ids[2]}));
  EXPECT_EQ(ids_of(must(store_.lookup_range("by_k", {}, {}))).size(), 4u);
  EXPECT_EQ(must(store_.read_index("by_k")).count(), 4u);
}

TEST_P(SpecTest, IDX_06_DottedFieldsDescendIntoNestedObjects) {
  must(store_.create_index("by_zip", {"address.zip"}));
  must(store_.create_index("deep", {"a.b.c"}));
  const auto nested = must(store_.insert(Document{{"address", Document{{"zip", "123"}}}})).id;
  must(store_.insert(Document{{"address.zip", "123"}}));  // a dotted top-level key is not a path
  must(store_.insert(Document{{"address", "123"}}));
  must(store_.insert(Document{{"address", Document{{"zip", nullptr}}}}));
  must(store_.insert(Document{{"address", Document{{"other", "123"}}}}));
  const auto deep = must(store_.insert(Document{{"a", Document{{"b", Document{{"c", 1}}}}}})).id;
  must(store_.insert(Document{{"a", Document{{"b", 1}}}}));

  EXPECT_EQ(ids_of(must(store_.lookup("by_zip", {"123"}))), std::vector<std::string>{nested});
  EXPECT_EQ(ids_of(must(store_.lookup_range("by_zip", {}, {}))), std::vector<std::string>{nested});
  EXPECT_EQ(must(store_.read_index("by_zip")).count(), 1u);
  EXPECT_EQ(ids_of(must(store_.lookup("deep", {1}))), std::vector<std::string>{deep});

  must(store_.update(nested, Document{{"address", Document{{"zip", "999"}, {"city", "X"}}}}));
  EXPECT_TRUE(must(store_.lookup("by_zip", {"123"})).empty());
  EXPECT_EQ(ids_of(must(store_.lookup("by_zip", {"999"}))), std::vector<std::string>{nested});
}

TEST_P(SpecTest, IDX_07_AnyNonNullValueCanBeAKey) {
  must(store_.create_index("by_v", {"v"}));
  const Keys keys = {Array{1, 2}, Document{{"k", 1}}, Binary{1, 2}, Array{}, Document{}, "s", 1.5, true};
  const auto ids = insert_each(store_, "v", keys);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(ids_of(must(store_.lookup("by_v", {keys[i]}))), std::vector<std::string>{ids[i]}) << keys[i];
  }
}

TEST_P(SpecTest, IDX_08_RecreatedIndexIsBackfilledWithNewFields) {
  must(store_.create_index("idx", {"a"}));
  const auto id = must(store_.insert(Document{{"a", 1}, {"b", "x"}})).id;
  must(store_.drop_index("idx"));
  EXPECT_OK(store_.create_index("idx", {"b"}));
  EXPECT_EQ(ids_of(must(store_.lookup("idx", {"x"}))), std::vector<std::string>{id});
  EXPECT_TRUE(must(store_.lookup("idx", {1})).empty());
}

TEST_P(SpecTest, IDX_10_MembershipNeedsEveryFieldKeyFollowsFieldOrder) {
  must(store_.create_index("ba", {"b", "a"}));
  const auto full = must(store_.insert(Document{{"a", 1}, {"b", 2}})).id;
  must(store_.insert(Document{{"a", 1}}));
  must(store_.insert(Document{{"a", 1}, {"b", nullptr}}));
  must(store_.insert(Document{{"b", 2}, {"a", nullptr}}));
  const auto same_key = must(store_.insert(Document{{"a", 1.0}, {"b", 2.0}})).id;
  EXPECT_EQ(id_set(must(store_.lookup("ba", {2, 1}))), (std::set<std::string>{full, same_key}));
  EXPECT_TRUE(must(store_.lookup("ba", {1, 2})).empty());
  EXPECT_EQ(must(store_.read_index("ba")).count(), 2u);
  EXPECT_EQ(must(store_.lookup_range("ba", {}, {})).size(), 2u);
}

TEST_P(SpecTest, IDX_11_FalsyValuesAreIndexed) {
  must(store_.create_index("by_v", {"v"}));
  const Keys falsy = {false, 0, 0.0, "", Array{}, Document{}, Binary{}};
  const auto ids = insert_each(store_, "v", falsy);
  must(store_.insert(Document{{"v", nullptr}}));
  must(store_.insert(Document{}));
  EXPECT_EQ(must(store_.lookup_range("by_v", {}, {})).size(), falsy.size());
  EXPECT_EQ(ids_of(must(store_.lookup("by_v", {false}))), std::vector<std::string>{ids[0]});
  EXPECT_EQ(id_set(must(store_.lookup("by_v", {0}))), (std::set<std::string>{ids[1], ids[2]}));
  EXPECT_EQ(ids_of(must(store_.lookup("by_v", {""}))), std::vector<std::string>{ids[3]});
  EXPECT_EQ(ids_of(must(store_.lookup("by_v", {Value(Array{})}))), std::vector<std::string>{ids[4]});
  EXPECT_EQ(ids_of(must(store_.lookup("by_v", {Document{}}))), std::vector<std::string>{ids[5]});
}

TEST_P(SpecTest, DRP_01_DropIndexErrors) {
  must(store_.create_index("idx", {"a"}));
  const auto unknown = store_.drop_index("unknown");
  EXPECT_CODE(unknown, StatusCode::kIndexNotFound);
  EXPECT_TRUE(unknown.message().starts_with("index does not exist")) << unknown.message();
  EXPECT_OK(store_.drop_index("idx"));
  EXPECT_CODE(store_.drop_index("idx"), StatusCode::kIndexNotFound);
  must(store_.create_index("idx", {"a"}));
  store_.close();
  EXPECT_CODE(store_.drop_index("idx"), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, DRP_02_DroppedIndexIsGoneOthersAndDocumentsStay) {
  must(store_.create_index("gone", {"a"}));
  must(store_.create_index("kept", {"a"}));
  const auto id = must(store_.insert(Document{{"a", 1}})).id;
  must(store_.drop_index("gone"));
  EXPECT_CODE(store_.lookup("gone", {1}), StatusCode::kIndexNotFound);
  EXPECT_CODE(store_.lookup_range("gone", {}, {}), StatusCode::kIndexNotFound);
  EXPECT_CODE(store_.read_index("gone"), StatusCode::kIndexNotFound);
  EXPECT_EQ(ids_of(must(store_.lookup("kept", {1}))), std::vector<std::string>{id});
  EXPECT_EQ(must(store_.get(id)).data, (Document{{"a", 1}}));
  const auto infos = store_.indexes();
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].name, "kept");
}

TEST_P(SpecTest, LKP_01_ClosedThenUnknownIndex) {
  const auto unknown = store_.lookup("unknown", {1});
  EXPECT_CODE(unknown, StatusCode::kIndexNotFound);
  EXPECT_TRUE(unknown.status().message().starts_with("index does not exist"));
  must(store_.create_index("idx", {"a"}));
  store_.close();
  EXPECT_CODE(store_.lookup("idx", {1}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.lookup("unknown", {1}), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, LKP_02_ExactMatchUnderCompare) {
  must(store_.create_index("by_country", {"country"}));
  must(store_.create_index("by_n", {"n"}));
  const auto us = insert_each(store_, "country", {"USA", "USA", "Canada"});
  const auto fives = insert_each(store_, "n", {5, 5.0, std::int32_t{5}, 5.0f});
  insert_each(store_, "n", {6, 4.999});
  EXPECT_EQ(id_set(must(store_.lookup("by_country", {"USA"}))), (std::set<std::string>{us[0], us[1]}));
  EXPECT_EQ(ids_of(must(store_.lookup("by_country", {"Canada"}))), std::vector<std::string>{us[2]});
  const std::set<std::string> five_set(fives.begin(), fives.end());
  EXPECT_EQ(id_set(must(store_.lookup("by_n", {5}))), five_set);
  EXPECT_EQ(id_set(must(store_.lookup("by_n", {5.0}))), five_set);
}

TEST_P(SpecTest, LKP_03_NoMatchIsAnEmptyResult) {
  must(store_.create_index("by_country", {"country"}));
  insert_each(store_, "country", {"USA", "Canada"});
  const auto r = store_.lookup("by_country", {"Germany"});
  ASSERT_OK(r);
  EXPECT_TRUE(r->empty());
}

TEST_P(SpecTest, LKP_04_ExactLookupNeverMatchesPrefixes) {
  must(store_.create_index("ab", {"a", "b"}));
  must(store_.create_index("a", {"a"}));
  const auto id = must(store_.insert(Document{{"a", 1}, {"b", 2}})).id;
  EXPECT_EQ(ids_of(must(store_.lookup("ab", {1, 2}))), std::vector<std::string>{id});
  EXPECT_TRUE(must(store_.lookup("ab", {1})).empty());
  EXPECT_TRUE(must(store_.lookup("ab", {1, 2, 3})).empty());
  EXPECT_TRUE(must(store_.lookup("ab", {})).empty());
  EXPECT_TRUE(must(store_.lookup("a", {})).empty());
  EXPECT_TRUE(must(store_.lookup("a", {1, 2})).empty());
}

TEST_P(SpecTest, LKP_05_NullInValuesMatchesNothing) {
  must(store_.create_index("a", {"a"}));
  must(store_.create_index("ab", {"a", "b"}));
  must(store_.insert(Document{{"a", nullptr}, {"b", 2}}));
  must(store_.insert(Document{{"a", 1}, {"b", nullptr}}));
  must(store_.insert(Document{{"b", 2}}));
  EXPECT_TRUE(must(store_.lookup("a", {Value()})).empty());
  EXPECT_TRUE(must(store_.lookup("ab", {Value(), 2})).empty());
  EXPECT_TRUE(must(store_.lookup("ab", {1, Value()})).empty());
  EXPECT_TRUE(must(store_.lookup("ab", {Value(), Value()})).empty());
}

TEST_P(SpecTest, LKP_06_OtherClassesNeverMatch) {
  must(store_.create_index("by_v", {"v"}));
  const auto ids = insert_each(store_, "v", {5, true, false, "1"});
  EXPECT_TRUE(must(store_.lookup("by_v", {"5"})).empty());
  EXPECT_TRUE(must(store_.lookup("by_v", {1})).empty());
  EXPECT_EQ(ids_of(must(store_.lookup("by_v", {true}))), std::vector<std::string>{ids[1]});
  EXPECT_EQ(ids_of(must(store_.lookup("by_v", {false}))), std::vector<std::string>{ids[2]});
  EXPECT_EQ(ids_of(must(store_.lookup("by_v", {"1"}))), std::vector<std::string>{ids[3]});
  EXPECT_EQ(ids_of(must(store_.lookup("by_v", {5}))), std::vector<std::string>{ids[0]});
}

TEST_P(SpecTest, LKP_07_ResultsCarryCurrentStateOncePerDocument) {
  must(store_.create_index("by_k", {"k"}));
  const auto id = must(store_.insert(Document{{"k", 1}, {"v", "old"}})).id;
  must(store_.update(id, Document{{"k", 1}, {"v", "new"}}));
  const auto found = must(store_.lookup("by_k", {1}));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, id);
  EXPECT_EQ(found[0].data, (Document{{"k", 1}, {"v", "new"}}));
  EXPECT_EQ(found[0].version, 2u);
  EXPECT_EQ(found[0].revision, 3u);  // create_index 1, insert 2, update 3
}

TEST_P(SpecTest, RNG_01_ClosedThenUnknownIndex) {
  EXPECT_CODE(store_.lookup_range("unknown", {1}, {2}), StatusCode::kIndexNotFound);
  must(store_.create_index("idx", {"a"}));
  store_.close();
  EXPECT_CODE(store_.lookup_range("idx", {1}, {2}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.lookup_range("unknown", {1}, {2}), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, RNG_02_BothBoundsInclusive) {
  must(store_.create_index("score", {"score"}));
  for (int i = 1; i <= 10; ++i) must(store_.insert(Document{{"score", i}}));
  must(store_.insert(Document{{"score", 5.5}}));
  EXPECT_EQ(field_of(must(store_.lookup_range("score", {3}, {6})), "score"), (Keys{3, 4, 5, 5.5, 6}));
}

TEST_P(SpecTest, RNG_03_LowerBoundInclusive) {
  must(store_.create_index("score", {"score"}));
  insert_each(store_, "score", {2, 3, 4});
  EXPECT_EQ(field_of(must(store_.lookup_range("score", {3}, {100})), "score"), (Keys{3, 4}));
  EXPECT_EQ(field_of(must(store_.lookup_range("score", {3.0}, {3.5})), "score"), (Keys{3}));
}

TEST_P(SpecTest, RNG_04_EqualBoundsReturnTheEqualKeys) {
  must(store_.create_index("score", {"score"}));
  const auto ids = insert_each(store_, "score", {4, 5, 5.0, 6});
  EXPECT_EQ(id_set(must(store_.lookup_range("score", {5}, {5}))), (std::set<std::string>{ids[1], ids[2]}));
  insert_category_scores(store_);
  EXPECT_EQ(pairs_of(must(store_.lookup_range("cat_score", {"B", 15}, {"B", 15}))), std::vector<std::string>{"B15"});
}

TEST_P(SpecTest, RNG_05_MinAboveMaxIsEmptyNotAnError) {
  must(store_.create_index("score", {"score"}));
  insert_each(store_, "score", {1, 5, 10});
  const auto r = store_.lookup_range("score", {10}, {1});
  ASSERT_OK(r);
  EXPECT_TRUE(r->empty());
}

TEST_P(SpecTest, RNG_06_AscendingKeyOrderTiesInIdOrder) {
  must(store_.create_index("score", {"score"}));
  insert_each(store_, "score", {7, 3, 9, 3.0, 1, 7, 5, 3, 0.5, 9});
  const auto all = must(store_.lookup_range("score", {}, {}));
  ASSERT_EQ(all.size(), 10u);
  for (std::size_t i = 1; i < all.size(); ++i) {
    const int c = compare(all[i - 1].data.at("score"), all[i].data.at("score"));
    EXPECT_LE(c, 0) << "position " << i;
    if (c == 0) {
      EXPECT_LT(all[i - 1].id, all[i].id) << "tie at position " << i << " not in id order";
    }
  }
  const auto middle = must(store_.lookup_range("score", {3}, {7}));
  EXPECT_EQ(field_of(middle, "score"), (Keys{3, 3.0, 3, 5, 7, 7}));
}

TEST_P(SpecTest, RNG_07_CompositeBounds) {
  insert_category_scores(store_);
  EXPECT_EQ(pairs_of(must(store_.lookup_range("cat_score", {"A", 25}, {"B", 26}))),
            (std::vector<std::string>{"A30", "B15", "B25"}));
}

TEST_P(SpecTest, RNG_08_PrefixBoundsAreInclusivePrefixes) {
  insert_category_scores(store_);
  EXPECT_EQ(pairs_of(must(store_.lookup_range("cat_score", {"A"}, {"A"}))),
            (std::vector<std::string>{"A10", "A20", "A30"}));
  EXPECT_EQ(pairs_of(must(store_.lookup_range("cat_score", {"A"}, {"B"}))),
            (std::vector<std::string>{"A10", "A20", "A30", "B15", "B25"}));
  EXPECT_EQ(pairs_of(must(store_.lookup_range("cat_score", {"B"}, {"B", 20}))), std::vector<std::string>{"B15"});
  EXPECT_EQ(pairs_of(must(store_.lookup_range("cat_score", {"A", 20}, {"B"}))),
            (std::vector<std::string>{"A20", "A30", "B15", "B25"}));
}

TEST_P(SpecTest, RNG_09_EmptyBoundsAreUnbounded) {
  insert_category_scores(store_);
  const std::vector<std::string> all = {"A10", "A20", "A30", "B15", "B25", "C5"};
  EXPECT_EQ(pairs_of(must(store_.lookup_range("cat_score", {}, {}))), all);
  EXPECT_EQ(pairs_of(must(store_.lookup_range("cat_score", {}, {"A", 20}))), (std::vector<std::string>{"A10", "A20"}));
  EXPECT_EQ(pairs_of(must(store_.lookup_range("cat_score", {"B", 20}, {}))), (std::vector<std::string>{"B25", "C5"}));
  EXPECT_EQ(pairs_of(must(store_.lookup_range("cat_score", {}, {"B"}))),
            (std::vector<std::string>{"A10", "A20", "A30", "B15", "B25"}));
}

TEST_P(SpecTest, RNG_10_BoundsMixNumericTypes) {
  must(store_.create_index("n", {"n"}));
  for (int i = 1; i <= 10; ++i) must(store_.insert(Document{{"n", i}}));
  EXPECT_EQ(field_of(must(store_.lookup_range("n", {2.5}, {4.0000001})), "n"), (Keys{3, 4}));
  EXPECT_EQ(field_of(must(store_.lookup_range("n", {std::int32_t{9}}, {10.0f})), "n"), (Keys{9, 10}));
}

TEST_P(SpecTest, RNG_11_BoundsOfOtherClassesUseClassOrder) {
  must(store_.create_index("n", {"n"}));
  insert_each(store_, "n", {8, 9, 10});
  EXPECT_EQ(field_of(must(store_.lookup_range("n", {8}, {"a"})), "n"), (Keys{8, 9, 10}));
  EXPECT_EQ(field_of(must(store_.lookup_range("n", {Value()}, {9})), "n"), (Keys{8, 9}));
  EXPECT_EQ(field_of(must(store_.lookup_range("n", {Value()}, {"a"})), "n"), (Keys{8, 9, 10}));
  EXPECT_EQ(field_of(must(store_.lookup_range("n", {false}, {true})), "n"), Keys{});
  EXPECT_EQ(field_of(must(store_.lookup_range("n", {9}, {Value(Array{})})), "n"), (Keys{9, 10}));
}

TEST_P(SpecTest, RNG_12_MixedIndexListsInClassOrder) {
  must(store_.create_index("v", {"v"}));
  insert_each(store_, "v",
              {"b", "a", 2.5, 1, std::int64_t{3}, true, false, Array{"z"}, Array{"a", "b"}, Document{{"k", 1}},
               Binary{1}});
  EXPECT_EQ(field_of(must(store_.lookup_range("v", {}, {})), "v"),
            (Keys{false, true, 1, 2.5, std::int64_t{3}, "a", "b", Binary{1}, Array{"a", "b"}, Array{"z"},
                  Document{{"k", 1}}}));
}

TEST_P(SpecTest, RNG_13_ResultsCarryCurrentStateWithoutDuplicates) {
  must(store_.create_index("n", {"n"}));
  const auto ids = insert_each(store_, "n", {1, 2, 3});
  must(store_.update(ids[1], Document{{"n", 2}, {"x", "updated"}}));
  must(store_.update(ids[0], Document{{"n", 3}}));
  const auto all = must(store_.lookup_range("n", {}, {}));
  EXPECT_EQ(ids_of(all), (std::vector<std::string>{ids[1], ids[0], ids[2]}));
  EXPECT_EQ(all[0].data, (Document{{"n", 2}, {"x", "updated"}}));
  EXPECT_EQ(all[0].version, 2u);
  EXPECT_EQ(all[0].revision, 5u);  // create_index took revision 1
  EXPECT_EQ(all[1].version, 2u);
  EXPECT_EQ(all[1].revision, 6u);
  EXPECT_EQ(all[2].version, 1u);
}

TEST_P(SpecTest, RNG_14_BoundContentsNeverCauseErrors) {
  must(store_.create_index("n", {"n"}));
  insert_each(store_, "n", {1, 2, 3});
  const std::vector<IndexKey> bounds = {
      {}, {Value()}, {1, 2, 3}, {"x", Value(), Array{}}, {Document{}}, {Binary{}}, {Value(), Value()}, {1, "z"}};
  for (const auto& min : bounds) {
    for (const auto& max : bounds) EXPECT_OK(store_.lookup_range("n", min, max));
  }
}

// A lookup's deep copies are its views decoded one by one: the same documents
// in the same (index) order, with the same ids, versions and revisions.
// Returns the first position that differs, or "" (one assertion for the
// whole result: 100k assertions cost seconds under ASan).
std::string first_difference(const std::vector<DocumentResult>& copies, const std::vector<DocumentView>& views) {
  if (copies.size() != views.size()) {
    return std::to_string(copies.size()) + " copies, " + std::to_string(views.size()) + " views";
  }
  for (std::size_t i = 0; i < copies.size(); ++i) {
    const DocumentResult one = views[i].to_result();
    const DocumentResult& copy = copies[i];
    if (copy.id != one.id || copy.version != one.version || copy.revision != one.revision || !(copy.data == one.data)) {
      return "at " + std::to_string(i) + ": " + copy.id + " against " + one.id;
    }
  }
  return "";
}

void expect_views_decoded(const Result<std::vector<DocumentResult>>& copies,
                          const Result<std::vector<DocumentView>>& views, std::size_t expected) {
  ASSERT_TRUE(static_cast<bool>(copies)) << copies.status().message();
  ASSERT_TRUE(static_cast<bool>(views)) << views.status().message();
  EXPECT_EQ(copies->size(), expected);
  EXPECT_EQ(first_difference(*copies, *views), "");
}

TEST_P(SpecTest, DeepCopiesAreTheViewsDecodedInIndexOrder) {
  must(store_.create_index("k", {"k"}));
  must(store_.create_index("n", {"n"}));
  // Keys interleaved with the insertion order, and updated documents, so
  // that neither the table's order nor the order in memory is the index's.
  std::vector<std::string> many;
  for (int i = 0; i < 300; ++i) {
    const std::string key = i % 3 == 0 ? "many" : (i % 3 == 1 ? "other" : "more");
    const std::string id = must(store_.insert(Document{{"k", key}, {"n", 299 - i}, {"tags", Array{i, "t"}}})).id;
    if (i % 7 == 0) must(store_.update(id, Document{{"k", key}, {"n", 299 - i}, {"nested", Document{{"i", i}}}}));
  }
  must(store_.insert(Document{{"k", "one"}, {"n", 1000}}));
  for (const std::string key : {"absent", "one", "many", "other"}) {
    const std::size_t expected = key == "absent" ? 0 : key == "one" ? 1 : 100;
    expect_views_decoded(store_.lookup("k", {key}), store_.lookup_view("k", {key}), expected);
  }
  // Ranges at both ends of the index, in the middle, and all of it.
  const std::vector<std::pair<IndexKey, IndexKey>> ranges = {
      {{}, {0}}, {{}, {9}}, {{290}, {}}, {{1000}, {}}, {{100}, {199}}, {{}, {}}, {{2000}, {}}};
  const std::vector<std::size_t> sizes = {1, 10, 11, 1, 100, 301, 0};
  for (std::size_t r = 0; r < ranges.size(); ++r) {
    const auto& [min, max] = ranges[r];
    expect_views_decoded(store_.lookup_range("n", min, max), store_.lookup_range_view("n", min, max), sizes[r]);
  }
}

// 20k documents in one result, twice the benchmark's lookups, by lookup and
// by range (in memory: the durable kind adds nothing to a read). 100k cost
// 9 s under ASan.
TEST(SpecLookup, ALargeResultsDeepCopiesAreItsViews) {
  Store store = must(Store::open_in_memory());
  must(store.create_index("k", {"k"}));
  constexpr int kDocuments = 20'000;
  for (int first = 0; first < kDocuments; first += 5'000) {
    WriteBatch batch;
    for (int i = first; i < first + 5'000; ++i) batch.insert(Document{{"k", 1}, {"n", i}});
    must(store.write(batch));
  }
  const auto copies = must(store.lookup("k", {1}));
  ASSERT_EQ(copies.size(), std::size_t{kDocuments});
  EXPECT_EQ(first_difference(copies, must(store.lookup_view("k", {1}))), "");
  // The whole index as a range: the same documents in the same order.
  const auto range = must(store.lookup_range("k", {}, {}));
  ASSERT_EQ(range.size(), copies.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < range.size(); ++i) {
    differ += range[i].id != copies[i].id || !(range[i].data == copies[i].data) ? 1 : 0;
  }
  EXPECT_EQ(differ, 0u);
  EXPECT_EQ(copies.front().data.at("n").as_int(), 0);
  EXPECT_EQ(copies.back().data.at("n").as_int(), kDocuments - 1);
}

}  // namespace
}  // namespace snapstore
