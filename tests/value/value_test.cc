// Value: construction, typed access, equality, the total order (every class
// pair and the exact number comparisons), nesting depth; and Status messages.
#include "snapstore/value.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace snapstore {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t kUint64Max = std::numeric_limits<std::uint64_t>::max();
constexpr std::int64_t kTwoTo53 = std::int64_t{1} << 53;
constexpr double kTwoTo63 = 9223372036854775808.0;
constexpr double kTwoTo64 = 18446744073709551616.0;

int sign(int c) { return (c > 0) - (c < 0); }

// Expects compare(a, b) to have the sign of `expected`, and compare(b, a) the opposite.
void expect_order(const Value& a, const Value& b, int expected) {
  EXPECT_EQ(sign(compare(a, b)), expected) << a << " vs " << b;
  EXPECT_EQ(sign(compare(b, a)), -expected) << b << " vs " << a;
}

std::string bad_access_message(const auto& call) {
  try {
    call();
  } catch (const BadAccess& e) {
    return e.what();
  }
  return "<no BadAccess thrown>";
}

TEST(ValueTest, DefaultIsNull) {
  Value v;
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(v.type(), ValueType::kNull);
  EXPECT_TRUE(Value(nullptr).is_null());
}

TEST(ValueTest, ConstructsEveryType) {
  EXPECT_EQ(Value(true).type(), ValueType::kBool);
  EXPECT_EQ(Value(30).type(), ValueType::kInt);
  EXPECT_EQ(Value(std::int8_t{-5}).as_int(), -5);
  EXPECT_EQ(Value(std::uint8_t{200}).as_int(), 200);
  EXPECT_EQ(Value(static_cast<signed char>(-1)).as_int(), -1);
  EXPECT_EQ(Value(std::uint16_t{65535}).as_int(), 65535);
  EXPECT_EQ(Value(1.5).type(), ValueType::kDouble);
  EXPECT_EQ(Value(1.5f).as_double(), 1.5);
  EXPECT_EQ(Value("text").type(), ValueType::kString);
  EXPECT_EQ(Value(std::string("text")).as_string(), "text");
  EXPECT_EQ(Value(std::string_view("view")).as_string(), "view");
  EXPECT_EQ(Value(Binary{1, 2, 3}).as_binary().bytes, (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_EQ(Value(Array{1, "a"}).type(), ValueType::kArray);
  EXPECT_EQ(Value(Object{{"a", 1}}).type(), ValueType::kObject);
}

// Characters and pointers other than const char* would otherwise convert to bool.
static_assert(!std::is_constructible_v<Value, char>);
static_assert(!std::is_constructible_v<Value, char8_t>);
static_assert(!std::is_constructible_v<Value, wchar_t>);
static_assert(!std::is_constructible_v<Value, int*>);
static_assert(std::is_constructible_v<Value, std::int8_t>);
static_assert(std::is_constructible_v<Value, std::uint8_t>);

TEST(ValueTest, UnsignedNormalizesToInt64WhenItFits) {
  EXPECT_TRUE(Value(std::uint64_t{0}).is_int());
  EXPECT_TRUE(Value(static_cast<std::uint64_t>(kInt64Max)).is_int());
  EXPECT_TRUE(Value(static_cast<std::uint64_t>(kInt64Max) + 1).is_uint());
  EXPECT_TRUE(Value(kUint64Max).is_uint());
  EXPECT_EQ(Value(kUint64Max).as_uint(), kUint64Max);
  EXPECT_EQ(Value(std::uint64_t{7}), Value(7));
}

TEST(ValueTest, DocumentFromInitializerList) {
  Document doc{{"name", "Alice"}, {"age", 30}, {"tags", Array{"a", "b"}}};
  ASSERT_EQ(doc.size(), 3u);
  EXPECT_EQ(doc.at("name").as_string(), "Alice");
  EXPECT_EQ(doc.at("age").as_int(), 30);
  EXPECT_EQ(doc.at("tags").as_array(), (Array{"a", "b"}));
  // Fields are kept sorted by name.
  std::vector<std::string> names;
  for (const auto& [name, field] : doc) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"age", "name", "tags"}));

  Value v(doc);
  EXPECT_TRUE(v.is_object());
  EXPECT_EQ(v.at("tags").at(1).as_string(), "b");
}

