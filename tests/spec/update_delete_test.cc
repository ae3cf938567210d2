// go-store conformance, SPEC §6-7: update, remove, and versions. go-store's
// global "version" counter is snapstore's revision (deletes and index
// operations take one too); snapstore's version is per document.
#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::must;
using SpecTest = testutil::StoreTest;

TEST_P(SpecTest, UPD_01_ClosedStoreReportsStoreClosedEvenForNull) {
  const auto id = must(store_.insert(Document{{"a", 1}})).id;
  store_.close();
  EXPECT_CODE(store_.update(id, Document{{"a", 2}}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.update(id, Value()), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.update("missing", Value()), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, UPD_02_NullDocumentIsInvalidBeforeExistence) {
  const auto id = must(store_.insert(Document{{"a", 1}})).id;
  const auto before = store_.revision();
  EXPECT_CODE(store_.update("missing", Value()), StatusCode::kInvalidDocument);
  EXPECT_CODE(store_.update(id, Value()), StatusCode::kInvalidDocument);
  EXPECT_CODE(store_.update(id, Value(3)), StatusCode::kInvalidDocument);
  EXPECT_CODE(store_.update(id, Value(Array{Document{}})), StatusCode::kInvalidDocument);
  EXPECT_EQ(store_.revision(), before);
  const auto got = must(store_.get(id));
  EXPECT_EQ(got.data, (Document{{"a", 1}}));
  EXPECT_EQ(got.version, 1u);
}

TEST_P(SpecTest, UPD_03_UnknownOrRemovedIdIsNotFound) {
  const auto id = must(store_.insert(Document{{"a", 1}})).id;
  EXPECT_CODE(store_.update("missing", Document{{"a", 2}}), StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.update("", Document{{"a", 2}}), StatusCode::kDocumentNotFound);
  must(store_.remove(id));
  const auto r = store_.update(id, Document{{"a", 2}});
  EXPECT_CODE(r, StatusCode::kDocumentNotFound);
  EXPECT_TRUE(r.status().message().starts_with("document not found")) << r.status().message();
}

TEST_P(SpecTest, UPD_04_UpdateReplacesTheWholeDocument) {
  const auto id = must(store_.insert(Document{{"a", 1}, {"b", Document{{"c", 2}}}})).id;
  must(store_.update(id, Document{{"b", Document{{"d", 3}}}}));
  EXPECT_EQ(must(store_.get(id)).data, (Document{{"b", Document{{"d", 3}}}}));
  must(store_.update(id, Document{}));
  EXPECT_EQ(must(store_.get(id)).data, Document{});
  must(store_.update(id, Value(Document{{"z", 26}})));
  EXPECT_EQ(must(store_.get(id)).data, (Document{{"z", 26}}));
}

TEST_P(SpecTest, UPD_05_UpdatedDataIsADeepCopy) {
  must(store_.create_index("by_k", {"k"}));
  const auto id = must(store_.insert(Document{{"k", 0}})).id;
  Document doc{{"k", 1}, {"nested", Document{{"list", Array{1}}}}};
  must(store_.update(id, doc));
  doc["k"] = 2;
  doc["nested"]["list"].as_array()[0] = "changed";
  EXPECT_EQ(must(store_.get(id)).data, (Document{{"k", 1}, {"nested", Document{{"list", Array{1}}}}}));
  EXPECT_EQ(must(store_.lookup("by_k", {1})).size(), 1u);
  EXPECT_TRUE(must(store_.lookup("by_k", {2})).empty());
}

TEST_P(SpecTest, UPD_06_EverySuccessfulUpdateTakesARevisionFailuresNone) {
  const Document doc{{"a", 1}};
  const auto id = must(store_.insert(doc)).id;
  const auto same = must(store_.update(id, doc));
  EXPECT_EQ(same.id, id);
  EXPECT_EQ(same.version, 2u);
  EXPECT_EQ(same.revision, 2u);
  const auto again = must(store_.update(id, doc));
  EXPECT_EQ(again.version, 3u);
  EXPECT_EQ(again.revision, 3u);
  EXPECT_CODE(store_.update("missing", doc), StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.update(id, Value()), StatusCode::kInvalidDocument);
  EXPECT_EQ(store_.revision(), 3u);
  const auto got = must(store_.get(id));
  EXPECT_EQ(got.version, 3u);
  EXPECT_EQ(got.revision, 3u);
  EXPECT_EQ(must(store_.insert(doc)).revision, 4u);
}

TEST_P(SpecTest, UPD_07_IndexesFollowUpdates) {
  must(store_.create_index("by_city", {"city"}));
  must(store_.create_index("by_city_zip", {"city", "zip"}));
  const auto id = must(store_.insert(Document{{"city", "NY"}})).id;
  const std::vector<std::string> just{id};
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_city", {"NY"}))), just);
  EXPECT_EQ(must(store_.read_index("by_city_zip")).count(), 0u);

  must(store_.update(id, Document{{"city", "LA"}}));
  EXPECT_TRUE(must(store_.lookup("by_city", {"NY"})).empty());
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_city", {"LA"}))), just);

  must(store_.update(id, Document{{"other", 1}}));
  EXPECT_TRUE(must(store_.lookup("by_city", {"LA"})).empty());
  EXPECT_TRUE(must(store_.lookup_range("by_city", {}, {})).empty());

  must(store_.update(id, Document{{"city", nullptr}}));
  EXPECT_TRUE(must(store_.lookup_range("by_city", {}, {})).empty());

  must(store_.update(id, Document{{"city", "SF"}, {"zip", 94107}}));
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_city", {"SF"}))), just);
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_city_zip", {"SF", 94107}))), just);

  must(store_.update(id, Document{{"city", "SF"}, {"zip", nullptr}}));
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_city", {"SF"}))), just);
  EXPECT_TRUE(must(store_.lookup_range("by_city_zip", {}, {})).empty());
}

TEST_P(SpecTest, UPD_08_EqualNumberOfAnotherTypeStaysFindable) {
  must(store_.create_index("by_n", {"n"}));
  const auto id = must(store_.insert(Document{{"n", 5}})).id;
  must(store_.update(id, Document{{"n", 5.0}}));
  const std::vector<std::string> just{id};
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_n", {5}))), just);
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_n", {5.0}))), just);
  EXPECT_TRUE(must(store_.get(id)).data.at("n").is_double());
}

TEST_P(SpecTest, UPD_09_IdNeverChangesAndUpdateNeverCreates) {
  const auto id = must(store_.insert(Document{{"a", 1}})).id;
  EXPECT_EQ(must(store_.update(id, Document{{"id", "other"}})).id, id);
  EXPECT_EQ(must(store_.get(id)).id, id);
  EXPECT_CODE(store_.update("01890a5d-ac96-774b-bcce-b302099a8057", Document{{"a", 1}}),
              StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.get("01890a5d-ac96-774b-bcce-b302099a8057"), StatusCode::kDocumentNotFound);
  EXPECT_EQ(store_.size(), 1u);
}

// Upstream TestConcurrency_ReadWriteOnSameDoc: one writer counts 1..100 in
// every field, a concurrent reader never sees a torn document or a count
// that goes back.
TEST_P(SpecTest, UPD_10_ConcurrentReaderSeesSerialisedWholeDocuments) {
  auto doc_for = [](int n) { return Document{{"counter", n}, {"a", n}, {"b", Array{n, n}}, {"c", Document{{"n", n}}}}; };
  const auto id = must(store_.insert(doc_for(0))).id;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<int> backwards{0};
  std::atomic<int> errors{0};
  std::thread reader([&] {
    std::int64_t last = -1;
    std::uint64_t last_version = 0;
    for (int pass = 0; !done.load() || pass < 5; ++pass) {
      auto got = store_.get(id);
      if (!got.is_ok()) {
        errors.fetch_add(1);
        continue;
      }
      const std::int64_t n = got->data.at("counter").as_int();
      if (got->data != doc_for(static_cast<int>(n))) torn.fetch_add(1);
      if (n < last || got->version < last_version) backwards.fetch_add(1);
      if (got->version != static_cast<std::uint64_t>(n) + 1) torn.fetch_add(1);
      last = n;
      last_version = got->version;
    }
  });
  int failed_updates = 0;
  for (int n = 1; n <= 100; ++n) {
    if (!store_.update(id, doc_for(n)).is_ok()) ++failed_updates;
  }
  done.store(true);
  reader.join();
  EXPECT_EQ(failed_updates, 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(backwards.load(), 0);
  EXPECT_EQ(errors.load(), 0);
  const auto final_doc = must(store_.get(id));
  EXPECT_EQ(final_doc.data, doc_for(100));
  EXPECT_EQ(final_doc.version, 101u);
}

TEST_P(SpecTest, DEL_01_ClosedStoreReportsStoreClosed) {
  const auto id = must(store_.insert(Document{{"a", 1}})).id;
  store_.close();
  EXPECT_CODE(store_.remove(id), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.remove("missing"), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, DEL_02_UnknownOrAlreadyRemovedIdIsNotFound) {
  const auto id = must(store_.insert(Document{{"a", 1}})).id;
  EXPECT_CODE(store_.remove("missing"), StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.remove(""), StatusCode::kDocumentNotFound);
  must(store_.remove(id));
  const auto second = store_.remove(id);
  EXPECT_CODE(second, StatusCode::kDocumentNotFound);
  EXPECT_TRUE(second.status().message().starts_with("document not found")) << second.status().message();
}

TEST_P(SpecTest, DEL_03_RemovedDocumentIsGoneEverywhere) {
  must(store_.create_index("by_k", {"k"}));
  const auto keep = must(store_.insert(Document{{"k", 1}})).id;
  const auto gone = must(store_.insert(Document{{"k", 1}})).id;
  must(store_.remove(gone));
  const std::vector<std::string> just{keep};
  EXPECT_CODE(store_.get(gone), StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.update(gone, Document{{"k", 2}}), StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.remove(gone), StatusCode::kDocumentNotFound);
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_k", {1}))), just);
  EXPECT_EQ(testutil::ids_of(must(store_.lookup_range("by_k", {}, {}))), just);
  EXPECT_EQ(testutil::ids_of(testutil::scan(store_)), just);
  auto cursor = must(store_.read());
  EXPECT_EQ(cursor.count(), 1u);
  EXPECT_EQ(must(cursor.next()).document->id, keep);
  auto by_index = must(store_.read_index("by_k"));
  EXPECT_EQ(by_index.count(), 1u);
  EXPECT_EQ(must(by_index.next()).document->id, keep);
  auto clone = must(store_.clone());
  EXPECT_EQ(clone.size(), 1u);
  EXPECT_CODE(clone.get(gone), StatusCode::kDocumentNotFound);
  EXPECT_EQ(store_.size(), 1u);
}

TEST_P(SpecTest, DEL_04_RemoveTakesOneRevision) {
  const auto a = must(store_.insert(Document{{"a", 1}}));
  must(store_.update(a.id, Document{{"a", 2}}));
  const auto removed = must(store_.remove(a.id));
  EXPECT_EQ(removed.id, a.id);
  EXPECT_EQ(removed.version, 2u);  // the version it had when removed
  EXPECT_EQ(removed.revision, 3u);
  EXPECT_EQ(store_.revision(), 3u);
  EXPECT_CODE(store_.remove(a.id), StatusCode::kDocumentNotFound);
  EXPECT_EQ(store_.revision(), 3u);
  EXPECT_EQ(must(store_.insert(Document{})).revision, 4u);
}

TEST_P(SpecTest, DEL_05_RemovedIdsAreNeverReissued) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const auto id = must(store_.insert(Document{{"i", i}})).id;
    EXPECT_TRUE(seen.insert(id).second) << "reissued " << id;
    must(store_.remove(id));
  }
  EXPECT_EQ(store_.size(), 0u);
}

TEST_P(SpecTest, VER_01_EverySuccessfulMutationTakesTheNextRevision) {
  EXPECT_EQ(store_.revision(), 0u);
  const auto a = must(store_.insert(Document{{"k", 1}}));
  EXPECT_EQ(a.revision, 1u);
  must(store_.create_index("by_k", {"k"}));
  EXPECT_EQ(store_.revision(), 2u);
  EXPECT_EQ(must(store_.update(a.id, Document{{"k", 2}})).revision, 3u);
  must(store_.drop_index("by_k"));
  EXPECT_EQ(store_.revision(), 4u);
  EXPECT_EQ(must(store_.remove(a.id)).revision, 5u);
  EXPECT_EQ(store_.revision(), 5u);

  // Failed calls take none.
  EXPECT_CODE(store_.insert(Value()), StatusCode::kInvalidDocument);
  EXPECT_CODE(store_.update(a.id, Document{{"k", 3}}), StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.remove(a.id), StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.create_index("x", {}), StatusCode::kEmptyIndex);
  must(store_.create_index("x", {"k"}));
  EXPECT_EQ(store_.revision(), 6u);
  EXPECT_CODE(store_.create_index("x", {"k"}), StatusCode::kIndexExists);
  EXPECT_CODE(store_.drop_index("nope"), StatusCode::kIndexNotFound);
  EXPECT_EQ(store_.revision(), 6u);
  // Reads take none.
  (void)store_.lookup("x", {1});
  (void)store_.lookup_range("x", {}, {});
  (void)store_.read();
  (void)store_.stream();
  (void)store_.clone();
  EXPECT_EQ(store_.revision(), 6u);
}

TEST_P(SpecTest, VER_02_RevisionSequenceWithDeletes) {
  const auto a = must(store_.insert(Document{{"n", "A"}}));
  EXPECT_EQ(a.revision, 1u);
  EXPECT_EQ(a.version, 1u);
  const auto b = must(store_.insert(Document{{"n", "B"}}));
  EXPECT_EQ(b.revision, 2u);
  EXPECT_EQ(b.version, 1u);
  const auto a2 = must(store_.update(a.id, Document{{"n", "A2"}}));
  EXPECT_EQ(a2.revision, 3u);
  EXPECT_EQ(a2.version, 2u);
  const auto b_now = must(store_.get(b.id));
  EXPECT_EQ(b_now.revision, 2u);
  EXPECT_EQ(b_now.version, 1u);
  EXPECT_EQ(must(store_.remove(b.id)).revision, 4u);
  const auto c = must(store_.insert(Document{{"n", "C"}}));
  EXPECT_EQ(c.revision, 5u);
  EXPECT_EQ(c.version, 1u);
  const auto c2 = must(store_.update(c.id, Document{{"n", "C"}}));
  EXPECT_EQ(c2.revision, 6u);
  EXPECT_EQ(c2.version, 2u);
  const auto a_now = must(store_.get(a.id));
  EXPECT_EQ(a_now.revision, 3u);
  EXPECT_EQ(a_now.version, 2u);
}

TEST_P(SpecTest, VER_03_RevisionsUniqueAndIncreasingVersionsCountChanges) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(must(store_.insert(Document{{"i", i}})).id);
  std::uint64_t last = store_.revision();
  std::vector<std::uint64_t> updates(3, 0);
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 3; ++i) {
      if ((round + i) % 2 == 0) continue;
      const auto w = must(store_.update(ids[i], Document{{"i", i}, {"round", round}}));
      EXPECT_GT(w.revision, last);
      last = w.revision;
      ++updates[i];
      EXPECT_EQ(w.version, 1 + updates[i]);
    }
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(must(store_.get(ids[i])).version, 1 + updates[i]);
}

