// The deep-copy decode (scan::decode_object, scan::decode) that get, lookup
// and DocumentView::to_document pay for: every value kind and length class of
// the encoding, nesting, big strings and arrays, keys that needed
// re-encoding, and the benchmark's documents, each decoded Document checked
// against the Value it was encoded from and against the bounded decoder
// (decode_document, msgpack-c's visitor, an independent path). Then the same
// through the Store: get, lookup and lookup_range return equal, independent
// copies.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "bench/documents.h"
#include "snapstore/store.h"
#include "value/msgpack_codec.h"
#include "value/msgpack_scan.h"

namespace snapstore::value {
namespace {

constexpr std::size_t kDepth = 100;

std::string encode(const Object& doc) {
  std::string out;
  const Status s = encode_msgpack(doc, out, kDepth);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return out;
}

// Checked bytes of `doc`, decoded in place, must give `doc` back, and agree
// with the bounded decoder.
void expect_round_trip(const Object& doc) {
  const std::string bytes = encode(doc);
  ASSERT_TRUE(scan::check_document(bytes, kDepth).is_ok());
  const Object decoded = scan::decode_object(scan::bytes_of(bytes));
  EXPECT_EQ(Value(decoded), Value(doc));
  auto bounded = decode_document(bytes, kDepth);
  ASSERT_TRUE(bounded.is_ok()) << bounded.status().message();
  EXPECT_EQ(Value(decoded), Value(*bounded));
  EXPECT_EQ(scan::decode(scan::bytes_of(bytes)), Value(doc));
}

std::string raw(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

TEST(DecodeCopy, EveryScalarKindAndWidth) {
  expect_round_trip(Object{
      {"null", nullptr},
      {"t", true},
      {"f", false},
      {"zero", 0},
      {"fix", 127},
      {"negfix", -32},
      {"i8", -100},
      {"u8", 200},
      {"i16", -30000},
      {"u16", 60000},
      {"i32", -2000000000},
      {"u32", 4000000000U},
      {"i64", std::numeric_limits<std::int64_t>::min()},
      {"i64max", std::numeric_limits<std::int64_t>::max()},
      {"u64", std::numeric_limits<std::uint64_t>::max()},
      {"double", 2.5},
      {"whole", 1.0},
      {"negzero", -0.0},
      {"inf", std::numeric_limits<double>::infinity()},
      {"nan", std::numeric_limits<double>::quiet_NaN()},
      {"empty", ""},
      {"bin", Binary{0, 1, 2, 255}},
      {"nobin", Binary{}},
  });
}

TEST(DecodeCopy, StringsOfEveryLengthClass) {
  // fixstr up to 31 bytes, str8, str16, str32; inside and beyond
  // std::string's inline buffer; bytes that are not UTF-8 and NULs.
  Object doc;
  for (std::size_t n : {1U, 14U, 15U, 16U, 31U, 32U, 255U, 256U, 65535U, 65536U, 200000U}) {
    std::string s(n, 'x');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
    doc["s" + std::to_string(n)] = s;
  }
  doc["nul"] = std::string("a\0b\xff", 4);
  expect_round_trip(doc);
}

TEST(DecodeCopy, KeysOfEveryLengthClass) {
  Object doc;
  for (std::size_t n : {1U, 15U, 16U, 31U, 32U, 40U, 300U, 70000U}) doc[std::string(n, 'k')] = static_cast<int>(n);
  doc[""] = "empty key";
  expect_round_trip(doc);
}

TEST(DecodeCopy, BinaryOfEveryLengthClass) {
  Object doc;
  for (std::size_t n : {255U, 256U, 65536U}) {
    std::vector<std::uint8_t> bytes(n);
    for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<std::uint8_t>(i * 7);
    doc["b" + std::to_string(n)] = Binary(std::move(bytes));
  }
  expect_round_trip(doc);
}

TEST(DecodeCopy, ArraysAndObjectsOfEveryLengthClass) {
  Array fix{1, "two", 3.0};
  Array a16;
  for (int i = 0; i < 1000; ++i) a16.emplace_back(i % 3 == 0 ? Value(i) : i % 3 == 1 ? Value("s" + std::to_string(i)) : Value(i * 0.5));
  Array a32;
  for (int i = 0; i < 70000; ++i) a32.emplace_back(i);
  Object m16;
  for (int i = 0; i < 300; ++i) m16["f" + std::to_string(1000 + i)] = Array{i, Object{{"v", i}}};
  expect_round_trip(Object{{"fix", fix}, {"a16", a16}, {"a32", a32}, {"m16", m16}, {"empty_a", Array{}}, {"empty_o", Object{}}});
  Object m32;
  for (int i = 0; i < 70000; ++i) m32["f" + std::to_string(100000 + i)] = i;
  expect_round_trip(m32);
  expect_round_trip(Object{});
}

TEST(DecodeCopy, DeepNesting) {
  Value inner = Object{{"leaf", "x"}};
  for (int i = 0; i < 90; ++i) inner = i % 2 == 0 ? Value(Array{inner, i}) : Value(Object{{"a", inner}, {"n", i}});
  expect_round_trip(Object{{"deep", inner}});
}

TEST(DecodeCopy, ForeignKeysOutOfOrderAreReencodedThenDecoded) {
  // {"b": 1, "a": {"z": 2, "y": 3}} as another writer might produce it:
  // refused by the gate, repaired by make_checked_document, then decoded.
  std::string bytes = raw({0x82, 0xa1, 'b', 0x01, 0xa1, 'a', 0x82, 0xa1, 'z', 0x02, 0xa1, 'y', 0x03});
  EXPECT_FALSE(scan::check_document(bytes, kDepth).is_ok());
  ASSERT_TRUE(make_checked_document(bytes, kDepth).is_ok());
  ASSERT_TRUE(scan::check_document(bytes, kDepth).is_ok());
  const Object expected{{"a", Object{{"y", 3}, {"z", 2}}}, {"b", 1}};
  EXPECT_EQ(Value(scan::decode_object(scan::bytes_of(bytes))), Value(expected));
  // Keys decoded in order: iteration follows the sorted names.
  const Object decoded = scan::decode_object(scan::bytes_of(bytes));
  EXPECT_EQ(decoded.begin()->first, "a");
  EXPECT_EQ(decoded.rbegin()->first, "b");
}

TEST(DecodeCopy, ForeignRepeatedKeysAreRefusedWithAReason) {
  std::string bytes = raw({0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02});
  const Status gate = scan::check_document(bytes, kDepth);
  ASSERT_FALSE(gate.is_ok());
  EXPECT_NE(gate.message().find("repeated map key"), std::string::npos) << gate.message();
  const Status repaired = make_checked_document(bytes, kDepth);
  ASSERT_FALSE(repaired.is_ok());
  EXPECT_EQ(repaired.code(), StatusCode::kCorruption);
  EXPECT_NE(repaired.message().find("duplicate map key"), std::string::npos) << repaired.message();
}

TEST(DecodeCopy, Float32IsReadAsDouble) {
  // {"f": float32 1.5, "g": float32 -0.25}: our encoder never writes float32,
  // another writer may.
  const std::string bytes = raw({0x82, 0xa1, 'f', 0xca, 0x3f, 0xc0, 0x00, 0x00, 0xa1, 'g', 0xca, 0xbe, 0x80, 0x00, 0x00});
  ASSERT_TRUE(scan::check_document(bytes, kDepth).is_ok());
  const Object decoded = scan::decode_object(scan::bytes_of(bytes));
  EXPECT_EQ(Value(decoded), Value(Object{{"f", 1.5}, {"g", -0.25}}));
}

TEST(DecodeCopy, NonCanonicalWidthsDecodeToTheirValues) {
  // Widths wider than needed (uint64 for 5, str8 for "ab", map16 and
  // array32 for small counts) are valid msgpack and must read the same.
  const std::string bytes = raw({0xde, 0x00, 0x02,                                           // map16, 2 fields
                                 0xd9, 0x01, 'a', 0xcf, 0, 0, 0, 0, 0, 0, 0, 5,              // "a": uint64 5
                                 0xd9, 0x01, 'b', 0xdd, 0, 0, 0, 2, 0xd9, 0x02, 'a', 'b', 0xd0, 0xff});  // "b": ["ab", -1]
  ASSERT_TRUE(scan::check_document(bytes, kDepth).is_ok());
  const Object decoded = scan::decode_object(scan::bytes_of(bytes));
  EXPECT_EQ(Value(decoded), Value(Object{{"a", 5}, {"b", Array{"ab", -1}}}));
  EXPECT_TRUE(decoded.at("a").is_int());
}

TEST(DecodeCopy, TheBenchmarksDocumentsDecodeLikeTheBoundedDecoder) {
  for (std::uint64_t seq = 0; seq < 2000; ++seq) {
    const Document doc = bench::make_document(seq);
    const std::string bytes = encode(doc);
    ASSERT_TRUE(scan::check_document(bytes, kDepth).is_ok());
    const Object decoded = scan::decode_object(scan::bytes_of(bytes));
    ASSERT_EQ(Value(decoded), Value(doc)) << seq;
    ASSERT_EQ(Value(decoded), Value(*decode_document(bytes, kDepth))) << seq;
  }
}

// Through the Store: what get, lookup and lookup_range hand out.
TEST(DecodeCopy, StoreReadsReturnEqualIndependentCopies) {
  auto store = Store::open_in_memory();
  ASSERT_TRUE(store.is_ok());
  ASSERT_TRUE(store->create_index("by_city", {"city"}).is_ok());
  ASSERT_TRUE(store->create_index("by_seq", {"seq"}).is_ok());
  std::vector<std::string> ids;
  constexpr std::uint64_t kDocs = 600;
  for (std::uint64_t seq = 0; seq < kDocs; ++seq) {
    auto written = store->insert(bench::make_document(seq));
    ASSERT_TRUE(written.is_ok()) << written.status().message();
    ids.push_back(written->id);
  }
  for (std::uint64_t seq = 0; seq < kDocs; seq += 7) {
    auto got = store->get(ids[seq]);
    ASSERT_TRUE(got.is_ok());
    EXPECT_EQ(Value(got->data), Value(bench::make_document(seq)));
    EXPECT_EQ(got->id, ids[seq]);
    got->data["city"] = "changed";  // the copy is the caller's
    auto again = store->get(ids[seq]);
    EXPECT_EQ(Value(again->data), Value(bench::make_document(seq)));
  }
  // Every document of one city, in id order, each equal to its source.
  const std::string city = bench::city_name(3);
  auto found = store->lookup("by_city", {city});
  ASSERT_TRUE(found.is_ok());
  std::size_t expected = 0;
  for (std::uint64_t seq = 0; seq < kDocs; ++seq) expected += bench::make_document(seq).at("city") == Value(city);
  ASSERT_EQ(found->size(), expected);
  ASSERT_GT(expected, 1U);
  for (std::size_t i = 0; i < found->size(); ++i) {
    const DocumentResult& r = (*found)[i];
    const auto seq = static_cast<std::uint64_t>(r.data.at("seq").as_int());
    EXPECT_EQ(r.id, ids[seq]);
    EXPECT_EQ(Value(r.data), Value(bench::make_document(seq)));
    if (i > 0) {
      EXPECT_LT((*found)[i - 1].id, r.id);
    }
  }
  // A range of seq: results in seq order, each the document of its seq.
  auto range = store->lookup_range("by_seq", {100}, {199});
  ASSERT_TRUE(range.is_ok());
  ASSERT_EQ(range->size(), 100U);
  for (std::size_t i = 0; i < range->size(); ++i) {
    EXPECT_EQ((*range)[i].id, ids[100 + i]);
    EXPECT_EQ(Value((*range)[i].data), Value(bench::make_document(100 + i)));
  }
  // A view's deep copy decodes the same bytes.
  auto view = store->get_view(ids[42]);
  ASSERT_TRUE(view.is_ok());
  EXPECT_EQ(Value(view->to_document()), Value(bench::make_document(42)));
}

}  // namespace
}  // namespace snapstore::value
