// Store::count and Store::explain: count answers exactly lookup()'s /
// lookup_range()'s size for every kind of argument (equality, full, prefix
// and empty bounds, min > max, nulls, arrays as keys), and explain's plan
// describes the same lookup: its distinct keys and documents, the bounds'
// kinds, the index's size, why nothing can match, and lookup's errors.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::must;
using Bound = LookupPlan::Bound;

class ExplainCountTest : public testing::Test {
 protected:
  void SetUp() override { store_ = must(Store::open_in_memory()); }

  // Distinct keys among documents in index order: a new key is one unequal
  // (under compare()) to the one before.
  static std::size_t distinct_keys(const std::vector<DocumentResult>& docs, const std::vector<std::string>& fields) {
    std::size_t keys = 0;
    std::vector<Value> previous;
    for (const DocumentResult& doc : docs) {
      std::vector<Value> key;
      for (const std::string& field : fields) key.push_back(doc.data.at(field));
      bool same = !previous.empty();
      for (std::size_t i = 0; same && i < key.size(); ++i) same = compare(key[i], previous[i]) == 0;
      if (!same) ++keys;
      previous = std::move(key);
    }
    return keys;
  }

  // count, lookup and explain agree on one equality lookup.
  void expect_equal_agrees(const std::string& index, const IndexKey& key, const std::vector<std::string>& fields) {
    SCOPED_TRACE(index + " equality with " + std::to_string(key.size()) + " values");
    const auto found = must(store_.lookup(index, key));
    EXPECT_EQ(must(store_.count(index, key)), found.size());
    EXPECT_EQ(must(store_.lookup_view(index, key)).size(), found.size());
    const LookupPlan plan = must(store_.explain(index, key));
    EXPECT_TRUE(plan.equality);
    EXPECT_EQ(plan.documents, found.size());
    EXPECT_EQ(plan.keys, distinct_keys(found, fields));
    EXPECT_EQ(plan.index_entries, entries_of(index));
  }

  void expect_range_agrees(const std::string& index, const IndexKey& min, const IndexKey& max,
                           const std::vector<std::string>& fields) {
    SCOPED_TRACE(index + " range with bounds of " + std::to_string(min.size()) + " and " +
                 std::to_string(max.size()) + " values");
    const auto found = must(store_.lookup_range(index, min, max));
    EXPECT_EQ(must(store_.count(index, min, max)), found.size());
    const LookupPlan plan = must(store_.explain(index, min, max));
    EXPECT_FALSE(plan.equality);
    EXPECT_EQ(plan.documents, found.size());
    EXPECT_EQ(plan.keys, distinct_keys(found, fields));
    EXPECT_EQ(plan.index_entries, entries_of(index));
  }

  std::size_t entries_of(const std::string& index) const {
    for (const IndexInfo& info : store_.indexes()) {
      if (info.name == index) return info.entries;
    }
    ADD_FAILURE() << "no index " << index;
    return 0;
  }

  // (category, score): A and B with repeated scores, C once, and documents
  // the index leaves out (a missing or null field).
  void insert_category_scores() {
    must(store_.create_index("cat_score", {"category", "score"}));
    const char* categories[] = {"A", "B", "A", "C", "B", "A", "A", "B"};
    const int scores[] = {10, 15, 10, 5, 25, 30, 20, 15};
    for (int i = 0; i < 8; ++i) must(store_.insert(Document{{"category", categories[i]}, {"score", scores[i]}}));
    must(store_.insert(Document{{"category", "A"}, {"score", 20.0}}));  // the same key as 20
    must(store_.insert(Document{{"category", "A"}}));
    must(store_.insert(Document{{"category", "A"}, {"score", nullptr}}));
    must(store_.insert(Document{{"other", 1}}));
  }

  Store store_;
};