TEST(ValueTest, TypeNames) {
  EXPECT_EQ(type_name(ValueType::kNull), "null");
  EXPECT_EQ(type_name(ValueType::kBool), "bool");
  EXPECT_EQ(type_name(ValueType::kInt), "int64");
  EXPECT_EQ(type_name(ValueType::kUint), "uint64");
  EXPECT_EQ(type_name(ValueType::kDouble), "double");
  EXPECT_EQ(type_name(ValueType::kString), "string");
  EXPECT_EQ(type_name(ValueType::kBinary), "binary");
  EXPECT_EQ(type_name(ValueType::kArray), "array");
  EXPECT_EQ(type_name(ValueType::kObject), "object");
  EXPECT_EQ(Value(Binary{}).type_name(), "binary");
}

TEST(ValueTest, AccessorsReturnContents) {
  EXPECT_TRUE(Value(true).as_bool());
  EXPECT_EQ(Value(kInt64Min).as_int(), kInt64Min);
  EXPECT_EQ(Value(5).as_uint(), 5u);
  EXPECT_EQ(Value(2.5).as_double(), 2.5);
  EXPECT_EQ(Value(3).to_double(), 3.0);
  EXPECT_EQ(Value(kUint64Max).to_double(), kTwoTo64);
  EXPECT_EQ(Value(-0.5).to_double(), -0.5);

  Value s("abc");
  s.as_string() += "d";
  EXPECT_EQ(s.as_string(), "abcd");
  Value b(Binary{1});
  b.as_binary().bytes.push_back(2);
  EXPECT_EQ(b.as_binary(), (Binary{1, 2}));
  Value a(Array{});
  a.as_array().push_back(1);
  EXPECT_EQ(a.size(), 1u);
  Value o(Object{});
  o.as_object()["k"] = 1;
  EXPECT_EQ(o.at("k"), Value(1));
}

TEST(ValueTest, WrongTypeThrowsBadAccessNamingBothTypes) {
  EXPECT_EQ(bad_access_message([] { (void)Value(5).as_string(); }), "Value::as_string: expected string, got int64");
  EXPECT_EQ(bad_access_message([] { (void)Value("x").as_int(); }), "Value::as_int: expected int64, got string");
  EXPECT_EQ(bad_access_message([] { (void)Value(1.0).as_int(); }), "Value::as_int: expected int64, got double");
  EXPECT_EQ(bad_access_message([] { (void)Value(kUint64Max).as_int(); }), "Value::as_int: expected int64, got uint64");
  EXPECT_EQ(bad_access_message([] { (void)Value().as_bool(); }), "Value::as_bool: expected bool, got null");
  EXPECT_EQ(bad_access_message([] { (void)Value(1).as_double(); }), "Value::as_double: expected double, got int64");
  EXPECT_EQ(bad_access_message([] { (void)Value("1").to_double(); }), "Value::to_double: expected number, got string");
  EXPECT_EQ(bad_access_message([] { (void)Value(Array{}).as_object(); }), "Value::as_object: expected object, got array");
  EXPECT_EQ(bad_access_message([] { (void)Value(Object{}).as_array(); }), "Value::as_array: expected array, got object");
  EXPECT_EQ(bad_access_message([] { (void)Value("x").as_binary(); }), "Value::as_binary: expected binary, got string");
  EXPECT_EQ(bad_access_message([] { (void)Value(-1).as_uint(); }), "Value::as_uint: expected uint64, got negative int64 -1");
  EXPECT_EQ(bad_access_message([] { (void)Value(true).as_uint(); }), "Value::as_uint: expected uint64, got bool");
  Value mutable_value(1);
  EXPECT_THROW(mutable_value.as_string(), BadAccess);
  EXPECT_THROW(mutable_value.as_array(), BadAccess);
  EXPECT_THROW(mutable_value.as_object(), BadAccess);
  EXPECT_THROW(mutable_value.as_binary(), BadAccess);
}

TEST(ValueTest, ObjectFieldAccess) {
  const Value doc(Document{{"a", 1}, {"b", Document{{"c", "deep"}}}});
  ASSERT_NE(doc.find("a"), nullptr);
  EXPECT_EQ(*doc.find("a"), Value(1));
  EXPECT_EQ(doc.find("missing"), nullptr);
  EXPECT_EQ(Value(5).find("a"), nullptr);
  EXPECT_TRUE(doc.contains("b"));
  EXPECT_FALSE(doc.contains("c"));
  EXPECT_EQ(doc.at("b").at("c").as_string(), "deep");
  EXPECT_EQ(bad_access_message([&] { (void)doc.at("missing"); }), "Value::at: no field \"missing\"");
  EXPECT_EQ(bad_access_message([] { (void)Value(5).at("a"); }), "Value::at: expected object, got int64");
}

