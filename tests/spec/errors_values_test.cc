// go-store conformance, SPEC §1-3: the eight errors, their precedence, the
// value model and key order (as snapstore resolves VAL-06/09/10), and store
// creation. Also instantiates the SpecTest suite over every store kind.
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::must;
using SpecTest = testutil::StoreTest;

int sign(int c) { return (c > 0) - (c < 0); }

// The sentinel table of ERR-01.
const std::vector<std::pair<StatusCode, std::string>>& go_store_errors() {
  static const std::vector<std::pair<StatusCode, std::string>> errors = {
      {StatusCode::kDocumentNotFound, "document not found"},
      {StatusCode::kDocumentDeleted, "document has been deleted"},
      {StatusCode::kIndexExists, "index already exists"},
      {StatusCode::kEmptyIndex, "cannot create empty index"},
      {StatusCode::kIndexNotFound, "index does not exist"},
      {StatusCode::kStreamClosed, "stream closed"},
      {StatusCode::kStoreClosed, "store closed"},
      {StatusCode::kInvalidDocument, "invalid document"},
  };
  return errors;
}

std::string go_message(StatusCode code) {
  for (const auto& [c, text] : go_store_errors()) {
    if (c == code) return text;
  }
  return "?";
}

void expect_go_error(const Status& status, StatusCode code, const std::string& what) {
  EXPECT_EQ(status.code(), code) << what << ": " << testutil::describe(status);
  EXPECT_TRUE(status.message().starts_with(go_message(code)))
      << what << ": message \"" << status.message() << "\" does not start with \"" << go_message(code) << "\"";
}

TEST_P(SpecTest, ERR_01_EightDistinctSentinelsWithGoStoreMessages) {
  std::set<int> codes;
  for (const auto& [code, text] : go_store_errors()) {
    codes.insert(static_cast<int>(code));
    EXPECT_NE(code, StatusCode::kOk);
    EXPECT_EQ(status_code_message(code), text);
    const Status status(code, "some detail");
    EXPECT_TRUE(status.message().starts_with(text)) << status.message();
    EXPECT_EQ(status, code);
    EXPECT_FALSE(status.is_ok());
  }
  EXPECT_EQ(codes.size(), 8u);
}

TEST_P(SpecTest, ERR_01_OperationsReportGoStoreMessages) {
  const auto id = must(store_.insert(Document{{"v", 1}})).id;
  must(store_.create_index("by_v", {"v"}));
  auto cursor = must(store_.read());
  must(store_.remove(id));

  expect_go_error(store_.get(id).status(), StatusCode::kDocumentNotFound, "get(removed)");
  expect_go_error(cursor.next().status(), StatusCode::kDocumentDeleted, "cursor.next() on a removed document");
  expect_go_error(store_.create_index("by_v", {"w"}), StatusCode::kIndexExists, "create_index(existing)");
  expect_go_error(store_.create_index("other", {}), StatusCode::kEmptyIndex, "create_index(no fields)");
  expect_go_error(store_.lookup("nope", {1}).status(), StatusCode::kIndexNotFound, "lookup(unknown index)");
  expect_go_error(store_.insert(Value()).status(), StatusCode::kInvalidDocument, "insert(null)");
  auto stream = store_.stream();
  testutil::drain(stream);
  expect_go_error(stream.next().status(), StatusCode::kStreamClosed, "stream.next() when exhausted");
  store_.close();
  expect_go_error(store_.get(id).status(), StatusCode::kStoreClosed, "get() on a closed store");
}