TEST_F(ExplainCountTest, CountAndExplainAgreeWithLookupOnEveryKindOfBound) {
  insert_category_scores();
  const std::vector<std::string> fields = {"category", "score"};
  for (const IndexKey& key : std::vector<IndexKey>{{"A", 10},
                                                   {"A", 20},
                                                   {"A", 20.0},
                                                   {"B", 15},
                                                   {"C", 5},
                                                   {"C", 6},
                                                   {"Z", 1},
                                                   {"A"},
                                                   {"A", 10, 1},
                                                   {},
                                                   {"A", nullptr}}) {
    expect_equal_agrees("cat_score", key, fields);
  }
  const std::vector<std::pair<IndexKey, IndexKey>> ranges = {
      {{}, {}},                  // the whole index
      {{"A"}, {"A"}},            // a prefix
      {{"A"}, {"B"}},            // two prefixes
      {{"A", 15}, {"B", 15}},    // full keys
      {{"A", 20}, {"A", 20}},    // min == max: one key, two documents
      {{"B"}, {}},               // from B on
      {{}, {"A", 10}},           // up to (A, 10)
      {{"A", 10}, {"A"}},        // full min, prefix max
      {{"B"}, {"A"}},            // min > max
      {{"C"}, {"A"}},            // min > max, with keys between them
      {{"B", 1}, {"A", 99}},     // min > max, full keys
      {{nullptr}, {}},           // null sorts below everything
      {{"A", 10, 5}, {"A", 20}}, // an overlong min excludes (A, 10)
      {{1}, {"A"}},              // a number sorts below every string
  };
  for (const auto& [min, max] : ranges) expect_range_agrees("cat_score", min, max, fields);
}

TEST_F(ExplainCountTest, ArraysAsKeysAndNumericEquivalence) {
  must(store_.create_index("by_tags", {"tags"}));
  must(store_.insert(Document{{"tags", Array{"a", "b"}}}));
  must(store_.insert(Document{{"tags", Array{"a", "b"}}}));
  must(store_.insert(Document{{"tags", Array{"a"}}}));
  must(store_.insert(Document{{"tags", Array{}}}));
  must(store_.insert(Document{{"tags", 5}}));
  must(store_.insert(Document{{"tags", 5.0}}));
  const std::vector<std::string> fields = {"tags"};
  EXPECT_EQ(must(store_.count("by_tags", {Array{"a", "b"}})), 2u);
  EXPECT_EQ(must(store_.count("by_tags", {5})), 2u);
  for (const IndexKey& key : std::vector<IndexKey>{{Array{"a", "b"}}, {Array{"a"}}, {Array{}}, {5}, {5.0}, {"a"}}) {
    expect_equal_agrees("by_tags", key, fields);
  }
  expect_range_agrees("by_tags", {Array{"a"}}, {Array{"b"}}, fields);
  expect_range_agrees("by_tags", {Array{}}, {}, fields);
  const LookupPlan all = must(store_.explain("by_tags", {}, {}));
  EXPECT_EQ(all.documents, 6u);
  EXPECT_EQ(all.keys, 4u);  // [], ["a"], ["a", "b"], 5
}

TEST_F(ExplainCountTest, ExplainCountsDistinctKeysAndDocumentsOnDuplicates) {
  must(store_.create_index("by_city", {"city"}));
  for (int i = 0; i < 5; ++i) must(store_.insert(Document{{"city", "NY"}, {"i", i}}));
  for (int i = 0; i < 3; ++i) must(store_.insert(Document{{"city", "LA"}, {"i", i}}));
  must(store_.insert(Document{{"city", "SF"}}));

  const LookupPlan ny = must(store_.explain("by_city", {"NY"}));
  EXPECT_EQ(ny.index, "by_city");
  EXPECT_EQ(ny.fields, std::vector<std::string>{"city"});
  EXPECT_TRUE(ny.equality);
  EXPECT_EQ(ny.lower, Bound::kExact);
  EXPECT_EQ(ny.upper, Bound::kExact);
  EXPECT_EQ(ny.keys, 1u);
  EXPECT_EQ(ny.documents, 5u);
  EXPECT_EQ(ny.index_entries, 9u);
  EXPECT_EQ(ny.order, "key ascending, then id");
  EXPECT_EQ(ny.empty_reason, "");

  const LookupPlan la_to_ny = must(store_.explain("by_city", {"LA"}, {"NY"}));
  EXPECT_FALSE(la_to_ny.equality);
  EXPECT_EQ(la_to_ny.keys, 2u);
  EXPECT_EQ(la_to_ny.documents, 8u);

  const LookupPlan all = must(store_.explain("by_city", {}, {}));
  EXPECT_EQ(all.lower, Bound::kUnbounded);
  EXPECT_EQ(all.upper, Bound::kUnbounded);
  EXPECT_EQ(all.keys, 3u);
  EXPECT_EQ(all.documents, 9u);

  const LookupPlan none = must(store_.explain("by_city", {"X"}));
  EXPECT_EQ(none.keys, 0u);
  EXPECT_EQ(none.documents, 0u);
  EXPECT_EQ(none.empty_reason, "");  // nothing found, though something could have been
}

