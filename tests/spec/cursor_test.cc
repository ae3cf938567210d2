// go-store conformance, SPEC §14: read() and read_index() cursors, go-store's
// position model step by step, live reads of a fixed document list, and the
// FIX items (index order, exact index membership, no recycled slots, reads
// after Store::close).
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::fails;
using testutil::got;
using testutil::must;
using testutil::none;
using testutil::Step;
using testutil::step_of;
using SpecTest = testutil::StoreTest;

// Inserts {v: 0} .. {v: n-1}, returning their ids.
std::vector<std::string> insert_values(Store& store, int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(must(store.insert(Document{{"v", i}})).id);
  return ids;
}

// One cursor operation: 'n' next, 'p' previous, 'a' advance(k).
struct Move {
  char op;
  std::int64_t k = 0;
};

Step apply(Cursor& cursor, const Move& move) {
  switch (move.op) {
    case 'n':
      return step_of(cursor.next());
    case 'p':
      return step_of(cursor.previous());
    default:
      return step_of(cursor.advance(move.k));
  }
}

std::vector<Step> run(Cursor& cursor, const std::vector<Move>& moves) {
  std::vector<Step> steps;
  for (const auto& m : moves) steps.push_back(apply(cursor, m));
  return steps;
}

TEST_P(SpecTest, CUR_01_ReadSnapshotsTheDocumentsPresent) {
  insert_values(store_, 3);
  auto cursor = must(store_.read());
  EXPECT_EQ(cursor.count(), 3u);
  insert_values(store_, 2);
  EXPECT_EQ(cursor.count(), 3u);
  EXPECT_EQ(must(store_.read()).count(), 5u);
  store_.close();
  const auto closed = store_.read();
  EXPECT_CODE(closed, StatusCode::kStoreClosed);
  EXPECT_TRUE(closed.status().message().starts_with("store closed"));
}

TEST_P(SpecTest, CUR_02_ReadFollowsIdOrder) {
  auto ids = insert_values(store_, 6);
  must(store_.remove(ids[2]));
  ids.erase(ids.begin() + 2);
  ids.push_back(must(store_.insert(Document{{"v", 6}})).id);
  auto cursor = must(store_.read());
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < cursor.count(); ++i) seen.push_back(must(cursor.next()).document->id);
  EXPECT_EQ(seen, ids);
}

TEST_P(SpecTest, CUR_03_ReadIndexCoversMembersOnly) {
  must(store_.create_index("by_k", {"k"}));
  const auto a = must(store_.insert(Document{{"k", 1}})).id;
  must(store_.insert(Document{{"other", 1}}));
  must(store_.insert(Document{{"k", nullptr}}));
  const auto b = must(store_.insert(Document{{"k", 2}})).id;
  auto cursor = must(store_.read_index("by_k"));
  ASSERT_EQ(cursor.count(), 2u);
  std::set<std::string> seen;
  seen.insert(must(cursor.next()).document->id);
  seen.insert(must(cursor.next()).document->id);
  EXPECT_EQ(seen, (std::set<std::string>{a, b}));

  EXPECT_CODE(store_.read_index("unknown"), StatusCode::kIndexNotFound);
  must(store_.drop_index("by_k"));
  EXPECT_CODE(store_.read_index("by_k"), StatusCode::kIndexNotFound);
  store_.close();
  EXPECT_CODE(store_.read_index("unknown"), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, CUR_04_ReadIndexFollowsKeyOrder) {
  must(store_.create_index("by_k", {"k"}));
  for (const Value& k : {Value(5), Value("b"), Value(1), Value(3.5), Value(1), Value("a"), Value(false)}) {
    must(store_.insert(Document{{"k", k}}));
  }
  auto cursor = must(store_.read_index("by_k"));
  std::vector<DocumentResult> seen;
  for (std::size_t i = 0; i < cursor.count(); ++i) seen.push_back(*must(cursor.next()).document);
  EXPECT_EQ(testutil::field_of(seen, "k"), (std::vector<Value>{false, 1, 1, 3.5, 5, "a", "b"}));
  EXPECT_LT(seen[1].id, seen[2].id);
}

TEST_P(SpecTest, CUR_05_ReadIndexEqualsTheWholeRange) {
  must(store_.create_index("by_k", {"k"}));
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(must(store_.insert(Document{{"k", i % 3}})).id);
  must(store_.update(ids[1], Document{{"no_k", 1}}));
  must(store_.update(ids[4], Document{{"k", nullptr}}));
  must(store_.update(ids[0], Document{{"k", 9}}));
  auto cursor = must(store_.read_index("by_k"));
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < cursor.count(); ++i) seen.push_back(must(cursor.next()).document->id);
  EXPECT_EQ(seen, testutil::ids_of(must(store_.lookup_range("by_k", {}, {}))));
  EXPECT_EQ(seen.size(), 4u);
}