TEST_P(SpecTest, VER_04_VersionIsPerDocumentRevisionIsGlobal) {
  const auto a = must(store_.insert(Document{{"a", 1}}));
  const auto b = must(store_.insert(Document{{"b", 1}}));
  EXPECT_EQ(a.version, 1u);
  EXPECT_EQ(b.version, 1u);
  EXPECT_EQ(b.revision, 2u);
  const auto b2 = must(store_.update(b.id, Document{{"b", 2}}));
  EXPECT_EQ(b2.version, 2u);
  EXPECT_EQ(b2.revision, 3u);
  EXPECT_EQ(must(store_.get(a.id)).version, 1u);
}

TEST_P(SpecTest, VER_05_ClonesContinueTheRevisionSequence) {
  const auto a = must(store_.insert(Document{{"a", 1}}));
  must(store_.update(a.id, Document{{"a", 2}}));
  must(store_.insert(Document{{"b", 1}}));
  ASSERT_EQ(store_.revision(), 3u);
  auto full = must(store_.clone());
  EXPECT_EQ(full.revision(), 3u);
  EXPECT_EQ(must(full.insert(Document{})).revision, 4u);
  auto none = must(store_.clone([](DocumentResult&) { return false; }));
  EXPECT_EQ(none.revision(), 3u);
  EXPECT_EQ(must(none.insert(Document{})).revision, 4u);
  EXPECT_EQ(must(store_.insert(Document{})).revision, 4u);
}

TEST_P(SpecTest, VER_06_NoConditionalUpdateStaleReadsStillWrite) {
  const auto id = must(store_.insert(Document{{"n", 0}})).id;
  const auto seen = must(store_.get(id));
  must(store_.update(id, Document{{"n", seen.data.at("n").as_int() + 1}}));
  must(store_.update(id, Document{{"n", seen.data.at("n").as_int() + 1}}));
  const auto now = must(store_.get(id));
  EXPECT_EQ(now.version, 3u);
  EXPECT_EQ(now.data, (Document{{"n", 1}}));
}

}  // namespace
}  // namespace snapstore