// Keys too long for an entry's summary to hold whole: neighbours that share
// a long start are told apart (or found equal) by their values.
TEST_F(ExplainCountTest, DistinctKeysAmongLongKeysSharingTheirStart) {
  must(store_.create_index("by_name", {"name"}));
  const std::string start(40, 'x');
  for (int i = 0; i < 12; ++i) must(store_.insert(Document{{"name", start + std::to_string(i % 5)}}));
  must(store_.insert(Document{{"name", start}}));
  const LookupPlan all = must(store_.explain("by_name", {}, {}));
  EXPECT_EQ(all.documents, 13u);
  EXPECT_EQ(all.keys, 6u);
  expect_range_agrees("by_name", {start + "1"}, {start + "3"}, {"name"});
  expect_equal_agrees("by_name", {start + "2"}, {"name"});
}

TEST_F(ExplainCountTest, PlanNamesBoundKindsAndWhyNothingCanMatch) {
  insert_category_scores();
  const LookupPlan prefix = must(store_.explain("cat_score", {"A"}, {"A", 20}));
  EXPECT_EQ(prefix.lower, Bound::kPrefix);
  EXPECT_EQ(prefix.upper, Bound::kExact);
  EXPECT_EQ(prefix.empty_reason, "");
  EXPECT_EQ(prefix.documents, 4u);  // (A,10) (A,10) (A,20) (A,20.0)
  EXPECT_EQ(prefix.keys, 2u);

  const LookupPlan overlong = must(store_.explain("cat_score", {}, {"A", 10, 1}));
  EXPECT_EQ(overlong.upper, Bound::kOverlong);

  const LookupPlan reversed = must(store_.explain("cat_score", {"B"}, {"A", 99}));
  EXPECT_NE(reversed.empty_reason.find("min sorts after max"), std::string::npos) << reversed.empty_reason;
  EXPECT_EQ(reversed.documents, 0u);
  // Equal on the values both give: not reversed, whatever the lengths.
  EXPECT_EQ(must(store_.explain("cat_score", {"A", 10}, {"A"})).empty_reason, "");

  const LookupPlan short_key = must(store_.explain("cat_score", {"A"}));
  EXPECT_EQ(short_key.lower, Bound::kPrefix);
  EXPECT_EQ(short_key.documents, 0u);
  EXPECT_NE(short_key.empty_reason.find("the key has 1 value but the index has 2 fields"), std::string::npos)
      << short_key.empty_reason;

  const LookupPlan null_key = must(store_.explain("cat_score", {"A", nullptr}));
  EXPECT_EQ(null_key.documents, 0u);
  EXPECT_NE(null_key.empty_reason.find("null"), std::string::npos) << null_key.empty_reason;

  EXPECT_EQ(to_string(Bound::kUnbounded), "unbounded");
  EXPECT_EQ(to_string(Bound::kPrefix), "prefix");
  EXPECT_EQ(to_string(Bound::kExact), "exact");
  EXPECT_EQ(to_string(Bound::kOverlong), "overlong");
}

// The plan carries the index's options: a partial index's count is of its
// members only, and the plan says why.
TEST_F(ExplainCountTest, PlanCarriesUniqueAndPartialOptions) {
  ASSERT_TRUE(store_.create_index("by_email", {"email"}, {.unique = true}));
  ASSERT_TRUE(store_.create_index("active_by_city", {"city"},
                                  {.partial = IndexPredicate::equals("status", "active")}));
  ASSERT_TRUE(store_.insert(Document{{"email", "a@x.org"}, {"city", "Oslo"}, {"status", "active"}}));
  ASSERT_TRUE(store_.insert(Document{{"email", "b@x.org"}, {"city", "Oslo"}, {"status", "gone"}}));

  auto unique = must(store_.explain("by_email", {"a@x.org"}));
  EXPECT_TRUE(unique.options.unique);
  EXPECT_FALSE(unique.options.partial);
  auto partial = must(store_.explain("active_by_city", {"Oslo"}));
  EXPECT_FALSE(partial.options.unique);
  ASSERT_TRUE(partial.options.partial);
  EXPECT_EQ(partial.documents, 1U);
  EXPECT_EQ(partial.index_entries, 1U);
  EXPECT_EQ(must(store_.count("active_by_city", {"Oslo"})), 1U);
}