TEST_P(SpecTest, CUR_06_ListIsFixedDataIsLive) {
  const auto ids = insert_values(store_, 3);
  auto cursor = must(store_.read());
  must(store_.insert(Document{{"v", 3}}));
  must(store_.update(ids[1], Document{{"v", 10}}));
  EXPECT_EQ(cursor.count(), 3u);
  EXPECT_EQ(run(cursor, {{'n'}, {'n'}, {'n'}, {'n'}}),
            (std::vector<Step>{got(0, true), got(10, true), got(2, false), none()}));
}

TEST_P(SpecTest, CUR_07_ClosedCursorAnswersStreamClosed) {
  insert_values(store_, 3);
  auto cursor = must(store_.read());
  EXPECT_OK(cursor.next());
  cursor.close();
  EXPECT_EQ(run(cursor, {{'n'}, {'p'}, {'a', 1}, {'a', -1}, {'a', 0}}),
            std::vector<Step>(5, fails(StatusCode::kStreamClosed)));
  EXPECT_CODE(cursor.reset(), StatusCode::kStreamClosed);
  const auto next = cursor.next();
  EXPECT_TRUE(next.status().message().starts_with("stream closed")) << next.status().message();
}

TEST_P(SpecTest, CUR_08_NextPastTheEndIsEmptyAndRepeatable) {
  insert_values(store_, 2);
  auto cursor = must(store_.read());
  EXPECT_EQ(run(cursor, {{'n'}, {'n'}, {'n'}, {'n'}, {'n'}}),
            (std::vector<Step>{got(0, true), got(1, false), none(), none(), none()}));
  EXPECT_EQ(step_of(cursor.previous()), got(1, true));
}

TEST_P(SpecTest, CUR_09_NextReadsThenMovesHasMoreUntilTheLast) {
  const auto ids = insert_values(store_, 4);
  auto cursor = must(store_.read());
  for (int i = 0; i < 4; ++i) {
    const auto step = must(cursor.next());
    ASSERT_TRUE(step.document.has_value());
    EXPECT_EQ(step.document->id, ids[i]);
    EXPECT_EQ(step.document->data, (Document{{"v", i}}));
    EXPECT_EQ(step.document->version, 1u);
    EXPECT_EQ(step.has_more, i < 3);
  }
}

TEST_P(SpecTest, CUR_10_EmptySnapshotYieldsNothing) {
  auto cursor = must(store_.read());
  EXPECT_EQ(cursor.count(), 0u);
  EXPECT_EQ(run(cursor, {{'n'}, {'p'}, {'a', 0}, {'a', 5}, {'a', -5}, {'n'}}), std::vector<Step>(6, none()));
  must(store_.create_index("idx", {"k"}));
  insert_values(store_, 2);
  auto by_index = must(store_.read_index("idx"));
  EXPECT_EQ(by_index.count(), 0u);
  EXPECT_EQ(run(by_index, {{'n'}, {'a', 1}}), std::vector<Step>(2, none()));
}

TEST_P(SpecTest, CUR_11_AdvanceClampsAndReportsMoreInItsDirection) {
  insert_values(store_, 5);
  auto cursor = must(store_.read());
  EXPECT_EQ(run(cursor, {{'a', 1}, {'a', 0}, {'a', 3}, {'a', 1}, {'a', -1}, {'a', -3}, {'a', -1}}),
            (std::vector<Step>{got(1, true), got(1, false), got(4, false), got(4, false), got(3, true),
                               got(0, false), got(0, false)}));
  auto at_end = must(store_.read());
  for (int i = 0; i < 5; ++i) EXPECT_OK(at_end.next());
  EXPECT_EQ(step_of(at_end.advance(0)), got(4, false));

  auto single_store = open_store();
  insert_values(single_store, 1);
  auto single = must(single_store.read());
  EXPECT_EQ(run(single, {{'a', 1}, {'a', -1}, {'a', 0}}),
            (std::vector<Step>{got(0, false), got(0, false), got(0, false)}));
}

