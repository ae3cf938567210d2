// The msgpack document encoding: round trips of every type and edge value,
// canonical bytes, depth limits, and hostile input (truncation at every
// offset, random and mutated bytes, trailing bytes, bad keys, huge counts)
// that must come back as Corruption, never a crash.
#include "value/msgpack_codec.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "testutil/allocation_meter.h"

namespace snapstore::value {
namespace {

constexpr std::size_t kDepth = 100;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// SNAPSTORE_TEST_SEED replays a run; the seed is printed either way.
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

std::string encode(const Value& v, std::size_t max_depth = kDepth) {
  std::string out;
  const Status s = encode_msgpack(v, out, max_depth);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return out;
}

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

std::string hex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (!out.empty()) out += ' ';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// Encodes, decodes and expects the same Value of the same type back.
void expect_round_trip(const Value& v) {
  const std::string encoded = encode(v);
  Result<Value> decoded = decode_msgpack(encoded, kDepth);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message() << " for " << hex(encoded.substr(0, 64));
  EXPECT_EQ(decoded->type(), v.type());
  EXPECT_EQ(*decoded, v);
}

void expect_corruption(std::string_view input, std::string_view reason_part = {}) {
  Result<Value> decoded = decode_msgpack(input, kDepth);
  ASSERT_FALSE(decoded.is_ok()) << "decoded " << *decoded << " from " << hex(input.substr(0, 64));
  EXPECT_EQ(decoded.code(), StatusCode::kCorruption) << decoded.status().message();
  EXPECT_NE(decoded.status().message().find(reason_part), std::string::npos) << decoded.status().message();
}

Value nested_arrays(std::size_t depth) {
  Value v = 0;
  for (std::size_t i = 0; i < depth; ++i) v = Value(Array{std::move(v)});
  return v;
}

Value nested_objects(std::size_t depth) {
  Value v = "leaf";
  for (std::size_t i = 0; i < depth; ++i) v = Value(Object{{"k", std::move(v)}});
  return v;
}

Value rich_document() {
  return Value(Document{
      {"name", "Alice"},
      {"age", 30},
      {"balance", -12.5},
      {"big", std::numeric_limits<std::uint64_t>::max()},
      {"min", std::numeric_limits<std::int64_t>::min()},
      {"blob", Binary{0, 1, 2, 255}},
      {"none", nullptr},
      {"flag", true},
      {"tags", Array{"a", "b", Array{}, Object{}}},
      {"address", Document{{"city", "NY"}, {"zip", "10001"}, {"geo", Array{40.7, -74.0}}}},
  });
}

TEST(MsgpackCodecTest, RoundTripsScalars) {
  expect_round_trip(Value());
  expect_round_trip(Value(true));
  expect_round_trip(Value(false));
  for (std::int64_t n : {0LL, 1LL, -1LL, 31LL, -32LL, -33LL, 127LL, 128LL, 255LL, 256LL, -128LL, -129LL, 32767LL,
                         32768LL, 65535LL, 65536LL, -32768LL, -32769LL, 2147483647LL, 2147483648LL, 4294967295LL,
                         4294967296LL, -2147483648LL, -2147483649LL}) {
    expect_round_trip(Value(n));
  }
  expect_round_trip(Value(std::numeric_limits<std::int64_t>::min()));
  expect_round_trip(Value(std::numeric_limits<std::int64_t>::max()));
  expect_round_trip(Value(std::numeric_limits<std::uint64_t>::max()));
  expect_round_trip(Value(static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1));
  for (double d : {0.0, 1.0, -1.0, 1.5, 0.1, 1e300, -1e-300, std::numeric_limits<double>::denorm_min(),
                   std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(), kInf, -kInf,
                   9007199254740993.0, 4294967296.0}) {
    expect_round_trip(Value(d));
  }
}

TEST(MsgpackCodecTest, DoublesStayDoubles) {
  Result<Value> one = decode_msgpack(encode(Value(1.0)), kDepth);
  ASSERT_TRUE(one.is_ok());
  EXPECT_TRUE(one->is_double());
  EXPECT_EQ(one->as_double(), 1.0);

  Result<Value> negative_zero = decode_msgpack(encode(Value(-0.0)), kDepth);
  ASSERT_TRUE(negative_zero.is_ok());
  ASSERT_TRUE(negative_zero->is_double());
  EXPECT_TRUE(std::signbit(negative_zero->as_double()));

  Result<Value> nan = decode_msgpack(encode(Value(kNaN)), kDepth);
  ASSERT_TRUE(nan.is_ok());
  ASSERT_TRUE(nan->is_double());
  EXPECT_TRUE(std::isnan(nan->as_double()));
}

TEST(MsgpackCodecTest, RoundTripsStringsAndBinary) {
  for (std::size_t size : {0u, 1u, 31u, 32u, 255u, 256u, 65535u, 65536u}) {
    expect_round_trip(Value(std::string(size, 'x')));
    expect_round_trip(Value(Binary(std::vector<std::uint8_t>(size, 0xab))));
  }
  expect_round_trip(Value(std::string(1 << 20, 'm')));  // 1 MiB
  expect_round_trip(Value(std::string("nul\0inside", 10)));
  expect_round_trip(Value(std::string("\xff\xfe not utf-8")));
  expect_round_trip(Value("h\xc3\xa9llo \xe2\x82\xac"));
}

TEST(MsgpackCodecTest, RoundTripsContainers) {
  expect_round_trip(Value(Array{}));
  expect_round_trip(Value(Object{}));
  for (std::size_t size : {15u, 16u, 65535u, 65536u}) {
    Array array;
    Object object;
    for (std::size_t i = 0; i < size; ++i) {
      array.emplace_back(static_cast<std::int64_t>(i));
      object.emplace("k" + std::to_string(i), static_cast<std::int64_t>(i));
    }
    expect_round_trip(Value(std::move(array)));
    expect_round_trip(Value(std::move(object)));
  }
  expect_round_trip(rich_document());
  expect_round_trip(Value(Document{{"", 1}, {"$binary", "not special here"}}));
}

TEST(MsgpackCodecTest, DocumentOverloadMatchesValueEncoding) {
  const Document doc = rich_document().as_object();
  std::string out = "prefix";
  ASSERT_TRUE(encode_msgpack(doc, out, kDepth).is_ok());
  EXPECT_EQ(out, "prefix" + encode(Value(doc)));  // appends, never clears

  Result<Object> decoded = decode_document(out.substr(6), kDepth);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
  EXPECT_EQ(Value(*decoded), Value(doc));
}

// A document is encoded into a per-thread scratch string that keeps its
// capacity (and lets go of it past 1 MiB), then appended to `out`: at every
// boundary between msgpack's forms, and across documents large and small one
// after another, it must write what the encoder writes straight into `out`.
TEST(MsgpackCodecTest, DocumentsEncodeAsValuesDoAtEveryFormBoundary) {
  std::vector<Value> values = {Value(),
                               true,
                               false,
                               0.5,
                               -0.0,
                               std::nan(""),
                               std::numeric_limits<std::uint64_t>::max(),
                               std::numeric_limits<std::int64_t>::min(),
                               std::numeric_limits<std::int64_t>::max()};
  for (std::int64_t edge :
       {std::int64_t{1} << 7, std::int64_t{1} << 8, std::int64_t{1} << 16, std::int64_t{1} << 32, std::int64_t{32},
        std::int64_t{1} << 5, std::int64_t{128}, std::int64_t{1} << 15, std::int64_t{1} << 31}) {
    for (std::int64_t i : {edge - 1, edge, edge + 1, -edge - 1, -edge, -edge + 1}) values.emplace_back(i);
  }
  for (std::size_t n : {0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536}) {
    values.emplace_back(std::string(n, 's'));
    values.emplace_back(Binary(std::vector<std::uint8_t>(n, 7)));
    if (n <= 65536) values.emplace_back(Array(n, Value(1)));
    Object object;
    for (std::size_t k = 0; k < n && k < 70000; ++k) object.emplace("k" + std::to_string(k), Value(k));
    values.emplace_back(object);
  }
  values.emplace_back(rich_document());
  values.emplace_back(std::string(std::size_t{3} << 20, 'h'));  // past what the scratch string keeps
  values.emplace_back(1);
  for (const Value& v : values) {
    const Object doc{{"v", v}, {std::string(40, 'n'), Array{v, Object{{"inner", v}}}}};
    std::string out = "prefix";
    ASSERT_TRUE(encode_msgpack(doc, out, kDepth).is_ok());
    std::string direct = "prefix";
    ASSERT_TRUE(encode_msgpack(Value(doc), direct, kDepth).is_ok());
    ASSERT_EQ(out, direct) << "for " << v.type_name();
    Result<Object> decoded = decode_document(std::string_view(out).substr(6), kDepth);
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
    EXPECT_EQ(Value(*decoded), Value(doc));
  }
}

// Values appended one after another to a string that already holds a lot:
// each lands right after the last, and what was there stays.
TEST(MsgpackCodecTest, ValuesAppendAfterWhatTheStringHolds) {
  std::string out(std::size_t{1} << 20, 'p');
  std::string expected = out;
  for (int i = 0; i < 200; ++i) {
    const Value v = i % 2 == 0 ? Value(i) : Value(Object{{"n", i}, {"s", std::string(static_cast<std::size_t>(i), 's')}});
    std::string alone;
    ASSERT_TRUE(encode_msgpack(v, alone, kDepth).is_ok());
    expected += alone;
    ASSERT_TRUE(encode_msgpack(v, out, kDepth).is_ok());
  }
  EXPECT_EQ(out, expected);
}

TEST(MsgpackCodecTest, DecodeDocumentRejectsNonMaps) {
  for (const Value& v : {Value(), Value(1), Value("s"), Value(Array{1})}) {
    Result<Object> decoded = decode_document(encode(v), kDepth);
    ASSERT_FALSE(decoded.is_ok());
    EXPECT_EQ(decoded.code(), StatusCode::kCorruption);
    EXPECT_NE(decoded.status().message().find("not a map"), std::string::npos) << decoded.status().message();
  }
}

TEST(MsgpackCodecTest, CanonicalBytes) {
  EXPECT_EQ(hex(encode(Value())), "c0");
  EXPECT_EQ(hex(encode(Value(false))), "c2");
  EXPECT_EQ(hex(encode(Value(true))), "c3");
  EXPECT_EQ(hex(encode(Value(0))), "00");
  EXPECT_EQ(hex(encode(Value(127))), "7f");
  EXPECT_EQ(hex(encode(Value(128))), "cc 80");
  EXPECT_EQ(hex(encode(Value(256))), "cd 01 00");
  EXPECT_EQ(hex(encode(Value(65536))), "ce 00 01 00 00");
  EXPECT_EQ(hex(encode(Value(4294967296LL))), "cf 00 00 00 01 00 00 00 00");
  EXPECT_EQ(hex(encode(Value(-1))), "ff");
  EXPECT_EQ(hex(encode(Value(-32))), "e0");
  EXPECT_EQ(hex(encode(Value(-33))), "d0 df");
  EXPECT_EQ(hex(encode(Value(-129))), "d1 ff 7f");
  EXPECT_EQ(hex(encode(Value(std::numeric_limits<std::int64_t>::min()))), "d3 80 00 00 00 00 00 00 00");
  EXPECT_EQ(hex(encode(Value(std::numeric_limits<std::uint64_t>::max()))), "cf ff ff ff ff ff ff ff ff");
  EXPECT_EQ(hex(encode(Value(1.0))), "cb 3f f0 00 00 00 00 00 00");
  EXPECT_EQ(hex(encode(Value(-0.0))), "cb 80 00 00 00 00 00 00 00");
  EXPECT_EQ(hex(encode(Value(kNaN))), "cb 7f f8 00 00 00 00 00 00");
  EXPECT_EQ(hex(encode(Value(-kNaN))), "cb 7f f8 00 00 00 00 00 00");  // one NaN encoding
  EXPECT_EQ(hex(encode(Value(kInf))), "cb 7f f0 00 00 00 00 00 00");
  EXPECT_EQ(hex(encode(Value(""))), "a0");
  EXPECT_EQ(hex(encode(Value("a"))), "a1 61");
  EXPECT_EQ(hex(encode(Value(std::string(32, 'x'))).substr(0, 2)), "d9 20");
  EXPECT_EQ(hex(encode(Value(Binary{1, 2}))), "c4 02 01 02");
  EXPECT_EQ(hex(encode(Value(Array{1, "a"}))), "92 01 a1 61");
  EXPECT_EQ(hex(encode(Value(Document{{"b", 1}, {"a", 2}}))), "82 a1 61 02 a1 62 01");  // sorted keys
}

TEST(MsgpackCodecTest, AcceptsNonCanonicalForms) {
  const auto decode = [](const std::string& input) {
    Result<Value> r = decode_msgpack(input, kDepth);
    EXPECT_TRUE(r.is_ok()) << r.status().message() << " for " << hex(input);
    return r.is_ok() ? *r : Value("<error>");
  };
  const Value float32 = decode(bytes({0xca, 0x3f, 0xc0, 0x00, 0x00}));
  EXPECT_TRUE(float32.is_double());
  EXPECT_EQ(float32.as_double(), 1.5);
  EXPECT_EQ(decode(bytes({0xd0, 0x05})), Value(5));                                     // int8 holding 5
  EXPECT_EQ(decode(bytes({0xcd, 0x00, 0x01})), Value(1));                               // uint16 holding 1
  EXPECT_TRUE(decode(bytes({0xcf, 0, 0, 0, 0, 0, 0, 0, 5})).is_int());                  // uint64 that fits int64
  EXPECT_EQ(decode(bytes({0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe})), Value(-2));
  EXPECT_EQ(decode(bytes({0xd9, 0x01, 0x61})), Value("a"));                             // str8
  EXPECT_EQ(decode(bytes({0xdc, 0x00, 0x01, 0xc0})), Value(Array{nullptr}));            // array16
  EXPECT_EQ(decode(bytes({0x82, 0xa1, 0x62, 0x01, 0xa1, 0x61, 0x02})),                  // unsorted keys
            Value(Document{{"a", 2}, {"b", 1}}));
}

TEST(MsgpackCodecTest, DeepestAllowedNestingRoundTrips) {
  expect_round_trip(nested_arrays(kDepth));
  expect_round_trip(nested_objects(kDepth));
  std::string out;
  EXPECT_TRUE(encode_msgpack(nested_objects(1).as_object(), out, 1).is_ok());
}

TEST(MsgpackCodecTest, EncodeRejectsOneLevelTooDeep) {
  for (const Value& v : {nested_arrays(kDepth + 1), nested_objects(kDepth + 1)}) {
    std::string out;
    const Status s = encode_msgpack(v, out, kDepth);
    EXPECT_EQ(s.code(), StatusCode::kInvalidDocument);
    EXPECT_NE(s.message().find("nesting deeper than 100 levels"), std::string::npos) << s.message();
  }
  std::string out;
  EXPECT_EQ(encode_msgpack(Object{}, out, 0).code(), StatusCode::kInvalidDocument);
  EXPECT_TRUE(encode_msgpack(Value(1), out, 0).is_ok());  // scalars have depth 0
}

TEST(MsgpackCodecTest, DecodeRejectsOneLevelTooDeep) {
  const std::string arrays = encode(nested_arrays(kDepth + 1), kDepth + 1);
  const std::string objects = encode(nested_objects(kDepth + 1), kDepth + 1);
  expect_corruption(arrays, "nesting deeper than 100 levels");
  expect_corruption(objects, "nesting deeper than 100 levels");
  EXPECT_TRUE(decode_msgpack(arrays, kDepth + 1).is_ok());

  // A million nested array headers: stopped at the limit, no recursion.
  const std::string million(1'000'000, static_cast<char>(0x91));
  expect_corruption(million, "nesting deeper");
}

TEST(MsgpackCodecTest, TruncatedAtEveryOffsetIsCorruption) {
  const std::string encoded = encode(rich_document());
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    SCOPED_TRACE("prefix of " + std::to_string(size) + " bytes");
    expect_corruption(std::string_view(encoded).substr(0, size), "truncated");
  }
  const std::string big_string = encode(Value(std::string(70000, 's')));
  for (std::size_t size : {0u, 1u, 2u, 3u, 4u, 5u, 100u, 69999u, 70004u}) {
    expect_corruption(std::string_view(big_string).substr(0, size), "truncated");
  }
}

TEST(MsgpackCodecTest, TrailingBytesAreCorruption) {
  expect_corruption(encode(rich_document()) + '\0', "1 trailing bytes");
  expect_corruption(bytes({0xc0, 0xc0}), "trailing");
  expect_corruption(encode(Value(1)) + encode(Value(2)), "trailing");
}

TEST(MsgpackCodecTest, NonStringMapKeysAreCorruption) {
  expect_corruption(bytes({0x81, 0x01, 0x01}), "map key is not a string");               // int key
  expect_corruption(bytes({0x81, 0xc0, 0x01}), "map key is not a string");               // nil key
  expect_corruption(bytes({0x81, 0xc4, 0x01, 0x61, 0x01}), "map key is not a string");   // bin key
  expect_corruption(bytes({0x81, 0x90, 0x01}), "map key is not a string");               // array key
  expect_corruption(bytes({0x81, 0x80, 0x01}), "map key is not a string");               // map key
  expect_corruption(bytes({0x81, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}), "map key is not a string");
  // A nested map's string key does not license the outer one.
  expect_corruption(bytes({0x81, 0xa1, 0x61, 0x81, 0xa1, 0x62, 0x01, 0x81, 0x02, 0x03}), "trailing");
  expect_corruption(bytes({0x82, 0xa1, 0x61, 0x81, 0xa1, 0x62, 0x01, 0x02, 0x03}), "map key is not a string");
}

TEST(MsgpackCodecTest, DuplicateKeysAreCorruption) {
  expect_corruption(bytes({0x82, 0xa1, 0x61, 0x01, 0xa1, 0x61, 0x02}), "duplicate map key \"a\"");
}

TEST(MsgpackCodecTest, ExtAndReservedBytesAreCorruption) {
  expect_corruption(bytes({0xd4, 0x01, 0x00}), "ext");
  expect_corruption(bytes({0xc7, 0x00, 0x05}), "ext");
  expect_corruption(bytes({0xc1}), "invalid type byte 0xc1 at offset 0");
  expect_corruption(bytes({0x92, 0x01, 0xc1}), "invalid type byte 0xc1 at offset 2");
  expect_corruption("", "truncated");
}

// Declared counts and lengths are untrusted: four billion elements in six
// bytes, nested to the depth limit, must fail fast without reserving memory
// for them.
TEST(MsgpackCodecTest, HugeDeclaredSizesAreCorruption) {
  expect_corruption(bytes({0xdd, 0xff, 0xff, 0xff, 0xff}), "truncated");  // array32
  expect_corruption(bytes({0xdf, 0xff, 0xff, 0xff, 0xff}), "truncated");  // map32
  expect_corruption(bytes({0xdb, 0xff, 0xff, 0xff, 0xff, 0x61}), "truncated");  // str32
  expect_corruption(bytes({0xc6, 0xff, 0xff, 0xff, 0xff, 0x61}), "truncated");  // bin32
  std::string nested;
  for (std::size_t i = 0; i < kDepth; ++i) nested += bytes({0xdd, 0xff, 0xff, 0xff, 0xff});
  nested += std::string(1 << 20, static_cast<char>(0xc0));  // a MiB of nils to give the counts some room
  expect_corruption(nested, "truncated");
}

// What a decode may allocate: the Value tree for what is really there, never
// what the headers declare. Reservations are capped at one Value per input
// byte in total, and real elements grow by doubling, so the bound is a few
// sizeof(Value) per input byte.
TEST(MsgpackCodecTest, HugeDeclaredSizesAllocateInProportionToTheInput) {
  std::string open_arrays;
  for (std::size_t i = 0; i < kDepth; ++i) open_arrays += bytes({0xdd, 0x00, 0x01, 0x00, 0x00});
  open_arrays += std::string(4000, static_cast<char>(0xc0));
  for (const std::string& input : {bytes({0xdd, 0xff, 0xff, 0xff, 0xff}), bytes({0xdf, 0xff, 0xff, 0xff, 0xff}),
                                   bytes({0xc6, 0xff, 0xff, 0xff, 0xff, 0x61}), open_arrays}) {
    std::size_t allocated = 0;
    {
      testutil::AllocationMeter meter;
      expect_corruption(input, "truncated");
      allocated = meter.total_bytes();
    }
    EXPECT_LE(allocated, 4 * sizeof(Value) * input.size() + 16384) << "input of " << input.size() << " bytes";
  }
}

TEST(MsgpackCodecTest, RandomBytesNeverCrash) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  // Bytes biased towards type headers, so that many inputs get past the first byte.
  const std::vector<int> interesting = {0x00, 0x7f, 0x80, 0x81, 0x8f, 0x90, 0x91, 0x9f, 0xa0, 0xa1, 0xbf,
                                        0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xca, 0xcb, 0xcc,
                                        0xcf, 0xd0, 0xd3, 0xd4, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0,
                                        0xff};
  int decoded = 0;
  for (int round = 0; round < 10'000; ++round) {
    std::string input(rng() % 48, '\0');
    for (char& c : input) {
      c = static_cast<char>(rng() % 2 ? interesting[rng() % interesting.size()] : static_cast<int>(rng() % 256));
    }
    Result<Value> r = decode_msgpack(input, 8);
    if (r.is_ok()) {
      ++decoded;
      // Whatever decodes is a Value we can encode again, and that decodes equal.
      std::string again;
      ASSERT_TRUE(encode_msgpack(*r, again, 8).is_ok()) << hex(input);
      Result<Value> twice = decode_msgpack(again, 8);
      ASSERT_TRUE(twice.is_ok()) << hex(input);
      EXPECT_EQ(*twice, *r) << hex(input);
    } else {
      ASSERT_EQ(r.code(), StatusCode::kCorruption) << hex(input);
    }
  }
  std::cout << "[   INFO   ] " << decoded << " of 10000 random inputs decoded" << std::endl;
}

TEST(MsgpackCodecTest, MutatedEncodingsNeverCrash) {
  const std::uint64_t seed = test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::string original = encode(rich_document());
  for (int round = 0; round < 10'000; ++round) {
    std::string input = original;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 3) {
        case 0: input[rng() % input.size()] = static_cast<char>(rng() % 256); break;
        case 1: input.erase(rng() % input.size(), 1 + rng() % 8); break;
        default: input.insert(rng() % input.size(), 1, static_cast<char>(rng() % 256)); break;
      }
      if (input.empty()) input = original;
    }
    Result<Value> r = decode_msgpack(input, kDepth);
    if (!r.is_ok()) {
      ASSERT_EQ(r.code(), StatusCode::kCorruption) << hex(input);
    }
  }
}

}  // namespace
}  // namespace snapstore::value
