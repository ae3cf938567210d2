// Every named kill point (base/kill_point.h): the power fails exactly there
// — during a workload that rolls segments and checkpoints, or during the
// recovery that follows — and the next recovery satisfies the crash oracle
// (FAULTS.md F9, F10). Each point must actually be reached, so a point that
// moves out of the code path fails here.
//
// Every point is cut at its first hit; its 2nd and 4th hits (later in the
// workload, after segments rolled) for a seeded third of the points, and for
// all of them with SNAPSTORE_LONG_FAULTS=1 (fault_sample.h).
#include "base/kill_point.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "fault/fault_env.h"
#include "fault/torn_tail.h"
#include "fault_rig.h"
#include "fault_sample.h"

namespace snapstore::testutil {
namespace {

class KillPointTest : public ::testing::TestWithParam<std::string_view> {
 protected:
  void TearDown() override { base::set_kill_point_handler({}); }
};

TEST_P(KillPointTest, PowerCutAtThePointLosesNothingAcknowledged) {
  const std::string point(GetParam());
#ifndef SNAPSTORE_KILL_POINTS
  GTEST_SKIP() << "built without SNAPSTORE_KILL_POINTS";
#endif
  const Options options = small_store_options(Durability::kSync);
  FaultSample sample;
  std::vector<int> hits{1};
  if (sample.pick(3)) {
    hits.push_back(2);
    hits.push_back(4);
  }
  for (const int hit : hits) {
    const std::string context = point + " (hit " + std::to_string(hit) + ", " + sample.describe() + ")";
    FaultRig rig(static_cast<std::uint64_t>(hit));
    SequentialWorkload work(static_cast<std::uint64_t>(hit), Durability::kSync);
    std::atomic<int> reached{0};
    base::set_kill_point_handler([&](std::string_view at) {
      if (at == point && ++reached == hit) rig.state().power_off();
    });
    {
      // The first open meets the roll and recovery points too, and may fail.
      auto store = rig.open(options);
      if (store) {
        for (int i = 0; i < 80 && work.step(*store); ++i) {
          if (i % 20 == 19) (void)store->checkpoint();
        }
      } else {
        EXPECT_EQ(store.code(), StatusCode::kIOError) << context << ": " << store.status().message();
      }
      rig.state().power_off();
    }
    ASSERT_TRUE(rig.state().power_cut(fault::PowerCut::kDropUnsynced)) << context;
    // A tail for recovery to cut (and so reach its truncation points).
    ASSERT_TRUE(fault::tear_wal_tail(rig.dir())) << context;
    // The recovery meets the point too (recovery.* points fire here).
    {
      auto store = rig.open(options);  // fails, or opens on a dead disk
      rig.state().power_off();
    }
    base::set_kill_point_handler({});
    ASSERT_TRUE(rig.state().power_cut(fault::PowerCut::kDropUnsynced)) << context;
    EXPECT_GE(reached.load(), 1) << context << ": the kill point was never reached";
    auto store = rig.open(options);
    ASSERT_TRUE(store) << context << ": " << store.status().message();
    expect_oracle_holds(work.history(), *store, context);
  }
}

INSTANTIATE_TEST_SUITE_P(AllPoints, KillPointTest, ::testing::ValuesIn(base::kKillPoints),
                         [](const ::testing::TestParamInfo<std::string_view>& info) {
                           std::string name(info.param);
                           for (char& c : name) {
                             if (c == '.') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace snapstore::testutil