TEST_P(SpecTest, CUR_12_UpstreamAdvanceSequence) {
  insert_values(store_, 5);
  auto cursor = must(store_.read());
  EXPECT_EQ(run(cursor, {{'a', 2}, {'a', 10}, {'a', -2}, {'a', -10}}),
            (std::vector<Step>{got(2, true), got(4, false), got(2, true), got(0, false)}));
}

TEST_P(SpecTest, CUR_13_PreviousIsAdvanceMinusOne) {
  insert_values(store_, 4);
  auto a = must(store_.read());
  for (int i = 0; i < 4; ++i) EXPECT_OK(a.next());
  auto b = a.clone();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(step_of(a.previous()), step_of(b.advance(-1))) << "step " << i;
}

TEST_P(SpecTest, CUR_14_MixedStepsFollowThePositionModel) {
  insert_values(store_, 5);
  auto cursor = must(store_.read());
  const std::vector<Move> moves = {{'a', 0}, {'n'}, {'p'},      {'n'}, {'n'}, {'p'}, {'a', 2},
                                   {'n'},    {'a', 10}, {'n'}, {'n'}, {'p'}, {'a', -10}, {'p'}};
  EXPECT_EQ(run(cursor, moves), (std::vector<Step>{got(0, false), got(0, true), got(0, false), got(0, true),
                                                   got(1, true), got(1, true), got(3, true), got(3, true),
                                                   got(4, false), got(4, false), none(), got(4, true),
                                                   got(0, false), got(0, false)}));
}

TEST_P(SpecTest, CUR_15_ResetReturnsToTheStart) {
  insert_values(store_, 3);
  auto cursor = must(store_.read());
  EXPECT_OK(cursor.next());
  EXPECT_OK(cursor.next());
  EXPECT_OK(cursor.reset());
  EXPECT_EQ(step_of(cursor.next()), got(0, true));
  for (int i = 0; i < 3; ++i) EXPECT_OK(cursor.next());
  EXPECT_OK(cursor.reset());
  EXPECT_EQ(step_of(cursor.next()), got(0, true));
}

TEST_P(SpecTest, CUR_16_CloneKeepsPositionMovesIndependentlyOutlivesOriginal) {
  insert_values(store_, 4);
  auto original = must(store_.read());
  EXPECT_OK(original.next());
  auto copy = original.clone();
  EXPECT_EQ(copy.count(), 4u);
  EXPECT_EQ(step_of(copy.next()), got(1, true));
  EXPECT_EQ(step_of(copy.next()), got(2, true));
  EXPECT_EQ(step_of(original.next()), got(1, true));
  original.close();
  EXPECT_EQ(original.count(), 0u);
  EXPECT_EQ(copy.count(), 4u);
  EXPECT_EQ(step_of(copy.next()), got(3, false));
}

TEST_P(SpecTest, CUR_17_CloneOfAClosedCursorIsClosed) {
  insert_values(store_, 2);
  auto cursor = must(store_.read());
  cursor.close();
  auto copy = cursor.clone();
  EXPECT_EQ(copy.count(), 0u);
  EXPECT_EQ(run(copy, {{'n'}, {'p'}, {'a', 1}}), std::vector<Step>(3, fails(StatusCode::kStreamClosed)));
  EXPECT_CODE(copy.reset(), StatusCode::kStreamClosed);
  copy.close();
  copy.close();
}

TEST_P(SpecTest, CUR_18_CountIncludesRemovedZeroAfterClose) {
  const auto ids = insert_values(store_, 3);
  auto cursor = must(store_.read());
  must(store_.remove(ids[0]));
  must(store_.remove(ids[2]));
  EXPECT_EQ(cursor.count(), 3u);
  cursor.close();
  EXPECT_EQ(cursor.count(), 0u);
  cursor.close();
  EXPECT_EQ(cursor.count(), 0u);
}

