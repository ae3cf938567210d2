// KeySummary and IdOrder, the compact orders index entries keep: whenever
// one decides a comparison it must agree with the full comparison
// (compare_keys, compare_to_bound, the ids' bytes), and it must decide the
// cases it exists for.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/id_generator.h"
#include "index/id_order.h"
#include "index/key_summary.h"

namespace snapstore::index {
namespace {

int sign(int c) { return c < 0 ? -1 : c > 0 ? 1 : 0; }

std::vector<Key> edge_keys() {
  const double nan = std::nan("");
  const std::vector<Value> values = {
      0, 0.0, -0.0, 1, 1.0, -1, -1.5, 0.5, 1e-300, -1e-300, 1e300, nan, std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(), (std::int64_t{1} << 53), (std::int64_t{1} << 53) + 1,
      static_cast<double>(std::int64_t{1} << 53), std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::uint64_t>::max(), 1.0000000000000002, true,
      false, "", "a", std::string("a\0", 2), "abcdefg", "abcdefgh", "abcdefgi", std::string("abcdefg\0", 8), "\xff",
      Binary(std::vector<std::uint8_t>{1}), Array{1}, Object{{"a", 1}}};
  std::vector<Key> keys = {Key{}};
  for (const Value& v : values) {
    keys.push_back(Key{v});
    keys.push_back(Key{v, 1});
  }
  return keys;
}

TEST(KeySummaryTest, AgreesWithCompareKeysAndCompareToBoundWheneverItDecides) {
  const std::vector<Key> keys = edge_keys();
  std::size_t decided = 0;
  for (const Key& a : keys) {
    for (const Key& b : keys) {
      const int c = KeySummary::compare(KeySummary(a), KeySummary(b));
      if (c == KeySummary::kUndecided) continue;
      ++decided;
      EXPECT_EQ(c, sign(compare_keys(a, b))) << a.size() << "-value key against " << b.size();
      if (!b.empty()) {
        EXPECT_EQ(c, sign(compare_to_bound(a, b))) << "as a bound";
      }
    }
  }
  EXPECT_GT(decided, keys.size() * keys.size() / 2);
}

TEST(KeySummaryTest, DecidesEqualityOfShortStringsAndSmallNumbers) {
  EXPECT_EQ(KeySummary::compare(KeySummary(Key{"city-07"}), KeySummary(Key{"city-07"})), 0);
  EXPECT_EQ(KeySummary::compare(KeySummary(Key{42}), KeySummary(Key{42.0})), 0);
  EXPECT_EQ(KeySummary::compare(KeySummary(Key{-1}), KeySummary(Key{-1.0})), 0);
  EXPECT_EQ(KeySummary::compare(KeySummary(Key{-0.5}), KeySummary(Key{-0.5})), 0);
  EXPECT_EQ(KeySummary::compare(KeySummary(Key{-0.0}), KeySummary(Key{0})), 0);
  EXPECT_EQ(KeySummary::compare(KeySummary(Key{"city-077"}), KeySummary(Key{"city-077"})), KeySummary::kUndecided);
  EXPECT_EQ(KeySummary::compare(KeySummary(Key{"a", 1}), KeySummary(Key{"a", 1})), KeySummary::kUndecided);
}

// Entries whose summary is exact keep no key: the value rebuilt from the
// summary stands in for it wherever keys are compared.
TEST(KeySummaryTest, AnExactSummaryGivesBackAValueEqualToItsKey) {
  std::size_t exact = 0;
  for (const Key& key : edge_keys()) {
    const KeySummary summary(key);
    if (!summary.exact() || key.empty()) continue;
    ++exact;
    const Key rebuilt{summary.value()};
    EXPECT_EQ(compare_keys(rebuilt, key), 0) << key.front();
    EXPECT_EQ(KeySummary::compare(KeySummary(rebuilt), summary), 0) << key.front();
    for (const Key& other : edge_keys()) {
      EXPECT_EQ(sign(compare_keys(rebuilt, other)), sign(compare_keys(key, other))) << key.front();
      if (!other.empty()) {
        EXPECT_EQ(sign(compare_to_bound(rebuilt, other)), sign(compare_to_bound(key, other)));
      }
    }
  }
  // Both bools, 13 exact numbers (0, 0.0, -0.0, 1, 1.0, -1, -1.5, 0.5,
  // NaN, both infinities, 2^53 as an integer and as a double) and 4 short strings.
  EXPECT_EQ(exact, 19U);
  EXPECT_EQ(KeySummary(Key{Value()}).value(), Value());
  EXPECT_EQ(KeySummary(Key{"city-07"}).value(), Value("city-07"));
  EXPECT_EQ(KeySummary(Key{-1.5}).value(), Value(-1.5));
  EXPECT_EQ(KeySummary(Key{42}).value(), Value(42.0));
  EXPECT_FALSE(KeySummary(Key{"city-077"}).exact());
  EXPECT_FALSE(KeySummary(Key{"a", 1}).exact());
}

std::vector<std::string> edge_ids() {
  std::vector<std::string> ids = {"",
                                  "a",
                                  std::string("a\0", 2),
                                  "ab",
                                  "0123456789abcdef",
                                  "0123456789abcdef0",
                                  std::string("0123456789abcde\0", 16),
                                  "\xff\xff",
                                  "0190a1b2-c3d4-7e5f-8a9b-0123456789ab",
                                  "0190a1b2-c3d4-7e5f-8a9b-0123456789ac",
                                  "0190a1b2-c3d4-7e5f-8a9b-ffffffffffff",
                                  "ffffffff-ffff-ffff-ffff-ffffffffffff",
                                  "00000000-0000-0000-0000-000000000000",
                                  "0190A1B2-C3D4-7E5F-8A9B-0123456789AB",  // uppercase: not packed
                                  "0190a1b2-c3d4-7e5f-8a9b-0123456789ag",  // not hex
                                  "0190a1b2xc3d4-7e5f-8a9b-0123456789ab",  // a dash missing
                                  "0190a1b2-c3d4-7e5f-8a9b-0123456789a",   // 35 bytes
                                  "0190a1b2-c3d4-7e5f-8a9b-0123456789abc"};
  for (int i = 0; i < 20; ++i) ids.push_back(engine::next_document_id());
  return ids;
}

TEST(IdOrderTest, AgreesWithTheIdsBytesWheneverItDecides) {
  const std::vector<std::string> ids = edge_ids();
  for (const std::string& a : ids) {
    for (const std::string& b : ids) {
      const int c = IdOrder::compare(IdOrder(a), IdOrder(b));
      if (c == IdOrder::kUndecided) continue;
      EXPECT_EQ(c, sign(a.compare(b))) << "'" << a << "' against '" << b << "'";
    }
  }
}

TEST(IdOrderTest, DecidesEveryPairOfCanonicalUuidsAndOfDistinctPrefixes) {
  std::vector<std::string> uuids;
  for (int i = 0; i < 200; ++i) uuids.push_back(engine::next_document_id());  // many within one millisecond
  for (const std::string& a : uuids) {
    for (const std::string& b : uuids) {
      EXPECT_EQ(IdOrder::compare(IdOrder(a), IdOrder(b)), sign(a.compare(b))) << a << " against " << b;
    }
  }
  EXPECT_EQ(IdOrder::compare(IdOrder("id-1"), IdOrder("id-2")), -1);
  EXPECT_EQ(IdOrder::compare(IdOrder("shared-16-bytes-1"), IdOrder("shared-16-bytes-2")), IdOrder::kUndecided);
  EXPECT_EQ(IdOrder::compare(IdOrder("ab"), IdOrder(std::string("ab\0", 3))), IdOrder::kUndecided);
}

// Every character of a UUID, one at a time: the digits '0', '9', 'a', 'f'
// keep it a UUID that orders as the text does; anything else (uppercase,
// the neighbours of each digit range, bytes with the top bit, NUL, a dash
// out of place) makes it an id that only its bytes can order against one.
TEST(IdOrderTest, PacksOnlyLowercaseHexDigitsWithDashesInPlace) {
  const std::string base = "0190a1b2-c3d4-7e5f-8a9b-0123456789ab";
  const IdOrder reference(base);
  for (std::size_t at = 0; at < base.size(); ++at) {
    const bool dash = at == 8 || at == 13 || at == 18 || at == 23;
    for (const char c : {'0', '9', 'a', 'f', 'g', 'A', 'F', '/', ':', '`', '@', '-', '\0', '\x80', '\xff'}) {
      std::string id = base;
      id[at] = c;
      const bool uuid = dash ? c == '-' : std::string_view("0123456789abcdef").find(c) != std::string_view::npos;
      const int expected = uuid ? sign(id.compare(base)) : IdOrder::kUndecided;
      EXPECT_EQ(IdOrder::compare(IdOrder(id), reference), expected) << "'" << c << "' at " << at;
    }
  }
}

}  // namespace
}  // namespace snapstore::index