TEST(ValueTest, SubscriptInsertsLikeStdMap) {
  Value v;
  v["name"] = "Bob";
  EXPECT_TRUE(v.is_object());
  EXPECT_EQ(v.at("name").as_string(), "Bob");
  Value& added = v["added"];
  EXPECT_TRUE(added.is_null());
  EXPECT_EQ(v.size(), 2u);
  v["name"] = "Carol";
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v.at("name").as_string(), "Carol");
  v["nested"]["x"] = 1;
  EXPECT_EQ(v.at("nested").at("x"), Value(1));

  Value number(1);
  EXPECT_EQ(bad_access_message([&] { number["x"]; }), "Value::operator[]: expected object, got int64");
}

TEST(ValueTest, ArrayIndexAccess) {
  const Value a(Array{10, 20});
  EXPECT_EQ(a.at(std::size_t{0}), Value(10));
  EXPECT_EQ(a.at(std::size_t{1}), Value(20));
  EXPECT_EQ(bad_access_message([&] { (void)a.at(std::size_t{2}); }), "Value::at: index 2 out of range (size 2)");
  EXPECT_EQ(bad_access_message([] { (void)Value("s").at(std::size_t{0}); }), "Value::at: expected array, got string");
}

TEST(ValueTest, SizeCountsElementsOrBytes) {
  EXPECT_EQ(Value().size(), 0u);
  EXPECT_EQ(Value(42).size(), 0u);
  EXPECT_EQ(Value(1.5).size(), 0u);
  EXPECT_EQ(Value("hello").size(), 5u);
  EXPECT_EQ(Value(Binary{1, 2, 3}).size(), 3u);
  EXPECT_EQ(Value(Array{1, 2}).size(), 2u);
  EXPECT_EQ(Value(Object{{"a", 1}}).size(), 1u);
}

TEST(ValueTest, EqualityIsDeepAndTyped) {
  EXPECT_EQ(Value(), Value(nullptr));
  EXPECT_NE(Value(5), Value(5.0));
  EXPECT_NE(Value(0), Value(false));
  EXPECT_NE(Value("a"), Value(Binary{'a'}));
  EXPECT_EQ(Value(kNaN), Value(kNaN));
  EXPECT_EQ(Value(-kNaN), Value(kNaN));
  EXPECT_EQ(Value(-0.0), Value(0.0));
  EXPECT_NE(Value(kInf), Value(-kInf));
  EXPECT_EQ(Value(Array{1, Array{2, kNaN}}), Value(Array{1, Array{2, kNaN}}));
  EXPECT_NE(Value(Array{1, 2}), Value(Array{1, 2.0}));
  EXPECT_NE(Value(Array{1}), Value(Array{1, 1}));
  EXPECT_EQ(Value(Document{{"a", Document{{"b", Binary{1}}}}}), Value(Document{{"a", Document{{"b", Binary{1}}}}}));
  EXPECT_NE(Value(Document{{"a", 1}}), Value(Document{{"b", 1}}));
  EXPECT_NE(Value(Document{{"a", 1}}), Value(Document{{"a", 1}, {"b", 1}}));
}

TEST(ValueTest, CopiesAreDeep) {
  Value original(Document{{"list", Array{1, 2}}});
  Value copy = original;
  copy["list"].as_array().push_back(3);
  EXPECT_EQ(original.at("list").size(), 2u);
  EXPECT_EQ(copy.at("list").size(), 3u);
}

