// Helpers of the change-feed tests (tests/engine/change_feed_test.cc,
// tests/concurrency/change_feed_race_test.cc): store options that send a
// lagging feed to the WAL files, and draining a feed with its order checked.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "snapstore/change.h"
#include "snapstore/store.h"

namespace snapstore::testutil {

// Everything a feed has now, checking that revisions follow on from `after`.
inline std::vector<Change> drain(ChangeFeed& feed, std::uint64_t after) {
  std::vector<Change> all;
  std::uint64_t expected = after + 1;
  for (;;) {
    auto batch = feed.next(64);
    EXPECT_TRUE(batch) << batch.status().message();
    if (!batch || batch->empty()) return all;
    for (Change& c : *batch) {
      EXPECT_EQ(c.revision, expected) << "a change is missing, duplicated or out of order";
      expected = c.revision + 1;
      EXPECT_LE(c.batch_first_revision, c.revision);
      EXPECT_GE(c.batch_last_revision, c.revision);
      all.push_back(std::move(c));
    }
  }
}

inline Options feed_options() {
  Options options;
  options.durability = Durability::kNone;
  options.wal_segment_bytes = 16 << 10;
  options.change_buffer_bytes = 8 << 10;  // small: readers that fall behind read the files
  return options;
}

}  // namespace snapstore::testutil