TEST_P(SpecTest, ERR_02_FailingCallsCarryNoValue) {
  const auto id = must(store_.insert(Document{{"v", 1}})).id;
  must(store_.remove(id));

  auto expect_empty = [](const auto& result, const char* what) {
    EXPECT_FALSE(result.is_ok()) << what;
    EXPECT_THROW((void)result.value(), BadAccess) << what;
  };
  expect_empty(store_.insert(Value()), "insert(null)");
  expect_empty(store_.get(id), "get(removed)");
  expect_empty(store_.update(id, Document{{"v", 2}}), "update(removed)");
  expect_empty(store_.remove(id), "remove(removed)");
  expect_empty(store_.lookup("nope", {1}), "lookup(unknown)");
  expect_empty(store_.lookup_range("nope", {}, {}), "lookup_range(unknown)");
  expect_empty(store_.read_index("nope"), "read_index(unknown)");

  auto closed_cursor = must(store_.read());
  closed_cursor.close();
  expect_empty(closed_cursor.next(), "next() on a closed cursor");
  expect_empty(closed_cursor.previous(), "previous() on a closed cursor");
  expect_empty(closed_cursor.advance(1), "advance() on a closed cursor");
  Stream closed_stream;
  expect_empty(closed_stream.next(), "next() on a closed stream");

  // A successful miss is an empty result, not an error.
  must(store_.create_index("by_v", {"v"}));
  auto miss = store_.lookup("by_v", {42});
  ASSERT_OK(miss);
  EXPECT_TRUE(miss->empty());

  store_.close();
  expect_empty(store_.read(), "read() on a closed store");
  expect_empty(store_.clone(), "clone() on a closed store");
  expect_empty(store_.clone([](DocumentResult&) { return true; }), "clone(filter) on a closed store");
}