// One representative list per class, ascending within the class.
std::vector<std::vector<Value>> values_by_class() {
  return {
      {Value()},
      {Value(false), Value(true)},
      {Value(-kInf), Value(kInt64Min), Value(-1.5), Value(-1), Value(0), Value(0.5), Value(1), Value(kInt64Max),
       Value(kUint64Max), Value(kInf), Value(kNaN)},
      {Value(""), Value("A"), Value("a"), Value("ab"), Value("b"), Value("\x7f"), Value("\x80"), Value("\xff")},
      {Value(Binary{}), Value(Binary{0}), Value(Binary{0, 0}), Value(Binary{1}), Value(Binary{0xff})},
      {Value(Array{}), Value(Array{Value()}), Value(Array{1}), Value(Array{1, 1}), Value(Array{1, "a"}),
       Value(Array{2}), Value(Array{"a"})},
      {Value(Object{}), Value(Object{{"a", 1}}), Value(Object{{"a", 1}, {"b", 0}}), Value(Object{{"a", 2}}),
       Value(Object{{"a", "x"}}), Value(Object{{"b", 0}})},
  };
}

TEST(ValueOrderTest, ClassesInOrderForEveryPair) {
  const auto classes = values_by_class();
  for (std::size_t i = 0; i < classes.size(); ++i) {
    for (std::size_t j = 0; j < classes.size(); ++j) {
      for (const Value& a : classes[i]) {
        for (const Value& b : classes[j]) {
          if (i != j) expect_order(a, b, i < j ? -1 : 1);
        }
      }
    }
  }
}

TEST(ValueOrderTest, AscendingWithinEachClass) {
  for (const auto& values : values_by_class()) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      for (std::size_t j = 0; j < values.size(); ++j) {
        expect_order(values[i], values[j], i < j ? -1 : (i > j ? 1 : 0));
      }
    }
  }
}

TEST(ValueOrderTest, ObjectsCompareSortedFieldsKeyThenValue) {
  expect_order(Value(Object{{"a", 1}}), Value(Object{{"a", 1}, {"b", 1}}), -1);  // shorter first
  expect_order(Value(Object{{"a", 9}}), Value(Object{{"b", 0}}), -1);            // key decides first
  expect_order(Value(Object{{"b", 1}, {"c", 1}}), Value(Object{{"a", 5}, {"z", 5}}), 1);
  expect_order(Value(Object{{"a", 1}}), Value(Object{{"a", 1.0}}), 0);  // numbers by value
  expect_order(Value(Object{{"\x80", 1}}), Value(Object{{"a", 1}}), 1);  // keys bytewise unsigned
}

TEST(ValueOrderTest, ArraysElementWiseShorterFirst) {
  expect_order(Value(Array{1, 2}), Value(Array{1, 2, 0}), -1);
  expect_order(Value(Array{1, 3}), Value(Array{1, 2, 0}), 1);
  expect_order(Value(Array{Value()}), Value(Array{false}), -1);
  expect_order(Value(Array{1}), Value(Array{1.0}), 0);
  expect_order(Value(Array{Array{1}}), Value(Array{Array{1, 2}}), -1);
}

TEST(ValueOrderTest, StringsAndBinaryBytewiseUnsigned) {
  expect_order(Value("\x7f"), Value("\x80"), -1);
  expect_order(Value(std::string("a\0b", 3)), Value("a"), 1);
  expect_order(Value(std::string("a\0", 2)), Value(std::string("a\x01", 2)), -1);
  expect_order(Value(Binary{0x7f}), Value(Binary{0x80}), -1);
  expect_order(Value(Binary{1, 2}), Value(Binary{1, 2, 0}), -1);
  expect_order(Value(Binary{2}), Value(Binary{1, 2, 0}), 1);
}

TEST(ValueOrderTest, IntegersAtTheLimits) {
  expect_order(Value(kInt64Min), Value(kInt64Max), -1);
  expect_order(Value(kInt64Max), Value(static_cast<std::uint64_t>(kInt64Max) + 1), -1);
  expect_order(Value(kInt64Max), Value(kUint64Max), -1);
  expect_order(Value(-1), Value(kUint64Max), -1);
  expect_order(Value(kInt64Min), Value(kUint64Max), -1);
  expect_order(Value(kUint64Max - 1), Value(kUint64Max), -1);
  expect_order(Value(kUint64Max), Value(kUint64Max), 0);
}

