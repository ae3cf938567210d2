// Unique and partial indexes (IndexOptions): a write that would give two
// documents one key fails with UniqueViolation naming the index, the key and
// the holder, and applies nothing; a partial index keeps only the documents
// its predicate matches, and updates move them in and out. In memory and on
// disk.
#include <gtest/gtest.h>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::StoreKind;

class UniqueIndexTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    auto store = GetParam().open(Options{});
    ASSERT_TRUE(store) << store.status().message();
    store_.emplace(std::move(*store));
  }
  Store& store() { return *store_; }
  std::string insert(Document doc) {
    auto r = store().insert(doc);
    EXPECT_TRUE(r) << r.status().message();
    return r ? r->id : std::string();
  }
  std::vector<std::string> ids(std::string_view index, const IndexKey& key) {
    auto found = store().lookup(index, key);
    EXPECT_TRUE(found) << found.status().message();
    std::vector<std::string> out;
    if (found) {
      for (const auto& doc : *found) out.push_back(doc.id);
    }
    return out;
  }
  std::size_t entries(std::string_view index) {
    for (const IndexInfo& info : store().indexes()) {
      if (info.name == index) return info.entries;
    }
    ADD_FAILURE() << "no index " << index;
    return 0;
  }
  void expect_violation(const Status& s, const std::string& holder, const std::string& key) {
    ASSERT_EQ(s.code(), StatusCode::kUniqueViolation) << s.message();
    ASSERT_NE(s.conflict(), nullptr);
    EXPECT_EQ(s.conflict()->document_id, holder);
    EXPECT_EQ(s.conflict()->index, "by_email");
    EXPECT_EQ(s.conflict()->key, key);
    EXPECT_NE(s.message().find("by_email"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(key), std::string::npos) << s.message();
    if (!holder.empty()) {
      EXPECT_NE(s.message().find(holder), std::string::npos) << s.message();
    }
  }
  void unique_email() { ASSERT_TRUE(store().create_index("by_email", {"email"}, IndexOptions{.unique = true})); }

  std::optional<Store> store_;
};

TEST_P(UniqueIndexTest, InsertOfATakenKeyFailsAndAppliesNothing) {
  unique_email();
  const std::string a = insert(Document{{"email", "a@x.org"}});
  const std::uint64_t revision = store().revision();
  auto r = store().insert(Document{{"email", "a@x.org"}, {"n", 2}});
  expect_violation(r.status(), a, "[\"a@x.org\"]");
  EXPECT_EQ(store().revision(), revision);  // no revision taken
  EXPECT_EQ(store().size(), 1U);
  EXPECT_EQ(ids("by_email", {"a@x.org"}), std::vector<std::string>{a});
  // The key is free again once its holder lets go of it.
  ASSERT_TRUE(store().remove(a));
  const std::string b = insert(Document{{"email", "a@x.org"}});
  EXPECT_EQ(ids("by_email", {"a@x.org"}), std::vector<std::string>{b});
}

TEST_P(UniqueIndexTest, EqualNumbersOfOtherTypesAreOneKey) {
  ASSERT_TRUE(store().create_index("by_n", {"n"}, IndexOptions{.unique = true}));
  insert(Document{{"n", 5}});
  auto r = store().insert(Document{{"n", 5.0}});
  EXPECT_EQ(r.code(), StatusCode::kUniqueViolation) << r.status().message();
}

TEST_P(UniqueIndexTest, UpdateIntoATakenKeyFailsButKeepingItsOwnKeyIsFine) {
  unique_email();
  const std::string a = insert(Document{{"email", "a@x.org"}});
  const std::string b = insert(Document{{"email", "b@x.org"}});
  auto r = store().update(b, Document{{"email", "a@x.org"}});
  expect_violation(r.status(), a, "[\"a@x.org\"]");
  auto doc = store().get(b);
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->version, 1U);
  EXPECT_EQ(doc->data.at("email"), Value("b@x.org"));
  // Its own key again, with other data: no conflict with itself.
  ASSERT_TRUE(store().update(a, Document{{"email", "a@x.org"}, {"name", "A"}}));
  EXPECT_EQ(ids("by_email", {"a@x.org"}), std::vector<std::string>{a});
}

TEST_P(UniqueIndexTest, MissingAndNullKeysNeverCollide) {
  ASSERT_TRUE(store().create_index("by_email", {"email", "org"}, IndexOptions{.unique = true}));
  insert(Document{{"name", "no email"}});
  insert(Document{{"name", "no email either"}});
  insert(Document{{"email", nullptr}, {"org", "x"}});
  insert(Document{{"email", nullptr}, {"org", "x"}});
  insert(Document{{"email", "a@x.org"}});  // org missing
  insert(Document{{"email", "a@x.org"}});
  EXPECT_EQ(store().size(), 6U);
  EXPECT_EQ(entries("by_email"), 0U);
  insert(Document{{"email", "a@x.org"}, {"org", "x"}});
  auto r = store().insert(Document{{"email", "a@x.org"}, {"org", "x"}});
  EXPECT_EQ(r.code(), StatusCode::kUniqueViolation);
  ASSERT_NE(r.status().conflict(), nullptr);
  EXPECT_EQ(r.status().conflict()->key, "[\"a@x.org\",\"x\"]");
}

