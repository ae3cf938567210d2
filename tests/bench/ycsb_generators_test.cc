// bench/compare's YCSB generators against YCSB's definitions: the key names
// YCSB's own load writes, the zipfian's shape (item i drawn with
// probability 1 / ((i + 1)^0.99 * zeta(n))), the scrambled zipfian's
// hottest key and share, "latest" peaking at the newest record, the
// acknowledged counter's contiguous limit, the workloads' proportions, and
// the key ranges snapstore scans through (KeyBlocks).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/compare/ycsb_generators.h"

namespace compare::ycsb {
namespace {

TEST(YcsbKeys, NamesAreYcsbsHashedKeys) {
  // The first keys of every YCSB load with the default workload properties.
  EXPECT_EQ(key_name(0), "user6284781860667377211");
  EXPECT_EQ(key_name(1), "user8517097267634966620");
  EXPECT_EQ(key_name(2), "user1820151046732198393");
  EXPECT_GE(fnvhash64(12345), 0);
}

TEST(YcsbZipfian, ItemFrequenciesFollowTheZipfLaw) {
  constexpr std::uint64_t kItems = 1000;
  constexpr int kDraws = 400'000;
  Zipfian zipfian(0, kItems - 1);
  Random random(42);
  std::vector<int> counts(kItems, 0);
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t item = zipfian.next(random);
    ASSERT_LT(item, kItems);
    ++counts[item];
  }
  const double zetan = Zipfian::zeta(0, kItems, kZipfianConstant, 0);
  // Items 0 and 1 are drawn exactly; the rest by Gray et al.'s
  // approximation, which keeps the law's shape over ranges of items.
  for (const std::uint64_t item : {0u, 1u}) {
    const double expected = kDraws / (std::pow(item + 1.0, kZipfianConstant) * zetan);
    EXPECT_NEAR(counts[item], expected, expected * 0.03) << "item " << item;
  }
  const auto share = [&](std::uint64_t from, std::uint64_t to) {
    int drawn = 0;
    double expected = 0;
    for (std::uint64_t i = from; i < to; ++i) {
      drawn += counts[i];
      expected += 1 / (std::pow(i + 1.0, kZipfianConstant) * zetan);
    }
    return std::pair{static_cast<double>(drawn) / kDraws, expected};
  };
  for (const auto& [from, to] : {std::pair{2u, 10u}, std::pair{10u, 100u}, std::pair{100u, 1000u}}) {
    const auto [drawn, expected] = share(from, to);
    EXPECT_NEAR(drawn, expected, expected * 0.1) << "items " << from << ".." << to;
  }
  // Heavy head: item 0 about (i + 1)^0.99 times as often as item i.
  EXPECT_GT(counts[0], 5 * counts[9]);
}

TEST(YcsbZipfian, ZetaGrowsIncrementally) {
  const double whole = Zipfian::zeta(0, 5000, kZipfianConstant, 0);
  const double in_two = Zipfian::zeta(2000, 5000, kZipfianConstant, Zipfian::zeta(0, 2000, kZipfianConstant, 0));
  EXPECT_NEAR(whole, in_two, 1e-9);
  // A generator asked for more items than it was built for still answers in range.
  Zipfian zipfian(0, 99);
  Random random(3);
  for (int i = 0; i < 10'000; ++i) EXPECT_LE(zipfian.next(random, 1000), 1000u);
}

TEST(YcsbScrambledZipfian, TheHottestKeyIsItemZeroHashed) {
  constexpr std::uint64_t kItems = 10'000;
  constexpr int kDraws = 100'000;
  ScrambledZipfian scrambled(0, kItems - 1);
  Random random(7);
  std::map<std::uint64_t, int> counts;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t item = scrambled.next(random);
    ASSERT_LT(item, kItems);
    ++counts[item];
  }
  const auto hottest = std::max_element(counts.begin(), counts.end(),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
  EXPECT_EQ(hottest->first, static_cast<std::uint64_t>(fnvhash64(0)) % kItems);
  // Item 0 of a zipfian over 10^10 items: 1 / zeta(10^10) = 3.78% of the draws.
  EXPECT_NEAR(static_cast<double>(hottest->second) / kDraws, 1 / ScrambledZipfian::kZetan, 0.004);
  // Scrambled: the hot keys are not bunched at the low end.
  int low_tenth = 0;
  for (const auto& [item, count] : counts) low_tenth += item < kItems / 10 ? count : 0;
  EXPECT_LT(low_tenth, kDraws / 4);
}

TEST(YcsbSkewedLatest, TheNewestRecordIsTheHottest) {
  constexpr std::uint64_t kLast = 999;
  SkewedLatest latest(kLast);
  Random random(11);
  std::map<std::uint64_t, int> counts;
  constexpr int kDraws = 100'000;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t keynum = latest.next(random, kLast);
    ASSERT_LE(keynum, kLast);
    ++counts[keynum];
  }
  EXPECT_GT(counts[kLast], counts[kLast - 1]);
  EXPECT_GT(counts[kLast - 1], counts[kLast - 10]);
  EXPECT_NEAR(static_cast<double>(counts[kLast]) / kDraws, 1 / Zipfian::zeta(0, kLast, kZipfianConstant, 0), 0.01);
  // After inserts the peak follows the newest record.
  std::uint64_t at_new_last = 0;
  for (int i = 0; i < 10'000; ++i) at_new_last += latest.next(random, 1500) == 1500 ? 1 : 0;
  EXPECT_GT(at_new_last, 1000u);
}

TEST(YcsbAcknowledgedCounter, TheLimitWaitsForEveryEarlierInsert) {
  AcknowledgedCounter counter(100);
  EXPECT_EQ(counter.last(), 99u);
  const std::uint64_t a = counter.next();
  const std::uint64_t b = counter.next();
  const std::uint64_t c = counter.next();
  EXPECT_EQ(a, 100u);
  counter.acknowledge(c);
  counter.acknowledge(b);
  EXPECT_EQ(counter.last(), 99u);  // 100 is still in flight
  counter.acknowledge(a);
  EXPECT_EQ(counter.last(), 102u);
}

TEST(YcsbKeyBlocks, RangesHoldEveryLaterKeyOnceInOrder) {
  // Keys as YCSB makes them, plus short ones that sit between blocks.
  std::set<std::string> keys;
  for (std::uint64_t keynum = 0; keynum < 2000; ++keynum) keys.insert(key_name(keynum));
  for (const char* odd : {"user5", "user12", "user999", "user0", "user9999999999999999999"}) keys.insert(odd);
  Random random(5);
  for (int trial = 0; trial < 60; ++trial) {
    auto start = keys.begin();
    std::advance(start, static_cast<std::ptrdiff_t>(random.next() % keys.size()));
    const int digits = 1 + static_cast<int>(random.next() % 4);
    std::vector<std::string> seen;
    KeyBlocks blocks(*start, digits);
    std::string previous_hi;
    do {
      EXPECT_LE(blocks.lo(), blocks.hi());
      if (!previous_hi.empty()) {
        EXPECT_EQ(blocks.lo(), previous_hi);  // no gap between ranges
      }
      previous_hi = blocks.hi();
      for (auto it = keys.lower_bound(blocks.lo()); it != keys.end() && *it <= blocks.hi(); ++it) seen.push_back(*it);
    } while (blocks.next());
    const std::vector<std::string> expected(start, keys.end());
    EXPECT_EQ(seen, expected) << "from " << *start << ", " << digits << " digits";
  }
}

}  // namespace
}  // namespace compare::ycsb