TEST(ValueOrderTest, IntegersAndDoublesCompareExactly) {
  // Beyond 2^53 a double cannot hold every integer: converting the integer
  // to double would call these equal.
  expect_order(Value(kTwoTo53), Value(static_cast<double>(kTwoTo53)), 0);
  expect_order(Value(kTwoTo53 + 1), Value(static_cast<double>(kTwoTo53)), 1);
  expect_order(Value(kTwoTo53 + 1), Value(static_cast<double>(kTwoTo53 + 1)), 1);  // the double is 2^53
  expect_order(Value(kTwoTo53 + 1), Value(static_cast<double>(kTwoTo53 + 2)), -1);
  expect_order(Value(-kTwoTo53 - 1), Value(-static_cast<double>(kTwoTo53)), -1);
  expect_order(Value(-kTwoTo53 - 1), Value(-static_cast<double>(kTwoTo53 + 2)), 1);

  // INT64_MAX converts to 2^63, which is greater; INT64_MIN is exactly -2^63.
  expect_order(Value(kInt64Max), Value(static_cast<double>(kInt64Max)), -1);
  expect_order(Value(kInt64Max), Value(kTwoTo63), -1);
  expect_order(Value(kInt64Max), Value(std::nextafter(kTwoTo63, 0.0)), 1);
  expect_order(Value(kInt64Min), Value(-kTwoTo63), 0);
  expect_order(Value(kInt64Min), Value(std::nextafter(-kTwoTo63, -kInf)), 1);
  expect_order(Value(kInt64Min), Value(std::nextafter(-kTwoTo63, 0.0)), -1);
  expect_order(Value(kInt64Min + 1), Value(-kTwoTo63), 1);

  // uint64 against doubles.
  expect_order(Value(static_cast<std::uint64_t>(kTwoTo63)), Value(kTwoTo63), 0);
  expect_order(Value(static_cast<std::uint64_t>(kTwoTo63) + 1), Value(kTwoTo63), 1);
  expect_order(Value(kUint64Max), Value(static_cast<double>(kUint64Max)), -1);  // that double is 2^64
  expect_order(Value(kUint64Max), Value(kTwoTo64), -1);
  expect_order(Value(kUint64Max), Value(std::nextafter(kTwoTo64, 0.0)), 1);
  expect_order(Value(kUint64Max), Value(-1.0), 1);

  // Fractions between neighbouring integers, on both sides of zero.
  expect_order(Value(2), Value(2.5), -1);
  expect_order(Value(3), Value(2.5), 1);
  expect_order(Value(-2), Value(-2.5), 1);
  expect_order(Value(-3), Value(-2.5), -1);
  expect_order(Value(0), Value(-0.5), 1);
  expect_order(Value(0), Value(0.5), -1);
  expect_order(Value(0), Value(std::numeric_limits<double>::denorm_min()), -1);
  expect_order(Value(0), Value(-std::numeric_limits<double>::denorm_min()), 1);
  expect_order(Value(5), Value(5.0), 0);
}

TEST(ValueOrderTest, ZerosInfinitiesAndNaN) {
  expect_order(Value(-0.0), Value(0.0), 0);
  expect_order(Value(-0.0), Value(0), 0);
  expect_order(Value(0.0), Value(0), 0);
  expect_order(Value(kInf), Value(kUint64Max), 1);
  expect_order(Value(kInf), Value(std::numeric_limits<double>::max()), 1);
  expect_order(Value(-kInf), Value(kInt64Min), -1);
  expect_order(Value(-kInf), Value(std::numeric_limits<double>::lowest()), -1);
  expect_order(Value(kInf), Value(kInf), 0);
  expect_order(Value(kNaN), Value(kInf), 1);
  expect_order(Value(kNaN), Value(kUint64Max), 1);
  expect_order(Value(kNaN), Value(kInt64Max), 1);
  expect_order(Value(kNaN), Value(-kNaN), 0);
  expect_order(Value(kNaN), Value(""), -1);  // still a number
  expect_order(Value(true), Value(-kInf), -1);
}

