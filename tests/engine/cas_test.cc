// Compare-and-set: Store::update_if / remove_if and WriteBatch preconditions,
// in memory and on disk — every error path, the error precedence, and that a
// failed precondition applies nothing (documents, indexes, revision, WAL).
#include <gtest/gtest.h>

#include "testutil/store_factory.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

using testutil::StoreKind;

class CasTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    auto store = GetParam().open(Options{});
    ASSERT_TRUE(store) << store.status().message();
    store_.emplace(std::move(*store));
    ASSERT_TRUE(store_->create_index("by_city", {"city"}));
  }
  Store& store() { return *store_; }
  std::string insert(const std::string& city, std::int64_t n) {
    auto done = store().insert(Document{{"city", city}, {"n", n}});
    EXPECT_TRUE(done) << done.status().message();
    return done ? done->id : std::string();
  }
  std::size_t in_city(const std::string& city) {
    auto found = store().lookup("by_city", {city});
    EXPECT_TRUE(found);
    return found ? found->size() : 0;
  }
  // The conflict's payload and message, checked together.
  template <typename R>
  void expect_conflict(const R& result, const std::string& id, std::uint64_t current, const std::string& detail) {
    ASSERT_EQ(result.code(), StatusCode::kVersionConflict) << result.status().message();
    const Conflict* conflict = result.status().conflict();
    ASSERT_NE(conflict, nullptr);
    EXPECT_EQ(conflict->document_id, id);
    EXPECT_EQ(conflict->current_version, current);
    EXPECT_EQ(result.status().detail(), detail);
  }

  std::optional<Store> store_;
};

TEST_P(CasTest, UpdateIfAppliesAtTheExpectedVersion) {
  const std::string id = insert("NY", 1);
  auto done = store().update_if(id, Document{{"city", "LA"}, {"n", 2}}, 1);
  ASSERT_TRUE(done) << done.status().message();
  EXPECT_EQ(done->version, 2u);
  EXPECT_EQ(done->revision, store().revision());
  EXPECT_EQ(store().get(id)->data.at("n").as_int(), 2);
  EXPECT_EQ(in_city("LA"), 1u);
  // The Value overload, at the new version.
  ASSERT_TRUE(store().update_if(id, Value(Document{{"city", "SF"}}), 2));
  EXPECT_EQ(store().get(id)->version, 3u);
}

TEST_P(CasTest, UpdateIfAtAStaleVersionChangesNothing) {
  const std::string id = insert("NY", 1);
  ASSERT_TRUE(store().update(id, Document{{"city", "NY"}, {"n", 2}}));
  const std::uint64_t revision = store().revision();
  auto stale = store().update_if(id, Document{{"city", "LA"}}, 1);
  expect_conflict(stale, id, 2, "id \"" + id + "\": expected version 1, found 2");
  EXPECT_EQ(stale.status().message(), "version conflict: id \"" + id + "\": expected version 1, found 2");
  EXPECT_EQ(store().revision(), revision);
  EXPECT_EQ(store().get(id)->version, 2u);
  EXPECT_EQ(in_city("NY"), 1u);
  EXPECT_EQ(in_city("LA"), 0u);
}

TEST_P(CasTest, AMissingDocumentIsAConflictWithVersionZero) {
  const std::string id = insert("NY", 1);
  ASSERT_TRUE(store().remove(id));
  const std::string gone = "id \"" + id + "\": expected version 1, the document does not exist";
  expect_conflict(store().update_if(id, Document{{"n", 1}}, 1), id, 0, gone);
  expect_conflict(store().remove_if(id, 1), id, 0, gone);
  expect_conflict(store().update_if("never", Document{{"n", 1}}, 4), "never", 0,
                  "id \"never\": expected version 4, the document does not exist");
  // The unconditional calls keep go-store's DocumentNotFound.
  EXPECT_EQ(store().update(id, Document{{"n", 1}}).code(), StatusCode::kDocumentNotFound);
  EXPECT_EQ(store().remove(id).code(), StatusCode::kDocumentNotFound);
}