TEST_P(SpecTest, ERR_04_ClosedThenArgumentsThenExistence) {
  must(store_.create_index("existing", {"a"}));
  // Open store: argument errors come before existence errors.
  EXPECT_CODE(store_.update("missing", Value()), StatusCode::kInvalidDocument);
  EXPECT_CODE(store_.create_index("existing", {}), StatusCode::kEmptyIndex);
  // Closed store: StoreClosed before everything.
  store_.close();
  EXPECT_CODE(store_.insert(Value()), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.update("missing", Value()), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.create_index("existing", {}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.create_index("existing", {"a"}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.drop_index("unknown"), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.lookup("unknown", {1}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.lookup_range("unknown", {}, {}), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.read_index("unknown"), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.get("missing"), StatusCode::kStoreClosed);
  EXPECT_CODE(store_.remove("missing"), StatusCode::kStoreClosed);
}

TEST_P(SpecTest, ERR_05_LookupsNeverReportDocumentNotFound) {
  must(store_.create_index("by_v", {"v"}));
  const auto id = must(store_.insert(Document{{"v", 1}})).id;
  must(store_.remove(id));
  auto exact = store_.lookup("by_v", {1});
  ASSERT_OK(exact);
  EXPECT_TRUE(exact->empty());
  auto range = store_.lookup_range("by_v", {0}, {10});
  ASSERT_OK(range);
  EXPECT_TRUE(range->empty());
}

TEST_P(SpecTest, ERR_06_UpdateAndRemoveOfRemovedReportNotFoundNotDeleted) {
  const auto id = must(store_.insert(Document{{"v", 1}})).id;
  must(store_.remove(id));
  EXPECT_CODE(store_.update(id, Document{{"v", 2}}), StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.remove(id), StatusCode::kDocumentNotFound);
  EXPECT_CODE(store_.get(id), StatusCode::kDocumentNotFound);
}

TEST_P(SpecTest, VAL_01_EveryValueKindRoundTrips) {
  const Document doc{
      {"null", nullptr},
      {"bool", true},
      {"int", 42},
      {"negative", -7},
      {"int32", std::int32_t{5}},
      {"big", std::int64_t{1} << 60},
      {"uint", std::numeric_limits<std::uint64_t>::max()},
      {"double", 2.5},
      {"float32", 1.5f},
      {"string", "h\xc3\xa9llo"},
      {"binary", Binary{0, 1, 255}},
      {"array", Array{1, "two", Array{3.0}, Document{{"x", nullptr}}}},
      {"object", Document{{"nested", Document{{"deep", Array{}}}}}},
      {"", "empty field name"},
  };
  const auto id = must(store_.insert(doc)).id;
  const auto got = must(store_.get(id));
  EXPECT_EQ(got.data, doc);
  EXPECT_TRUE(got.data.at("int32").is_int());
  EXPECT_TRUE(got.data.at("float32").is_double());
  EXPECT_TRUE(got.data.at("int").is_int());
  EXPECT_TRUE(got.data.at("double").is_double());
  EXPECT_TRUE(got.data.at("uint").is_uint());
  EXPECT_TRUE(got.data.at("binary").is_binary());
  EXPECT_TRUE(got.data.at("null").is_null());
  EXPECT_EQ(got.data.count(""), 1u);
}

TEST_P(SpecTest, VAL_02_IdAndVersionFieldsAreOrdinaryData) {
  const Document doc{{"id", "fake-id"}, {"ID", 1}, {"_id", "x"}, {"version", 99}, {"revision", 7}};
  const auto written = must(store_.insert(doc));
  EXPECT_NE(written.id, "fake-id");
  EXPECT_EQ(written.version, 1u);
  auto got = must(store_.get(written.id));
  EXPECT_EQ(got.data, doc);
  EXPECT_EQ(got.version, 1u);
  EXPECT_EQ(got.data.count("id"), 1u);

  const Document replacement{{"version", 1000}};
  must(store_.update(written.id, replacement));
  got = must(store_.get(written.id));
  EXPECT_EQ(got.data, replacement);
  EXPECT_EQ(got.version, 2u);
  EXPECT_EQ(got.id, written.id);
}

TEST_P(SpecTest, VAL_03_NullEqualsNullAndSortsFirst) {
  EXPECT_EQ(compare(Value(), Value()), 0);
  EXPECT_EQ(compare(Value(nullptr), Value()), 0);
  const std::vector<Value> non_null = {false, true, -1, 0, 0.0, -1e300, "", "a", Binary{}, Array{}, Document{}};
  for (const auto& v : non_null) {
    EXPECT_LT(compare(Value(), v), 0) << v;
    EXPECT_GT(compare(v, Value()), 0) << v;
  }
}

TEST_P(SpecTest, VAL_04_NumbersCompareNumericallyAcrossTypes) {
  const std::vector<Value> fives = {5, 5.0, std::int64_t{5}, std::int32_t{5}, 5.0f, std::uint64_t{5}};
  for (const auto& a : fives) {
    for (const auto& b : fives) EXPECT_EQ(compare(a, b), 0) << a << " vs " << b;
  }
  EXPECT_LT(compare(1, 2.5), 0);
  EXPECT_LT(compare(2.5, std::int64_t{3}), 0);
  EXPECT_GT(compare(std::int64_t{3}, 2.5), 0);
  EXPECT_LT(compare(-0.5, 0), 0);

  must(store_.create_index("by_n", {"n"}));
  std::set<std::string> fives_ids;
  for (const auto& v : fives) fives_ids.insert(must(store_.insert(Document{{"n", v}})).id);
  must(store_.insert(Document{{"n", 6}}));
  for (const auto& key : fives) {
    EXPECT_EQ(testutil::id_set(must(store_.lookup("by_n", {key}))), fives_ids) << key;
  }
  store_ = open_store();
  must(store_.create_index("by_n", {"n"}));
  for (const Value& v : {Value(std::int64_t{3}), Value(1), Value(2.5)}) must(store_.insert(Document{{"n", v}}));
  EXPECT_EQ(testutil::field_of(must(store_.lookup_range("by_n", {}, {})), "n"),
            (std::vector<Value>{1, 2.5, std::int64_t{3}}));
}

TEST_P(SpecTest, VAL_05_StringsBytewiseAndFalseBeforeTrue) {
  EXPECT_LT(compare("B", "a"), 0);
  EXPECT_LT(compare("a", "ab"), 0);
  EXPECT_LT(compare("", "a"), 0);
  EXPECT_LT(compare("z", "\xc3\xa9"), 0);
  EXPECT_EQ(compare("abc", "abc"), 0);
  EXPECT_LT(compare(false, true), 0);
  EXPECT_EQ(compare(true, true), 0);

  must(store_.create_index("by_s", {"s"}));
  for (const char* s : {"b", "\xc3\xa9", "B", "a", "ab", ""}) must(store_.insert(Document{{"s", s}}));
  EXPECT_EQ(testutil::field_of(must(store_.lookup_range("by_s", {}, {})), "s"),
            (std::vector<Value>{"", "B", "a", "ab", "b", "\xc3\xa9"}));
  must(store_.create_index("by_b", {"b"}));
  must(store_.insert(Document{{"b", true}}));
  must(store_.insert(Document{{"b", false}}));
  EXPECT_EQ(testutil::field_of(must(store_.lookup_range("by_b", {}, {})), "b"), (std::vector<Value>{false, true}));
}

TEST_P(SpecTest, VAL_06_ClassOrderNullBoolNumberStringBinaryArrayObject) {
  // snapstore's order (README table): null < bool < number < string < binary < array < object.
  const std::vector<Value> ascending = {
      Value(),     false,      true,          -1e300,          -1,           0.5,
      std::numeric_limits<std::uint64_t>::max(), std::numeric_limits<double>::infinity(), "",
      "zzz",       Binary{},   Array{},       Array{1},        Array{"a"},
      Document{},  Document{{"a", 1}}};
  for (std::size_t i = 0; i < ascending.size(); ++i) {
    for (std::size_t j = 0; j < ascending.size(); ++j) {
      const int expected = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(sign(compare(ascending[i], ascending[j])), expected) << ascending[i] << " vs " << ascending[j];
    }
  }
}

TEST_P(SpecTest, VAL_07_ContainersCompareStructurally) {
  EXPECT_EQ(compare(Array{"a", "b"}, Array{"a", "b"}), 0);
  EXPECT_EQ(compare(Document{{"k", 1}}, Document{{"k", 1}}), 0);
  EXPECT_LT(compare(Array{"a", "b"}, Array{"z"}), 0);
  EXPECT_NE(compare(Array{"x", 1}, Array{"x", "1"}), 0);
  EXPECT_LT(compare(Array{"x", 1}, Array{"x", "1"}), 0);  // element-wise: number < string
  EXPECT_LT(compare(Array{"a"}, Array{"a", "b"}), 0);     // shorter first
  EXPECT_EQ(compare(Array{5}, Array{5.0}), 0);            // elements compare with compare()
  EXPECT_LT(compare(Document{{"a", 1}}, Document{{"a", 2}}), 0);
  EXPECT_LT(compare(Document{{"a", 5}}, Document{{"b", 0}}), 0);
  EXPECT_LT(compare(Document{{"a", 1}}, Document{{"a", 1}, {"b", 1}}), 0);

  must(store_.create_index("by_tags", {"tags"}));
  const auto id = must(store_.insert(Document{{"tags", Array{"a", "b"}}})).id;
  must(store_.insert(Document{{"tags", Array{"a", "c"}}}));
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_tags", {Value(Array{"a", "b"})}))), std::vector<std::string>{id});
  EXPECT_TRUE(must(store_.lookup("by_tags", {Value(Array{"a", "d"})})).empty());
}

TEST_P(SpecTest, VAL_09_IntegersCompareExactlyBeyond2To53) {
  const std::int64_t two53 = std::int64_t{1} << 53;
  EXPECT_LT(compare(two53, two53 + 1), 0);
  EXPECT_LT(compare(static_cast<double>(two53), two53 + 1), 0);
  EXPECT_GT(compare(two53 + 1, static_cast<double>(two53)), 0);
  EXPECT_LT(compare(std::numeric_limits<std::int64_t>::max(), 9223372036854775808.0), 0);
  EXPECT_LT(compare(std::numeric_limits<std::uint64_t>::max(), 18446744073709551616.0), 0);
  EXPECT_LT(compare(std::numeric_limits<std::int64_t>::max(), std::uint64_t{1} << 63), 0);

  must(store_.create_index("by_n", {"n"}));
  const auto a = must(store_.insert(Document{{"n", two53}})).id;
  const auto b = must(store_.insert(Document{{"n", two53 + 1}})).id;
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_n", {two53}))), std::vector<std::string>{a});
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_n", {two53 + 1}))), std::vector<std::string>{b});
}

TEST_P(SpecTest, VAL_10_NaNSortsAfterEveryNumberAndEqualsItself) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(compare(nan, nan), 0);
  EXPECT_GT(compare(nan, inf), 0);
  EXPECT_GT(compare(nan, 1), 0);
  EXPECT_GT(compare(nan, std::numeric_limits<std::uint64_t>::max()), 0);
  EXPECT_LT(compare(-inf, nan), 0);
  EXPECT_LT(compare(nan, ""), 0);
  EXPECT_GT(compare(nan, true), 0);

  must(store_.create_index("by_n", {"n"}));
  const auto nan_id = must(store_.insert(Document{{"n", nan}})).id;
  must(store_.insert(Document{{"n", inf}}));
  must(store_.insert(Document{{"n", "text"}}));
  must(store_.insert(Document{{"n", 1}}));
  EXPECT_EQ(testutil::ids_of(must(store_.lookup("by_n", {nan}))), std::vector<std::string>{nan_id});
  const auto all = must(store_.lookup_range("by_n", {}, {}));
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[2].id, nan_id);
  EXPECT_TRUE(std::isnan(all[2].data.at("n").as_double()));
}

TEST_P(SpecTest, VAL_11_CompositeKeysElementWisePrefixFirst) {
  for (const Value& x : {Value(), Value(false), Value(-std::numeric_limits<double>::infinity()), Value(""),
                         Value(Array{})}) {
    EXPECT_LT(compare(Array{"A"}, Array{"A", x}), 0) << x;
  }
  must(store_.create_index("by_cn", {"c", "n"}));
  for (const auto& [c, n] : std::vector<std::pair<const char*, int>>{{"B", 0}, {"A", 10}, {"A", 2}, {"A", 1}}) {
    must(store_.insert(Document{{"c", c}, {"n", n}}));
  }
  const auto all = must(store_.lookup_range("by_cn", {}, {}));
  EXPECT_EQ(testutil::field_of(all, "c"), (std::vector<Value>{"A", "A", "A", "B"}));
  EXPECT_EQ(testutil::field_of(all, "n"), (std::vector<Value>{1, 2, 10, 0}));
  // ["A"] lies below every ["A", x]: as a lower bound it keeps all of them.
  EXPECT_EQ(testutil::field_of(must(store_.lookup_range("by_cn", {"A"}, {"A", 2})), "n"), (std::vector<Value>{1, 2}));
}

TEST_P(SpecTest, NEW_01_NewStoreIsOpenAndEmpty) {
  EXPECT_FALSE(store_.is_closed());
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(store_.revision(), 0u);
  EXPECT_TRUE(store_.indexes().empty());
  auto stream = store_.stream();
  EXPECT_CODE(stream.next(), StatusCode::kStreamClosed);
  EXPECT_EQ(must(store_.read()).count(), 0u);
  EXPECT_CODE(store_.lookup("any", {1}), StatusCode::kIndexNotFound);
  EXPECT_CODE(store_.lookup_range("any", {}, {}), StatusCode::kIndexNotFound);
  EXPECT_CODE(store_.read_index("any"), StatusCode::kIndexNotFound);
  const auto first = must(store_.insert(Document{{"a", 1}}));
  EXPECT_EQ(first.revision, 1u);
  EXPECT_EQ(first.version, 1u);
  EXPECT_EQ(store_.revision(), 1u);

  auto other = open_store();
  must(other.create_index("idx", {"a"}));
  EXPECT_EQ(other.revision(), 1u);
}

TEST_P(SpecTest, NEW_02_StoresAreIndependent) {
  auto other = open_store();
  const auto id = must(store_.insert(Document{{"a", 1}})).id;
  must(store_.create_index("by_a", {"a"}));
  EXPECT_CODE(other.get(id), StatusCode::kDocumentNotFound);
  EXPECT_CODE(other.lookup("by_a", {1}), StatusCode::kIndexNotFound);
  EXPECT_EQ(other.revision(), 0u);
  EXPECT_EQ(other.size(), 0u);
  EXPECT_EQ(must(other.insert(Document{{"b", 2}})).revision, 1u);
  store_.close();
  EXPECT_FALSE(other.is_closed());
  EXPECT_OK(other.get(must(other.insert(Document{{"c", 3}})).id));
  EXPECT_EQ(other.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Kinds, SpecTest, testing::ValuesIn(testutil::all_store_kinds()), testutil::store_kind_name);

}  // namespace
}  // namespace snapstore