// Sorting a shuffled mix of numbers with compare() must give one consistent
// order; checks transitivity across the three representations.
TEST(ValueOrderTest, MixedNumbersSortConsistently) {
  std::vector<Value> numbers;
  for (std::int64_t i : {kInt64Min, kInt64Min + 1, -kTwoTo53 - 1, -kTwoTo53, std::int64_t{-1}, std::int64_t{0},
                         std::int64_t{1}, kTwoTo53, kTwoTo53 + 1, kInt64Max}) {
    numbers.emplace_back(i);
    numbers.emplace_back(static_cast<double>(i));
  }
  for (std::uint64_t u : {static_cast<std::uint64_t>(kInt64Max) + 1, kUint64Max - 1, kUint64Max}) {
    numbers.emplace_back(u);
    numbers.emplace_back(static_cast<double>(u));
  }
  for (double d : {-kInf, kInf, kNaN, -0.0, 0.5, -0.5, 1e300, -1e300, kTwoTo64}) numbers.emplace_back(d);

  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::shuffle(numbers.begin(), numbers.end(), rng);
  std::sort(numbers.begin(), numbers.end(), [](const Value& a, const Value& b) { return compare(a, b) < 0; });
  for (std::size_t i = 0; i + 1 < numbers.size(); ++i) {
    EXPECT_LE(compare(numbers[i], numbers[i + 1]), 0) << numbers[i] << " before " << numbers[i + 1];
  }
  for (const Value& a : numbers) {
    for (const Value& b : numbers) {
      for (const Value& c : numbers) {
        if (compare(a, b) <= 0 && compare(b, c) <= 0) {
          ASSERT_LE(compare(a, c), 0) << a << " <= " << b << " <= " << c;
        }
      }
    }
  }
  EXPECT_TRUE(numbers.front().is_double());
  EXPECT_EQ(numbers.front().as_double(), -kInf);
  EXPECT_TRUE(std::isnan(numbers.back().as_double()));
}

TEST(ValueTest, NestingDepth) {
  EXPECT_EQ(nesting_depth(Value(1)), 0u);
  EXPECT_EQ(nesting_depth(Value("s")), 0u);
  EXPECT_EQ(nesting_depth(Value(Array{})), 1u);
  EXPECT_EQ(nesting_depth(Value(Object{})), 1u);
  EXPECT_EQ(nesting_depth(Value(Object{{"a", Array{1, Array{Object{}}}}, {"b", 1}})), 4u);
  Value deep = 1;
  for (int i = 0; i < 50; ++i) deep = Value(Array{deep});
  EXPECT_EQ(nesting_depth(deep), 50u);
}

TEST(ValueTest, StreamsAsJson) {
  std::ostringstream out;
  out << Value(Document{{"a", Array{1, "x", nullptr}}});
  EXPECT_EQ(out.str(), R"({"a":[1,"x",null]})");
}

TEST(StatusTest, GoStoreMessages) {
  EXPECT_EQ(status_code_message(StatusCode::kDocumentNotFound), "document not found");
  EXPECT_EQ(status_code_message(StatusCode::kDocumentDeleted), "document has been deleted");
  EXPECT_EQ(status_code_message(StatusCode::kIndexExists), "index already exists");
  EXPECT_EQ(status_code_message(StatusCode::kEmptyIndex), "cannot create empty index");
  EXPECT_EQ(status_code_message(StatusCode::kIndexNotFound), "index does not exist");
  EXPECT_EQ(status_code_message(StatusCode::kStreamClosed), "stream closed");
  EXPECT_EQ(status_code_message(StatusCode::kStoreClosed), "store closed");
  EXPECT_EQ(status_code_message(StatusCode::kInvalidDocument), "invalid document");
  EXPECT_EQ(status_code_message(StatusCode::kCorruption), "corruption");
  EXPECT_EQ(status_code_message(StatusCode::kIOError), "I/O error");
  EXPECT_EQ(status_code_message(StatusCode::kBusy), "busy");
  EXPECT_EQ(status_code_message(StatusCode::kInvalidArgument), "invalid argument");
  EXPECT_EQ(status_code_message(StatusCode::kOk), "ok");
}

TEST(StatusTest, MessageAppendsDetail) {
  EXPECT_EQ(Status::ok().message(), "ok");
  EXPECT_EQ(Status::document_not_found().message(), "document not found");
  EXPECT_EQ(Status::document_not_found("id \"x\"").message(), "document not found: id \"x\"");
  EXPECT_EQ(Status::corruption("wal/1.log offset 42").message(), "corruption: wal/1.log offset 42");
  EXPECT_EQ(Status::document_not_found("a"), Status::document_not_found("b"));  // same error, other detail
  EXPECT_EQ(Status::busy(), StatusCode::kBusy);
}

TEST(StatusTest, ResultValueOnErrorThrowsWithMessage) {
  Result<int> r = Status::index_not_found("name");
  EXPECT_FALSE(r.is_ok());
  EXPECT_EQ(bad_access_message([&] { (void)r.value(); }), "Result holds an error: index does not exist: name");
}

}  // namespace
}  // namespace snapstore
