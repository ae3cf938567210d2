// JSON text: exact output, round trips of every type including the "$"
// conventions and the {"$object": ...} wrapping, lossless integers, doubles
// that stay doubles, error offsets, and depth limits on hostile input.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "snapstore/value.h"

namespace snapstore {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::uint64_t test_seed() {
  std::uint64_t seed = 0;
  if (const char* env = std::getenv("SNAPSTORE_TEST_SEED")) {
    seed = std::strtoull(env, nullptr, 10);
  } else {
    seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
           static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  std::cout << "[   SEED   ] seed=" << seed << " (replay with SNAPSTORE_TEST_SEED=" << seed << ")" << std::endl;
  testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

Value parse(std::string_view text) {
  Result<Value> r = from_json(text);
  EXPECT_TRUE(r.is_ok()) << r.status().message() << " for " << text;
  return r.is_ok() ? *r : Value("<parse error>");
}

std::string parse_error(std::string_view text, std::size_t max_depth = 100) {
  Result<Value> r = from_json(text, max_depth);
  if (r.is_ok()) return "<parsed " + to_json(*r) + ">";
  EXPECT_EQ(r.code(), StatusCode::kInvalidArgument);
  return r.status().detail();
}

// to_json then from_json, compact and pretty, gives back an equal Value of the same type.
void expect_round_trip(const Value& v) {
  for (int indent : {-1, 0, 2}) {
    const std::string text = to_json(v, indent);
    Result<Value> back = from_json(text);
    ASSERT_TRUE(back.is_ok()) << back.status().message() << " for " << text;
    EXPECT_EQ(back->type(), v.type()) << text;
    EXPECT_EQ(*back, v) << text;
  }
}

TEST(JsonCodecTest, WritesScalars) {
  EXPECT_EQ(to_json(Value()), "null");
  EXPECT_EQ(to_json(Value(true)), "true");
  EXPECT_EQ(to_json(Value(false)), "false");
  EXPECT_EQ(to_json(Value(0)), "0");
  EXPECT_EQ(to_json(Value(-42)), "-42");
  EXPECT_EQ(to_json(Value(std::numeric_limits<std::int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(to_json(Value(std::numeric_limits<std::uint64_t>::max())), "18446744073709551615");
  EXPECT_EQ(to_json(Value(1.0)), "1.0");
  EXPECT_EQ(to_json(Value(-0.0)), "-0.0");
  EXPECT_EQ(to_json(Value(0.1)), "0.1");
  EXPECT_EQ(to_json(Value(-2.5)), "-2.5");
  EXPECT_EQ(to_json(Value(1e20)), "1e+20");
  EXPECT_EQ(to_json(Value(1e-7)), "1e-07");
  EXPECT_EQ(to_json(Value(9007199254740993.0)), "9007199254740992.0");
  EXPECT_EQ(to_json(Value(kNaN)), R"({"$double":"NaN"})");
  EXPECT_EQ(to_json(Value(kInf)), R"({"$double":"Infinity"})");
  EXPECT_EQ(to_json(Value(-kInf)), R"({"$double":"-Infinity"})");
}

TEST(JsonCodecTest, WritesStringsEscaped) {
  EXPECT_EQ(to_json(Value("plain")), R"("plain")");
  EXPECT_EQ(to_json(Value("q\"b\\s/")), R"("q\"b\\s/")");
  EXPECT_EQ(to_json(Value("\b\f\n\r\t")), R"("\b\f\n\r\t")");
  EXPECT_EQ(to_json(Value(std::string("\x01\x1f\0", 3))), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(to_json(Value("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")), "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(to_json(Value("\x7f")), "\"\x7f\"");
}

TEST(JsonCodecTest, WritesWhatJsonCannotCarryAsSpecialObjects) {
  EXPECT_EQ(to_json(Value(Binary{})), R"({"$binary":""})");
  EXPECT_EQ(to_json(Value(Binary{0, 1, 0xff})), R"({"$binary":"AAH/"})");
  EXPECT_EQ(to_json(Value(Binary{'a'})), R"({"$binary":"YQ=="})");
  EXPECT_EQ(to_json(Value(Binary{'a', 'b'})), R"({"$binary":"YWI="})");
  EXPECT_EQ(to_json(Value("\xff")), R"({"$string":"/w=="})");
  EXPECT_EQ(to_json(Value("\xc0\x80")), R"({"$string":"wIA="})");          // overlong NUL
  EXPECT_EQ(to_json(Value("\xed\xa0\x80")), R"({"$string":"7aCA"})");      // surrogate
  EXPECT_EQ(to_json(Value("\xf4\x90\x80\x80")), R"({"$string":"9JCAgA=="})");  // above U+10FFFF
  EXPECT_EQ(to_json(Value("ab\xe2\x82")), R"({"$string":"YWLigg=="})");    // cut sequence
}

TEST(JsonCodecTest, WrapsObjectsThatLookSpecial) {
  EXPECT_EQ(to_json(Value(Document{{"$binary", "x"}})), R"({"$object":{"$binary":"x"}})");
  EXPECT_EQ(to_json(Value(Document{{"$double", 1}})), R"({"$object":{"$double":1}})");
  EXPECT_EQ(to_json(Value(Document{{"$string", Array{}}})), R"({"$object":{"$string":[]}})");
  EXPECT_EQ(to_json(Value(Document{{"$object", Document{}}})), R"({"$object":{"$object":{}}})");
  // Two fields, or another name: ordinary objects.
  EXPECT_EQ(to_json(Value(Document{{"$binary", "x"}, {"y", 1}})), R"({"$binary":"x","y":1})");
  EXPECT_EQ(to_json(Value(Document{{"$other", "x"}})), R"({"$other":"x"})");
}

TEST(JsonCodecTest, WritesContainers) {
  EXPECT_EQ(to_json(Value(Array{})), "[]");
  EXPECT_EQ(to_json(Value(Object{})), "{}");
  const Value doc(Document{{"name", "Alice"}, {"age", 30}, {"tags", Array{"a", "b"}}, {"empty", Object{}}});
  EXPECT_EQ(to_json(doc), R"({"age":30,"empty":{},"name":"Alice","tags":["a","b"]})");
  EXPECT_EQ(to_json(doc, 2),
            "{\n"
            "  \"age\": 30,\n"
            "  \"empty\": {},\n"
            "  \"name\": \"Alice\",\n"
            "  \"tags\": [\n"
            "    \"a\",\n"
            "    \"b\"\n"
            "  ]\n"
            "}");
  EXPECT_EQ(to_json(Value(Array{Binary{1}}), 1), "[\n {\n  \"$binary\": \"AQ==\"\n }\n]");
  EXPECT_EQ(to_json(Value(Array{1, 2}), 0), "[\n1,\n2\n]");
}

TEST(JsonCodecTest, ParsesScalars) {
  EXPECT_EQ(parse("null"), Value());
  EXPECT_EQ(parse(" true "), Value(true));
  EXPECT_EQ(parse("false"), Value(false));
  EXPECT_EQ(parse("\"x\""), Value("x"));
  EXPECT_EQ(parse(R"("\u00e9\ud83d\ude00\n")"), Value("\xc3\xa9\xf0\x9f\x98\x80\n"));
  EXPECT_EQ(parse(R"("\u0000")"), Value(std::string(1, '\0')));
}

TEST(JsonCodecTest, IntegersAreExact) {
  const Value max_uint = parse("18446744073709551615");
  EXPECT_TRUE(max_uint.is_uint());
  EXPECT_EQ(max_uint.as_uint(), std::numeric_limits<std::uint64_t>::max());
  const Value min_int = parse("-9223372036854775808");
  EXPECT_TRUE(min_int.is_int());
  EXPECT_EQ(min_int.as_int(), std::numeric_limits<std::int64_t>::min());
  EXPECT_TRUE(parse("9223372036854775807").is_int());
  EXPECT_TRUE(parse("9223372036854775808").is_uint());
  EXPECT_EQ(parse("9007199254740993"), Value(std::int64_t{9007199254740993}));
  EXPECT_TRUE(parse("-0").is_int());
  // Past uint64 and int64 an integer is refused, naming where it is, rather
  // than silently rounded to a double; with a fraction or exponent it is one.
  EXPECT_TRUE(parse("18446744073709551616.0").is_double());
  EXPECT_TRUE(parse("1e30").is_double());
  for (const auto& [text, where] : std::vector<std::pair<std::string, std::string>>{
           {"18446744073709551616", ""},
           {"-9223372036854775809", ""},
           {R"({"x": 123456789012345678901234567890})", "field \"x\""},
           {R"({"a": {"b": [1, -99999999999999999999999]}})", "field \"a.b[1]\""}}) {
    auto r = from_json(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("outside the 64-bit range"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(where), std::string::npos) << r.status().message();
  }
}

TEST(JsonCodecTest, DoublesStayDoubles) {
  for (const char* text : {"1.0", "0.0", "1e2", "1E2", "-1.5e-3", "100.0"}) {
    EXPECT_TRUE(parse(text).is_double()) << text;
  }
  const Value negative_zero = parse("-0.0");
  ASSERT_TRUE(negative_zero.is_double());
  EXPECT_TRUE(std::signbit(negative_zero.as_double()));

  for (double d : {1.0, -0.0, 0.1, 1e300, 5e-324, 123456789.0, 9007199254740993.0,
                   std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(), 1.0 / 3}) {
    const Value back = parse(to_json(Value(d)));
    ASSERT_TRUE(back.is_double()) << d;
    EXPECT_EQ(back.as_double(), d);
    EXPECT_EQ(std::signbit(back.as_double()), std::signbit(d));
  }
}

TEST(JsonCodecTest, ParsesSpecialObjects) {
  EXPECT_EQ(parse(R"({"$binary":"AAH/"})"), Value(Binary{0, 1, 0xff}));
  EXPECT_EQ(parse(R"({"$binary":""})"), Value(Binary{}));
  EXPECT_TRUE(std::isnan(parse(R"({"$double":"NaN"})").as_double()));
  EXPECT_EQ(parse(R"({"$double":"Infinity"})"), Value(kInf));
  EXPECT_EQ(parse(R"({"$double":"-Infinity"})"), Value(-kInf));
  EXPECT_EQ(parse(R"({"$string":"/w=="})"), Value("\xff"));
  EXPECT_EQ(parse(R"({"$string":"aGk="})"), Value("hi"));
  EXPECT_EQ(parse(R"({"$object":{"$binary":"x"}})"), Value(Document{{"$binary", "x"}}));
  EXPECT_EQ(parse(R"({"$object":{"a":1}})"), Value(Document{{"a", 1}}));
  EXPECT_EQ(parse(R"([{"$binary":"AA=="},{"k":{"$double":"NaN"}}])"),
            Value(Array{Binary{0}, Document{{"k", kNaN}}}));
}

TEST(JsonCodecTest, OtherShapesAreOrdinaryObjects) {
  EXPECT_EQ(parse(R"({"$binary":5})"), Value(Document{{"$binary", 5}}));
  EXPECT_EQ(parse(R"({"$double":null})"), Value(Document{{"$double", nullptr}}));
  EXPECT_EQ(parse(R"({"$object":5})"), Value(Document{{"$object", 5}}));
  EXPECT_EQ(parse(R"({"$object":[1]})"), Value(Document{{"$object", Array{1}}}));
  EXPECT_EQ(parse(R"({"$binary":"AA==","x":1})"), Value(Document{{"$binary", "AA=="}, {"x", 1}}));
  EXPECT_EQ(parse(R"({"$other":"AA=="})"), Value(Document{{"$other", "AA=="}}));
  // Beside other fields, "$object" is an ordinary field whose value decodes normally.
  EXPECT_EQ(parse(R"({"$object":{"$binary":"AA=="},"x":1})"), Value(Document{{"$object", Binary{0}}, {"x", 1}}));
}

TEST(JsonCodecTest, BadSpecialValuesAreErrors) {
  EXPECT_EQ(parse_error(R"({"$binary":"!!!!"})"), "JSON: \"$binary\" is not valid base64 at byte 0");
  EXPECT_EQ(parse_error(R"({"$binary":"AAA"})"), "JSON: \"$binary\" is not valid base64 at byte 0");
  EXPECT_EQ(parse_error(R"({"$binary":"AB=="})"), "JSON: \"$binary\" is not valid base64 at byte 0");
  EXPECT_EQ(parse_error(R"([1, {"$string":"A==="}])"), "JSON: \"$string\" is not valid base64 at byte 4");
  EXPECT_EQ(parse_error(R"({"$double":"1.5"})"),
            "JSON: \"$double\" must be \"NaN\", \"Infinity\" or \"-Infinity\" at byte 0");
}

TEST(JsonCodecTest, RoundTripsEveryType) {
  expect_round_trip(Value());
  expect_round_trip(Value(true));
  expect_round_trip(Value(false));
  expect_round_trip(Value(0));
  expect_round_trip(Value(std::numeric_limits<std::int64_t>::min()));
  expect_round_trip(Value(std::numeric_limits<std::int64_t>::max()));
  expect_round_trip(Value(std::numeric_limits<std::uint64_t>::max()));
  for (double d : {0.0, -0.0, 1.0, -1.0, 0.1, 1e300, 5e-324, kNaN, kInf, -kInf}) expect_round_trip(Value(d));
  expect_round_trip(Value(""));
  expect_round_trip(Value("text with \"quotes\", \\ and \x01 controls"));
  expect_round_trip(Value(std::string("nul\0", 4)));
  expect_round_trip(Value("\xff\xfe"));
  expect_round_trip(Value("valid \xc3\xa9 then invalid \xc3"));
  expect_round_trip(Value(Binary{}));
  expect_round_trip(Value(Binary{0, 1, 2, 253, 254, 255}));
  expect_round_trip(Value(Array{}));
  expect_round_trip(Value(Object{}));
  expect_round_trip(Value(Document{{"name", "Alice"}, {"age", 30}, {"tags", Array{"a", "b"}}}));
}

TEST(JsonCodecTest, RoundTripsObjectsThatLookSpecial) {
  for (const char* name : {"$binary", "$double", "$string", "$object"}) {
    SCOPED_TRACE(name);
    expect_round_trip(Value(Document{{name, "AA=="}}));
    expect_round_trip(Value(Document{{name, "not base64 or a double"}}));
    expect_round_trip(Value(Document{{name, 1}}));
    expect_round_trip(Value(Document{{name, Document{}}}));
    expect_round_trip(Value(Document{{name, Document{{"$binary", "AA=="}}}}));
    expect_round_trip(Value(Document{{name, "x"}, {"other", 1}}));
    expect_round_trip(Value(Array{Document{{name, "AA=="}}}));
    expect_round_trip(Value(Document{{"outer", Document{{name, Binary{1}}}}}));
  }
}

// Chains of "$object" alternate between wrapper and contents; each level
// must come back exactly.
TEST(JsonCodecTest, RoundTripsChainsOfObjectFields) {
  for (const Value& leaf : {Value(Document{{"$binary", "AA=="}}), Value(Document{{"$double", "NaN"}}),
                            Value(Document{{"a", 1}}), Value(Object{}), Value(Binary{7}), Value(kNaN), Value(1)}) {
    Value v = leaf;
    for (int level = 0; level < 8; ++level) {
      v = Value(Document{{"$object", v}});
      expect_round_trip(v);
      expect_round_trip(Value(Document{{"$object", v}, {"sibling", true}}));
    }
  }
  EXPECT_EQ(to_json(Value(Document{{"$object", Document{{"$binary", "x"}}}})),
            R"({"$object":{"$object":{"$object":{"$binary":"x"}}}})");
}

TEST(JsonCodecTest, RandomValuesRoundTrip) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::vector<std::string> names = {"a", "b", "$binary", "$double", "$string", "$object", "", "\xc3\xa9"};
  const auto random_string = [&] {
    std::string s(rng() % 6, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 'a' + rng() % 26);
    return s;
  };
  std::function<Value(int)> random_value = [&](int depth) -> Value {
    switch (rng() % (depth > 0 ? 11 : 8)) {
      case 0: return Value();
      case 1: return Value(rng() % 2 == 0);
      case 2: return Value(static_cast<std::int64_t>(rng()));
      case 3: return Value(static_cast<std::uint64_t>(rng()));
      case 4: {
        const double specials[] = {0.0, -0.0, kNaN, kInf, -kInf, 1.0, 1e-310};
        if (rng() % 2) return Value(specials[rng() % 7]);
        std::uint64_t bits = rng();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return Value(d);
      }
      case 5: return Value(random_string());
      case 6: {
        Binary b;
        for (std::size_t i = rng() % 5; i > 0; --i) b.bytes.push_back(static_cast<std::uint8_t>(rng()));
        return Value(std::move(b));
      }
      case 7: return Value(names[rng() % names.size()]);
      case 8: {
        Array a;
        for (std::size_t i = rng() % 4; i > 0; --i) a.push_back(random_value(depth - 1));
        return Value(std::move(a));
      }
      default: {
        Object o;
        for (std::size_t i = rng() % 3; i > 0; --i) o[names[rng() % names.size()]] = random_value(depth - 1);
        return Value(std::move(o));
      }
    }
  };
  for (int round = 0; round < 3000; ++round) {
    const Value v = random_value(5);
    const std::string text = to_json(v, round % 2 == 0 ? -1 : 2);
    Result<Value> back = from_json(text);
    ASSERT_TRUE(back.is_ok()) << back.status().message() << " for " << text;
    ASSERT_EQ(*back, v) << text;
  }
}

TEST(JsonCodecTest, BadJsonNamesTheByteOffset) {
  EXPECT_EQ(parse_error(""), "JSON: syntax error while parsing value - unexpected end of input; expected '[', "
                             "'{', or a literal at byte 0");
  EXPECT_NE(parse_error("[1,]").find("at byte 3"), std::string::npos) << parse_error("[1,]");
  EXPECT_NE(parse_error("[1,2").find("at byte 4"), std::string::npos) << parse_error("[1,2");
  EXPECT_NE(parse_error(R"({"a" 1})").find("at byte 5"), std::string::npos) << parse_error(R"({"a" 1})");
  EXPECT_NE(parse_error("[tru]").find("at byte"), std::string::npos);
  EXPECT_NE(parse_error("[1] x").find("at byte 4"), std::string::npos) << parse_error("[1] x");
  EXPECT_NE(parse_error("\"\xff\"").find("at byte 1"), std::string::npos) << parse_error("\"\xff\"");
  EXPECT_NE(parse_error("[1e400]").find("number overflow"), std::string::npos) << parse_error("[1e400]");
  EXPECT_NE(parse_error("NaN").find("at byte 0"), std::string::npos) << parse_error("NaN");
  for (const char* bad : {"{", "}", "[", "]", "{\"a\":}", "01", "'x'", "\"\\x\"", "\"\x01\"", "[1 2]", "{1:2}"}) {
    EXPECT_NE(parse_error(bad).rfind(" at byte "), std::string::npos) << bad;
  }
}

TEST(JsonCodecTest, DuplicateKeysAreErrors) {
  EXPECT_NE(parse_error(R"({"a":1,"a":2})").find("duplicate key \"a\""), std::string::npos);
}

TEST(JsonCodecTest, DepthLimit) {
  const auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(from_json(nested(100)).is_ok());
  EXPECT_EQ(nesting_depth(parse(nested(100))), 100u);
  EXPECT_EQ(parse_error(nested(101)), "JSON: nesting deeper than 100 levels at byte 100");
  EXPECT_EQ(parse_error(R"({"a":{"b":[]}})", 2), "JSON: nesting deeper than 2 levels at byte 10");
  EXPECT_TRUE(from_json(R"({"a":{"b":[]}})", 3).is_ok());
  EXPECT_EQ(parse_error("[]", 0), "JSON: nesting deeper than 0 levels at byte 0");
  EXPECT_TRUE(from_json("7", 0).is_ok());
}

TEST(JsonCodecTest, MillionOpenBracketsRejectedWithoutRecursion) {
  const std::string brackets(1'000'000, '[');
  EXPECT_EQ(parse_error(brackets), "JSON: nesting deeper than 100 levels at byte 100");
  const std::string objects = [] {
    std::string s;
    for (int i = 0; i < 1'000'000; ++i) s += "{\"a\":";
    return s;
  }();
  EXPECT_EQ(parse_error(objects), "JSON: nesting deeper than 100 levels at byte 500");
}

TEST(JsonCodecTest, NonUtf8FieldNamesAreRepairedLossily) {
  // JSON cannot carry such a name; each stray byte becomes U+FFFD.
  EXPECT_EQ(to_json(Value(Document{{"a\xff", 1}})), "{\"a\xef\xbf\xbd\":1}");
  EXPECT_EQ(parse(to_json(Value(Document{{"a\xff", 1}}))), Value(Document{{"a\xef\xbf\xbd", 1}}));
}

TEST(JsonCodecTest, StreamOperatorPrintsCompactJson) {
  std::ostringstream out;
  out << Value(Document{{"b", Binary{1}}});
  EXPECT_EQ(out.str(), R"({"b":{"$binary":"AQ=="}})");
}

}  // namespace
}  // namespace snapstore