TEST_P(SpecTest, CUR_19_UpdatedDocumentReadsItsNewData) {
  const auto ids = insert_values(store_, 2);
  auto cursor = must(store_.read());
  must(store_.update(ids[0], Document{{"v", 42}, {"extra", true}}));
  const auto step = must(cursor.next());
  ASSERT_TRUE(step.document.has_value());
  EXPECT_EQ(step.document->data, (Document{{"v", 42}, {"extra", true}}));
  EXPECT_EQ(step.document->version, 2u);
  EXPECT_EQ(step.document->revision, 3u);
}

TEST_P(SpecTest, CUR_20_RemovedDocumentReadsAsDeletedAndPositionMoves) {
  const auto ids = insert_values(store_, 5);
  auto cursor = must(store_.read());
  must(store_.remove(ids[2]));
  const auto deleted = fails(StatusCode::kDocumentDeleted);
  EXPECT_EQ(run(cursor, {{'n'}, {'n'}, {'n'}, {'n'}, {'n'}, {'n'}}),
            (std::vector<Step>{got(0, true), got(1, true), deleted, got(3, true), got(4, false), none()}));
  EXPECT_EQ(run(cursor, {{'p'}, {'p'}, {'p'}, {'p'}, {'a', 1}, {'a', 1}}),
            (std::vector<Step>{got(4, true), got(3, true), deleted, got(1, true), deleted, got(3, true)}));
  const auto message = cursor.advance(-1).status().message();
  EXPECT_TRUE(message.starts_with("document has been deleted")) << message;
}

TEST_P(SpecTest, CUR_21_RemovedPositionStaysDeletedNewDocumentsNeverAppear) {
  const auto ids = insert_values(store_, 3);
  auto cursor = must(store_.read());
  must(store_.remove(ids[1]));
  std::set<std::string> added;
  for (int i = 0; i < 20; ++i) added.insert(must(store_.insert(Document{{"v", 100 + i}})).id);
  EXPECT_EQ(cursor.count(), 3u);
  const auto deleted = fails(StatusCode::kDocumentDeleted);
  EXPECT_EQ(run(cursor, {{'n'}, {'n'}, {'n'}, {'n'}, {'a', -1}, {'a', -1}, {'a', -10}, {'a', 10}}),
            (std::vector<Step>{got(0, true), deleted, got(2, false), none(), got(2, true), deleted, got(0, false),
                               got(2, false)}));
  EXPECT_OK(cursor.reset());
  for (int i = 0; i < 4; ++i) {
    const auto step = cursor.next();
    if (step.is_ok() && step->document) {
      EXPECT_EQ(added.count(step->document->id), 0u);
    }
  }
}

TEST_P(SpecTest, CUR_22_CursorReadsAfterStoreCloseAreStoreClosed) {
  insert_values(store_, 3);
  auto cursor = must(store_.read());
  auto copy = cursor.clone();
  EXPECT_OK(cursor.next());
  store_.close();
  const auto closed = fails(StatusCode::kStoreClosed);
  EXPECT_EQ(run(cursor, {{'n'}, {'p'}, {'a', 1}, {'a', 0}}), std::vector<Step>(4, closed));
  EXPECT_EQ(run(copy, {{'n'}}), std::vector<Step>{closed});

  Cursor orphan = [&] {
    auto doomed = open_store();
    must(doomed.create_index("idx", {"v"}));
    insert_values(doomed, 3);
    return must(doomed.read_index("idx"));
  }();
  EXPECT_EQ(run(orphan, {{'n'}, {'a', 1}, {'p'}}), std::vector<Step>(3, closed));
  orphan.close();
}

TEST_P(SpecTest, CUR_24_CursorDataIsAPrivateCopy) {
  const auto ids = insert_values(store_, 1);
  auto cursor = must(store_.read());
  auto step = must(cursor.next());
  ASSERT_TRUE(step.document.has_value());
  step.document->data["v"] = 99;
  step.document->data["added"] = Array{1};
  EXPECT_EQ(must(store_.get(ids[0])).data, (Document{{"v", 0}}));
  EXPECT_EQ(must(cursor.previous()).document->data, (Document{{"v", 0}}));
}

}  // namespace
}  // namespace snapstore
