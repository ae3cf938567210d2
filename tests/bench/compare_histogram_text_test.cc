// bench/compare's histogram as text, the way the insert child hands its
// latencies to the parent: a round trip keeps every percentile, and text the
// histogram did not write is refused rather than half-read.
#include <gtest/gtest.h>

#include "bench/compare/report.h"

namespace compare {
namespace {

TEST(CompareHistogramText, RoundTripKeepsThePercentiles) {
  Histogram h;
  for (std::uint64_t nanos = 1; nanos <= 5000; ++nanos) h.record(nanos * 37);
  h.record(1ULL << 60);
  Histogram back;
  ASSERT_TRUE(back.parse(h.to_text()));
  EXPECT_EQ(back.count(), h.count());
  for (const double fraction : {0.0, 0.5, 0.99, 1.0}) {
    EXPECT_EQ(back.percentile_nanos(fraction), h.percentile_nanos(fraction)) << fraction;
  }
  Histogram empty;
  ASSERT_TRUE(back.parse(empty.to_text()));
  EXPECT_EQ(back.count(), 0u);
}

TEST(CompareHistogramText, ForeignTextIsRefusedAndChangesNothing) {
  Histogram h;
  h.record(1000);
  for (const char* text : {"12", "12:x", "x:1", "99999:1", "3:4:5", "3;4"}) {
    EXPECT_FALSE(h.parse(text)) << text;
    EXPECT_EQ(h.count(), 1u) << text;
  }
}

}  // namespace
}  // namespace compare
