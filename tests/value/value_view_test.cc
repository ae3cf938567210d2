// Reading documents in place: check_document() as the gate (it accepts what
// the encoder writes and refuses everything the in-place reader could not
// read safely), the in-place decode against the bounded decoder, and every
// ValueView accessor against the Value it views.
#include "value/msgpack_scan.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "snapstore/value_view.h"
#include "value/msgpack_codec.h"

namespace snapstore::value {
namespace {

constexpr std::size_t kDepth = 100;

std::string encode(const Object& doc) {
  std::string out;
  const Status s = encode_msgpack(doc, out, kDepth);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return out;
}

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

ValueView view_of(const std::string& encoded) { return detail::ViewAccess::of(scan::bytes_of(encoded)); }

// One field of every type and every length class of the encoding
// (fix/8/16/32-bit strings, 16-bit arrays and maps, every integer width).
Object every_kind() {
  Array long_array;
  for (int i = 0; i < 20; ++i) long_array.emplace_back(i * 1000);
  Object wide;
  for (int i = 0; i < 20; ++i) wide["k" + std::to_string(100 + i)] = i;
  return Object{
      {"null", nullptr},
      {"t", true},
      {"f", false},
      {"small", 7},
      {"neg", -3},
      {"i8", -100},
      {"u8", 200},
      {"i16", -30000},
      {"u16", 60000},
      {"i32", -2000000000},
      {"u32", 4000000000U},
      {"i64", std::numeric_limits<std::int64_t>::min()},
      {"u64", std::numeric_limits<std::uint64_t>::max()},
      {"double", 2.5},
      {"whole", 1.0},
      {"nan", std::numeric_limits<double>::quiet_NaN()},
      {"neg_zero", -0.0},
      {"s", "short"},
      {"s8", std::string(200, 'x')},
      {"s16", std::string(70000, 'y')},
      {"bin", Binary{0, 1, 2, 255}},
      {"empty_bin", Binary{}},
      {"array", Array{1, "two", Array{3}}},
      {"long_array", long_array},
      {"wide", wide},
      {"nested", Object{{"a", Object{{"b", Object{{"c", "deep"}}}}}}},
      {"", "empty name"},
  };
}

TEST(CheckDocument, AcceptsWhatTheEncoderWrites) {
  const std::string encoded = encode(every_kind());
  EXPECT_TRUE(scan::check_document(encoded, kDepth).is_ok());
  EXPECT_TRUE(scan::check_document(encode(Object{}), kDepth).is_ok());
}

TEST(CheckDocument, RefusesEveryTruncation) {
  const std::string encoded = encode(every_kind());
  for (std::size_t n = 0; n < encoded.size(); n += (n < 300 ? 1 : 997)) {
    const Status s = scan::check_document(std::string_view(encoded).substr(0, n), kDepth);
    ASSERT_EQ(s.code(), StatusCode::kCorruption) << "prefix of " << n << " bytes";
  }
}

TEST(CheckDocument, NamesWhatIsWrong) {
  auto reason = [](const std::string& input, std::size_t depth = kDepth) {
    return scan::check_document(input, depth).message();
  };
  EXPECT_NE(reason("").find("empty document"), std::string::npos);
  EXPECT_NE(reason(bytes({0x91, 0x01})).find("not a map"), std::string::npos);
  EXPECT_NE(reason(bytes({0x80, 0x00})).find("trailing bytes after the document at byte 1"), std::string::npos);
  // {"b": 1, "a": 2}: out of order; {"a": 1, "a": 2}: repeated.
  EXPECT_NE(reason(bytes({0x82, 0xa1, 'b', 0x01, 0xa1, 'a', 0x02})).find("out of order at byte 4"),
            std::string::npos);
  EXPECT_NE(reason(bytes({0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02})).find("repeated map key"), std::string::npos);
  EXPECT_NE(reason(bytes({0x81, 0x01, 0x01})).find("map key is not a string"), std::string::npos);
  EXPECT_NE(reason(bytes({0x81, 0xa1, 'a', 0xd4, 0x01, 0x00})).find("ext values"), std::string::npos);
  EXPECT_NE(reason(bytes({0x81, 0xa1, 'a', 0xc1})).find("invalid type byte at byte 3"), std::string::npos);
  // {"a": {"b": {}}} is 3 levels deep.
  const std::string deep = bytes({0x81, 0xa1, 'a', 0x81, 0xa1, 'b', 0x80});
  EXPECT_TRUE(scan::check_document(deep, 3).is_ok());
  EXPECT_NE(reason(deep, 2).find("nesting deeper than 2 levels"), std::string::npos);
  // A string that claims more bytes than there are.
  EXPECT_NE(reason(bytes({0x81, 0xa1, 'a', 0xdb, 0x7f, 0xff, 0xff, 0xff})).find("truncated"), std::string::npos);
}

TEST(MakeCheckedDocument, ReordersKeysAndRefusesWhatIsNotADocument) {
  std::string unsorted = bytes({0x82, 0xa1, 'b', 0x01, 0xa1, 'a', 0x02});
  ASSERT_TRUE(make_checked_document(unsorted, kDepth).is_ok());
  EXPECT_EQ(unsorted, encode(Object{{"a", 2}, {"b", 1}}));

  std::string canonical = encode(every_kind());
  const std::string before = canonical;
  ASSERT_TRUE(make_checked_document(canonical, kDepth).is_ok());
  EXPECT_EQ(canonical, before);

  std::string repeated = bytes({0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02});
  const Status s = make_checked_document(repeated, kDepth);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("duplicate map key"), std::string::npos) << s.message();
  std::string not_a_map = bytes({0x01});
  EXPECT_EQ(make_checked_document(not_a_map, kDepth).code(), StatusCode::kCorruption);
}

TEST(ScanDecode, AgreesWithTheBoundedDecoder) {
  const std::string encoded = encode(every_kind());
  auto bounded = decode_document(encoded, kDepth);
  ASSERT_TRUE(bounded.is_ok());
  EXPECT_EQ(Value(scan::decode_object(scan::bytes_of(encoded))), Value(*bounded));
  EXPECT_EQ(Value(*bounded), Value(every_kind()));
}

TEST(ValueView, ReadsEveryTypeInPlace) {
  const std::string encoded = encode(every_kind());
  const ValueView doc = view_of(encoded);
  EXPECT_TRUE(doc.is_object());
  EXPECT_EQ(doc.size(), every_kind().size());
  EXPECT_TRUE(doc.at("null").is_null());
  EXPECT_TRUE(doc.at("t").as_bool());
  EXPECT_FALSE(doc.at("f").as_bool());
  EXPECT_EQ(doc.at("i64").as_int(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(doc.at("u64").as_uint(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_TRUE(doc.at("u64").is_uint());
  EXPECT_EQ(doc.at("u32").as_uint(), 4000000000U);
  EXPECT_TRUE(doc.at("u32").is_int());  // fits int64, like Value
  EXPECT_EQ(doc.at("double").as_double(), 2.5);
  EXPECT_TRUE(doc.at("whole").is_double());
  EXPECT_TRUE(std::isnan(doc.at("nan").as_double()));
  EXPECT_EQ(doc.at("small").to_double(), 7.0);
  EXPECT_EQ(doc.at("s16").as_string(), std::string(70000, 'y'));
  EXPECT_EQ(doc.at("s16").size(), 70000U);
  const auto bin = doc.at("bin").as_binary();
  EXPECT_EQ(std::vector<std::uint8_t>(bin.begin(), bin.end()), (std::vector<std::uint8_t>{0, 1, 2, 255}));
  EXPECT_EQ(doc.at("array").at(1).as_string(), "two");
  EXPECT_EQ(doc.at("long_array").at(19).as_int(), 19000);
  EXPECT_EQ(doc.at("nested").at("a").at("b").at("c").as_string(), "deep");
  EXPECT_EQ(doc.at("").as_string(), "empty name");
  // Strings are views into the stored bytes, not copies.
  const std::string_view s = doc.at("s8").as_string();
  EXPECT_GE(s.data(), encoded.data());
  EXPECT_LT(s.data(), encoded.data() + encoded.size());
}

TEST(ValueView, FindsFieldsAndReportsMisses) {
  const std::string encoded = encode(every_kind());
  const ValueView doc = view_of(encoded);
  for (const auto& [name, value] : every_kind()) {
    const auto found = doc.find(name);
    ASSERT_TRUE(found.has_value()) << name;
    EXPECT_TRUE(*found == value) << name;
  }
  EXPECT_FALSE(doc.find("absent").has_value());
  EXPECT_FALSE(doc.find("zzz").has_value());  // after every key
  EXPECT_FALSE(doc.find("a").has_value());    // between keys
  EXPECT_FALSE(doc.at("s").find("x").has_value());  // not an object
  EXPECT_TRUE(doc.contains("wide"));
  EXPECT_TRUE(doc.at("wide").contains("k119"));
}

TEST(ValueView, ThrowsBadAccessLikeValue) {
  const std::string encoded = encode(every_kind());
  const ValueView doc = view_of(encoded);
  EXPECT_THROW(doc.at("absent"), BadAccess);
  EXPECT_THROW(doc.at("s").as_int(), BadAccess);
  EXPECT_THROW(doc.at("neg").as_uint(), BadAccess);
  EXPECT_THROW(doc.at("u64").as_int(), BadAccess);
  EXPECT_THROW(doc.at("s").to_double(), BadAccess);
  EXPECT_THROW(doc.at("array").at(3), BadAccess);
  EXPECT_THROW(doc.at("s").at(0), BadAccess);
  EXPECT_THROW(doc.at("s").elements(), BadAccess);
  EXPECT_THROW(doc.at("array").fields(), BadAccess);
  EXPECT_THROW(doc.at("array").at("x"), BadAccess);
  try {
    doc.at("s").as_int();
  } catch (const BadAccess& e) {
    EXPECT_STREQ(e.what(), "ValueView::as_int: expected int64, got string");
  }
}

TEST(ValueView, IteratesInOrderAndCopiesDeeply) {
  const Object original = every_kind();
  const std::string encoded = encode(original);
  const ValueView doc = view_of(encoded);
  auto expected = original.begin();
  for (const auto& [name, value] : doc.fields()) {
    ASSERT_NE(expected, original.end());
    EXPECT_EQ(name, expected->first);
    EXPECT_TRUE(value == expected->second) << name;
    ++expected;
  }
  EXPECT_EQ(expected, original.end());
  std::vector<Value> elements;
  for (const ValueView element : doc.at("array").elements()) elements.push_back(element.to_value());
  EXPECT_EQ(Value(elements), original.at("array"));
  EXPECT_EQ(doc.to_value(), Value(original));
  EXPECT_EQ(doc.encoded(), encoded);
  EXPECT_EQ(doc.at("array").encoded(), bytes({0x93, 0x01, 0xa3, 't', 'w', 'o', 0x91, 0x03}));
}

TEST(ValueView, EqualityFollowsValue) {
  const std::string encoded = encode(Object{{"five", 5}, {"five_d", 5.0}, {"z", -0.0}, {"nan", NAN}});
  const ValueView doc = view_of(encoded);
  EXPECT_TRUE(doc.at("five") == Value(5));
  EXPECT_FALSE(doc.at("five") == Value(5.0));  // 5 and 5.0 differ, as in Value's ==
  EXPECT_TRUE(doc.at("five_d") == Value(5.0));
  EXPECT_TRUE(doc.at("z") == Value(0.0));
  EXPECT_TRUE(doc.at("nan") == Value(std::nan("")));
  EXPECT_FALSE(doc == Value(Object{{"five", 5}}));
}

TEST(ValueView, DefaultIsNull) {
  const ValueView null;
  EXPECT_TRUE(null.is_null());
  EXPECT_EQ(null.size(), 0U);
  EXPECT_EQ(null.to_value(), Value());
  EXPECT_EQ(null.encoded(), bytes({0xc0}));
}

}  // namespace
}  // namespace snapstore::value