TEST_P(UniqueIndexTest, BatchGivingTwoDocumentsOneKeyFailsWhole) {
  unique_email();
  const std::string a = insert(Document{{"email", "a@x.org"}});
  const std::uint64_t revision = store().revision();

  WriteBatch twins;
  twins.insert(Document{{"email", "c@x.org"}});
  twins.insert(Document{{"email", "c@x.org"}});
  auto r = store().write(twins);
  ASSERT_EQ(r.code(), StatusCode::kUniqueViolation) << r.status().message();
  EXPECT_NE(r.status().message().find("operations 0 and 1"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().conflict()->key, "[\"c@x.org\"]");

  WriteBatch onto_existing;
  onto_existing.insert(Document{{"email", "d@x.org"}});
  onto_existing.insert(Document{{"email", "a@x.org"}});
  r = store().write(onto_existing);
  expect_violation(r.status(), a, "[\"a@x.org\"]");
  EXPECT_NE(r.status().message().find("operation 1 of the batch"), std::string::npos) << r.status().message();

  EXPECT_EQ(store().revision(), revision);
  EXPECT_EQ(store().size(), 1U);
  EXPECT_EQ(entries("by_email"), 1U);
  EXPECT_TRUE(ids("by_email", {"c@x.org"}).empty());
  EXPECT_TRUE(ids("by_email", {"d@x.org"}).empty());
}

// A precondition names a document without changing it: its key stays taken.
TEST_P(UniqueIndexTest, APreconditionDoesNotFreeTheKeyOfTheDocumentItNames) {
  unique_email();
  const std::string a = insert(Document{{"email", "a@x.org"}});
  const std::uint64_t revision = store().revision();
  WriteBatch guarded;
  guarded.require_version(a, 1);
  guarded.insert(Document{{"email", "a@x.org"}});
  auto r = store().write(guarded);
  expect_violation(r.status(), a, "[\"a@x.org\"]");
  EXPECT_EQ(store().revision(), revision);
  EXPECT_EQ(ids("by_email", {"a@x.org"}), std::vector<std::string>{a});
}

TEST_P(UniqueIndexTest, BatchMayMoveAndSwapKeysWhenTheEndHasNoDuplicate) {
  unique_email();
  const std::string a = insert(Document{{"email", "a@x.org"}});
  const std::string b = insert(Document{{"email", "b@x.org"}});
  WriteBatch swap;  // DECISIONS D72: judged on the batch's final state
  swap.update(a, Document{{"email", "b@x.org"}});
  swap.update(b, Document{{"email", "a@x.org"}});
  auto r = store().write(swap);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(ids("by_email", {"a@x.org"}), std::vector<std::string>{b});
  EXPECT_EQ(ids("by_email", {"b@x.org"}), std::vector<std::string>{a});

  WriteBatch hand_over;  // a removed document's key goes to a new one
  hand_over.remove(a);
  hand_over.insert(Document{{"email", "b@x.org"}});
  r = store().write(hand_over);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(ids("by_email", {"b@x.org"}), std::vector<std::string>{(*r)[1].id});
  EXPECT_EQ(entries("by_email"), 2U);
}

TEST_P(UniqueIndexTest, CreatingOverDuplicatesFailsNamingTwo) {
  const std::string a = insert(Document{{"email", "a@x.org"}});
  insert(Document{{"email", "b@x.org"}});
  const std::string c = insert(Document{{"email", "a@x.org"}});
  const std::uint64_t revision = store().revision();
  Status s = store().create_index("by_email", {"email"}, IndexOptions{.unique = true});
  ASSERT_EQ(s.code(), StatusCode::kUniqueViolation) << s.message();
  EXPECT_NE(s.message().find(a), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(c), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[\"a@x.org\"]"), std::string::npos) << s.message();
  EXPECT_EQ(s.conflict()->index, "by_email");
  EXPECT_TRUE(store().indexes().empty());
  EXPECT_EQ(store().revision(), revision);
  // A plain index over the same documents is fine, and so is a unique one
  // once the duplicate is gone.
  EXPECT_TRUE(store().create_index("plain", {"email"}));
  ASSERT_TRUE(store().remove(c));
  EXPECT_TRUE(store().create_index("by_email", {"email"}, IndexOptions{.unique = true}));
  EXPECT_EQ(store().indexes()[0].options, IndexOptions{.unique = true});
}

TEST_P(UniqueIndexTest, PartialIndexMovesDocumentsInAndOutOnUpdate) {
  ASSERT_TRUE(store().create_index("active_by_city", {"city"},
                                   IndexOptions{.partial = IndexPredicate::equals("status", "active")}));
  const std::string a = insert(Document{{"city", "NY"}, {"status", "active"}});
  const std::string b = insert(Document{{"city", "NY"}, {"status", "gone"}});
  insert(Document{{"city", "NY"}});  // predicate's field missing: out
  EXPECT_EQ(ids("active_by_city", {"NY"}), std::vector<std::string>{a});
  ASSERT_TRUE(store().update(b, Document{{"city", "NY"}, {"status", "active"}}));
  EXPECT_EQ(ids("active_by_city", {"NY"}), (std::vector<std::string>{a, b}));
  ASSERT_TRUE(store().update(a, Document{{"city", "NY"}, {"status", "gone"}}));
  EXPECT_EQ(ids("active_by_city", {"NY"}), std::vector<std::string>{b});
  ASSERT_TRUE(store().update(b, Document{{"city", "NY"}, {"status", nullptr}}));
  EXPECT_TRUE(ids("active_by_city", {"NY"}).empty());
  EXPECT_EQ(entries("active_by_city"), 0U);
}

TEST_P(UniqueIndexTest, PartialExistsTreatsNullAsAbsentAndEqualsReadsNestedPaths) {
  ASSERT_TRUE(store().create_index("with_phone", {"name"}, IndexOptions{.partial = IndexPredicate::exists("phone")}));
  ASSERT_TRUE(store().create_index("nested", {"name"},
                                   IndexOptions{.partial = IndexPredicate::equals("a.b.c", 7)}));
  const std::string p = insert(Document{{"name", "p"}, {"phone", "1"}});
  insert(Document{{"name", "q"}, {"phone", nullptr}});
  insert(Document{{"name", "r"}});
  const std::string n = insert(Document{{"name", "n"}, {"a", Object{{"b", Object{{"c", 7.0}}}}}});
  insert(Document{{"name", "m"}, {"a", Object{{"b", Object{{"c", 8}}}}}});
  insert(Document{{"name", "o"}, {"a", Object{{"b", 7}}}});  // a.b is no object: no a.b.c
  EXPECT_EQ(entries("with_phone"), 1U);
  EXPECT_EQ(ids("with_phone", {"p"}), std::vector<std::string>{p});
  EXPECT_EQ(entries("nested"), 1U);
  EXPECT_EQ(ids("nested", {"n"}), std::vector<std::string>{n});
  // Backfill applies the predicate too.
  ASSERT_TRUE(store().create_index("late", {"name"}, IndexOptions{.partial = IndexPredicate::exists("phone")}));
  EXPECT_EQ(entries("late"), 1U);
}

TEST_P(UniqueIndexTest, UniquePartialIndexOnlyJudgesItsMembers) {
  ASSERT_TRUE(store().create_index(
      "by_email", {"email"}, IndexOptions{.unique = true, .partial = IndexPredicate::equals("status", "active")}));
  const std::string a = insert(Document{{"email", "a@x.org"}, {"status", "active"}});
  insert(Document{{"email", "a@x.org"}, {"status", "gone"}});
  const std::string c = insert(Document{{"email", "a@x.org"}, {"status", "gone"}});
  auto r = store().update(c, Document{{"email", "a@x.org"}, {"status", "active"}});
  expect_violation(r.status(), a, "[\"a@x.org\"]");
}

TEST_P(UniqueIndexTest, BadOptionsAreRefusedByName) {
  Status s = store().create_index("i", {"a"}, IndexOptions{.partial = IndexPredicate::exists("")});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("predicate"), std::string::npos) << s.message();
  s = store().create_index("i", {"a"}, IndexOptions{.partial = IndexPredicate::equals("b", nullptr)});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("null"), std::string::npos) << s.message();
  EXPECT_TRUE(store().indexes().empty());
}

TEST_P(UniqueIndexTest, ClonesKeepTheOptions) {
  unique_email();
  insert(Document{{"email", "a@x.org"}});
  auto copy = store().clone();
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->indexes()[0].options, IndexOptions{.unique = true});
  EXPECT_EQ(copy->insert(Document{{"email", "a@x.org"}}).code(), StatusCode::kUniqueViolation);
}

INSTANTIATE_TEST_SUITE_P(Stores, UniqueIndexTest, ::testing::ValuesIn(testutil::all_store_kinds()),
                         [](const auto& info) { return info.param.name; });

TEST(IndexOptionsTest, DescribeNamesEveryOption) {
  EXPECT_EQ(describe(IndexOptions{}), "");
  EXPECT_EQ(describe(IndexOptions{.unique = true}), "unique");
  EXPECT_EQ(describe(IndexOptions{.unique = true, .partial = IndexPredicate::equals("s", "a")}),
            "unique, where s = \"a\"");
  EXPECT_EQ(describe(IndexOptions{.partial = IndexPredicate::exists("p")}), "where p exists");
}

}  // namespace
}  // namespace snapstore