TEST_F(ExplainCountTest, CountFollowsWrites) {
  must(store_.create_index("by_city", {"city"}));
  const std::string a = must(store_.insert(Document{{"city", "NY"}})).id;
  const std::string b = must(store_.insert(Document{{"city", "NY"}})).id;
  EXPECT_EQ(must(store_.count("by_city", {"NY"})), 2u);
  must(store_.update(a, Document{{"city", "LA"}}));
  EXPECT_EQ(must(store_.count("by_city", {"NY"})), 1u);
  EXPECT_EQ(must(store_.count("by_city", {"LA"})), 1u);
  must(store_.remove(b));
  EXPECT_EQ(must(store_.count("by_city", {"NY"})), 0u);
  EXPECT_EQ(must(store_.count("by_city", {}, {})), 1u);
  must(store_.update(a, Document{{"town", "LA"}}));  // leaves the index
  EXPECT_EQ(must(store_.count("by_city", {}, {})), 0u);
  EXPECT_EQ(must(store_.explain("by_city", {}, {})).index_entries, 0u);
}

TEST_F(ExplainCountTest, ErrorsAreLookupsErrorsInLookupsOrder) {
  must(store_.create_index("by_city", {"city"}));
  EXPECT_CODE(store_.count("missing", {"NY"}), StatusCode::kIndexNotFound);
  EXPECT_CODE(store_.count("missing", {}, {}), StatusCode::kIndexNotFound);
  EXPECT_CODE(store_.explain("missing", {"NY"}), StatusCode::kIndexNotFound);
  EXPECT_CODE(store_.explain("missing", {}, {}), StatusCode::kIndexNotFound);
  const auto missing = store_.explain("missing", {"NY"});
  EXPECT_NE(missing.status().message().find("\"missing\""), std::string::npos) << missing.status().message();
  // The same as lookup: a key of the wrong length is no error, it matches nothing.
  EXPECT_CODE(store_.lookup("by_city", {"NY", 1}), StatusCode::kOk);
  EXPECT_EQ(must(store_.count("by_city", {"NY", 1})), 0u);

  store_.close();
  for (const char* index : {"by_city", "missing"}) {
    EXPECT_CODE(store_.count(index, {"NY"}), StatusCode::kStoreClosed);
    EXPECT_CODE(store_.count(index, {}, {}), StatusCode::kStoreClosed);
    EXPECT_CODE(store_.explain(index, {"NY"}), StatusCode::kStoreClosed);
    EXPECT_CODE(store_.explain(index, {}, {}), StatusCode::kStoreClosed);
  }
  const Store never_opened;
  EXPECT_CODE(never_opened.count("x", {1}), StatusCode::kStoreClosed);
  EXPECT_CODE(never_opened.explain("x", {}, {}), StatusCode::kStoreClosed);
}

TEST_F(ExplainCountTest, CountSeesABatchWholeWhileItIsWritten) {
  must(store_.create_index("by_pair", {"pair"}));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      WriteBatch batch;
      batch.insert(Document{{"pair", "x"}});
      batch.insert(Document{{"pair", "x"}});
      if (!store_.write(batch)) break;
    }
    done = true;
  });
  std::size_t odd = 0;
  while (!done) {
    const auto n = store_.count("by_pair", {"x"});
    const auto plan = store_.explain("by_pair", {}, {});
    if (!n || *n % 2 != 0 || !plan || plan->documents % 2 != 0 || plan->documents != plan->index_entries) ++odd;
  }
  writer.join();
  EXPECT_EQ(odd, 0u);
  EXPECT_EQ(must(store_.count("by_pair", {"x"})), 400u);
}

}  // namespace
}  // namespace snapstore