TEST_P(CasTest, RemoveIf) {
  const std::string id = insert("NY", 1);
  ASSERT_TRUE(store().update(id, Document{{"city", "NY"}}));
  expect_conflict(store().remove_if(id, 1), id, 2, "id \"" + id + "\": expected version 1, found 2");
  EXPECT_EQ(store().size(), 1u);
  EXPECT_EQ(in_city("NY"), 1u);
  auto done = store().remove_if(id, 2);
  ASSERT_TRUE(done) << done.status().message();
  EXPECT_EQ(done->version, 2u);
  EXPECT_EQ(store().size(), 0u);
  EXPECT_EQ(in_city("NY"), 0u);
}

TEST_P(CasTest, ArgumentErrorsComeBeforeTheConflict) {
  const std::string id = insert("NY", 1);
  const std::uint64_t revision = store().revision();
  auto zero = store().update_if(id, Document{{"n", 1}}, 0);
  EXPECT_EQ(zero.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(zero.status().detail(), "expected version 0: versions start at 1");
  EXPECT_EQ(store().remove_if(id, 0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store().remove_if("missing", 0).code(), StatusCode::kInvalidArgument);
  // Not an object: InvalidDocument even at a stale version.
  EXPECT_EQ(store().update_if(id, Value(5), 9).code(), StatusCode::kInvalidDocument);
  EXPECT_EQ(store().update_if("missing", Value("x"), 9).code(), StatusCode::kInvalidDocument);
  EXPECT_EQ(store().revision(), revision);
  EXPECT_EQ(store().get(id)->version, 1u);
}

TEST_P(CasTest, ClosedStoreAnswersStoreClosedFirst) {
  const std::string id = insert("NY", 1);
  store().close();
  EXPECT_EQ(store().update_if(id, Document{{"n", 1}}, 1).code(), StatusCode::kStoreClosed);
  EXPECT_EQ(store().update_if(id, Value(3), 0).code(), StatusCode::kStoreClosed);
  EXPECT_EQ(store().remove_if(id, 0).code(), StatusCode::kStoreClosed);
  WriteBatch batch;
  batch.require_version(id, 0);
  EXPECT_EQ(store().write(batch).code(), StatusCode::kStoreClosed);
  Store moved_from = std::move(store());
  EXPECT_EQ(store().update_if(id, Document{}, 1).code(), StatusCode::kStoreClosed);
  EXPECT_EQ(store().remove_if(id, 1).code(), StatusCode::kStoreClosed);
}

TEST_P(CasTest, BatchWithHoldingPreconditionsApplies) {
  const std::string a = insert("NY", 1);
  const std::string b = insert("NY", 2);
  const std::string c = insert("NY", 3);
  ASSERT_TRUE(store().remove(c));
  WriteBatch batch;
  batch.update_if(a, Document{{"city", "LA"}, {"n", 1}}, 1);
  batch.remove_if(b, 1);
  batch.require_absent(c);
  batch.require_absent("never-inserted");
  batch.insert(Document{{"city", "LA"}, {"n", 9}});
  EXPECT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch.preconditions(), 4u);
  auto done = store().write(batch);
  ASSERT_TRUE(done) << done.status().message();
  ASSERT_EQ(done->size(), 3u);
  EXPECT_EQ(store().get(a)->version, 2u);
  EXPECT_EQ(store().get(b).code(), StatusCode::kDocumentNotFound);
  EXPECT_EQ(in_city("LA"), 2u);
  EXPECT_EQ(in_city("NY"), 0u);
}

TEST_P(CasTest, RequireExistsOnADocumentTheBatchDoesNotWrite) {
  const std::string a = insert("NY", 1);
  const std::string b = insert("NY", 2);
  WriteBatch batch;
  batch.require_exists(a);
  batch.require_version(b, 1);
  batch.insert(Document{{"city", "SF"}});
  ASSERT_TRUE(store().write(batch));
  EXPECT_EQ(in_city("SF"), 1u);
  EXPECT_EQ(store().get(a)->version, 1u);  // checked, not written
}

TEST_P(CasTest, AFailedPreconditionRejectsTheWholeBatch) {
  const std::string a = insert("NY", 1);
  const std::string b = insert("NY", 2);
  ASSERT_TRUE(store().update(b, Document{{"city", "NY"}, {"n", 3}}));
  const std::uint64_t revision = store().revision();
  const std::size_t size = store().size();

  WriteBatch batch;
  batch.update(a, Document{{"city", "LA"}});
  batch.insert(Document{{"city", "LA"}});
  batch.require_exists(a);
  batch.remove_if(b, 1);  // b is at version 2: precondition 1 fails
  auto failed = store().write(batch);
  expect_conflict(failed, b, 2, "precondition 1 of the batch: id \"" + b + "\": expected version 1, found 2");
  EXPECT_EQ(store().revision(), revision);
  EXPECT_EQ(store().size(), size);
  EXPECT_EQ(store().get(a)->version, 1u);
  EXPECT_EQ(store().get(b)->version, 2u);
  EXPECT_EQ(in_city("NY"), 2u);
  EXPECT_EQ(in_city("LA"), 0u);
  // The store still takes writes, on the same documents (no lock left behind).
  ASSERT_TRUE(store().update_if(b, Document{{"city", "NY"}}, 2));
  ASSERT_TRUE(store().remove_if(a, 1));
}

TEST_P(CasTest, EveryKindOfPreconditionNamesWhatFailed) {
  const std::string a = insert("NY", 1);
  const std::string gone = insert("NY", 2);
  ASSERT_TRUE(store().remove(gone));
  const std::uint64_t revision = store().revision();
  {
    WriteBatch batch;
    batch.require_absent(a);
    batch.insert(Document{});
    expect_conflict(store().write(batch), a, 1,
                    "precondition 0 of the batch: id \"" + a + "\": expected no document, found version 1");
  }
  {
    WriteBatch batch;
    batch.require_exists(a);
    batch.require_exists(gone);
    batch.insert(Document{});
    expect_conflict(store().write(batch), gone, 0,
                    "precondition 1 of the batch: id \"" + gone + "\": expected the document to exist, it does not");
  }
  {
    WriteBatch batch;  // a precondition on an id never seen
    batch.require_version("unknown", 1);
    batch.insert(Document{});
    expect_conflict(store().write(batch), "unknown", 0,
                    "precondition 0 of the batch: id \"unknown\": expected version 1, the document does not exist");
  }
  {
    // The CAS form on a removed document: a conflict, like Store::update_if,
    // though the operation alone would be DocumentNotFound.
    WriteBatch batch;
    batch.update_if(gone, Document{}, 1);
    expect_conflict(store().write(batch), gone, 0,
                    "precondition 0 of the batch: id \"" + gone + "\": expected version 1, the document does not exist");
  }
  {
    WriteBatch batch;  // preconditions hold, an operation's target is missing
    batch.require_version(a, 1);
    batch.update(gone, Document{});
    auto missing = store().write(batch);
    EXPECT_EQ(missing.code(), StatusCode::kDocumentNotFound);
    EXPECT_EQ(missing.status().detail(), "operation 0 of the batch: id \"" + gone + "\"");
  }
  EXPECT_EQ(store().revision(), revision);
  EXPECT_EQ(in_city("NY"), 1u);
}

TEST_P(CasTest, BadBatchesAreInvalidArguments) {
  const std::string a = insert("NY", 1);
  const std::uint64_t revision = store().revision();
  {
    WriteBatch empty;
    auto r = store().write(empty);
    EXPECT_EQ(r.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().detail(), "an empty write batch");
  }
  {
    WriteBatch only;
    only.require_exists(a);
    only.require_absent("x");
    auto r = store().write(only);
    EXPECT_EQ(r.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().detail(), "a write batch with 2 precondition(s) and no operation; add the writes they guard");
  }
  {
    WriteBatch twice;
    twice.require_exists(a);
    twice.insert(Document{});
    twice.require_version(a, 1);
    auto r = store().write(twice);
    EXPECT_EQ(r.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().detail(), "preconditions 0 and 1 of the batch both name id \"" + a + "\"");
  }
  {
    WriteBatch same_target;  // two operations on one id, now also with a precondition
    same_target.update_if(a, Document{}, 1);
    same_target.remove(a);
    auto r = store().write(same_target);
    EXPECT_EQ(r.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().detail(), "operations 0 and 1 of the batch both target id \"" + a + "\"");
  }
  {
    WriteBatch zero;
    zero.insert(Document{});
    zero.require_version(a, 0);
    auto r = store().write(zero);
    EXPECT_EQ(r.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().detail(),
              "precondition 0 of the batch: id \"" + a + "\": expected version 0: versions start at 1");
  }
  {
    WriteBatch bad_doc;  // an argument error outranks a failing precondition
    bad_doc.require_version(a, 7);
    bad_doc.insert(Document{{"deep", Value(Array{Value(Array{Value(Array{})})})}});  // depth 3, spelled out: compilers differ on Array{Array{}}
    Options shallow;
    shallow.max_nesting_depth = 2;
    auto small = Store::open_in_memory(shallow);
    ASSERT_TRUE(small);
    EXPECT_EQ(small->write(bad_doc).code(), StatusCode::kInvalidDocument);
  }
  EXPECT_EQ(store().revision(), revision);
  WriteBatch reused;
  reused.require_exists(a);
  reused.clear();
  EXPECT_EQ(reused.preconditions(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Kinds, CasTest, ::testing::ValuesIn(testutil::all_store_kinds()), testutil::store_kind_name);

// On disk: a conflict writes no WAL record, a conditional write is replayed
// like any other, and a read-only store refuses before checking versions.
TEST(CasDurableTest, ConflictsLeaveNothingToRecoverAndReadOnlyRefuses) {
  const std::string dir = testutil::new_store_dir();
  std::string id;
  std::uint64_t revision = 0;
  {
    auto store = Store::open(dir);
    ASSERT_TRUE(store) << store.status().message();
    id = store->insert(Document{{"n", 1}})->id;
    ASSERT_TRUE(store->update_if(id, Document{{"n", 2}}, 1));
    EXPECT_EQ(store->update_if(id, Document{{"n", 3}}, 1).code(), StatusCode::kVersionConflict);
    WriteBatch batch;
    batch.update_if(id, Document{{"n", 4}}, 1);
    batch.insert(Document{{"n", 5}});
    EXPECT_EQ(store->write(batch).code(), StatusCode::kVersionConflict);
    revision = store->revision();
  }
  {
    auto store = Store::open(dir);
    ASSERT_TRUE(store) << store.status().message();
    EXPECT_EQ(store->revision(), revision);
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(store->get(id)->version, 2u);
    EXPECT_EQ(store->get(id)->data.at("n").as_int(), 2);
  }
  Options read_only;
  read_only.read_only = true;
  auto store = Store::open(dir, read_only);
  ASSERT_TRUE(store) << store.status().message();
  auto refused = store->update_if(id, Document{}, 2);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().detail().find("read-only"), std::string::npos);
  EXPECT_EQ(store->remove_if(id, 1).code(), StatusCode::kInvalidArgument);
  WriteBatch batch;
  batch.remove_if(id, 2);
  EXPECT_EQ(store->write(batch).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->get(id)->version, 2u);
}

}  // namespace
}  // namespace snapstore
