// Power cuts at many points of a workload, in every durability mode and
// with every way a disk can lose unsynced data (FAULTS.md F2, F3, F5, F9):
// the crash oracle holds after recovery, recovering twice changes nothing,
// and a crash during recovery followed by another recovery gives the same
// state (F10).
//
// Every mode and every crash point runs; of the three workload seeds per
// crash point, and of the recovery's I/O calls, a seeded sample (all with
// SNAPSTORE_LONG_FAULTS=1; fault_sample.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fault/fault_env.h"
#include "fault_rig.h"
#include "fault_sample.h"

namespace snapstore::testutil {
namespace {

using fault::PowerCut;

struct Case {
  Durability durability;
  PowerCut cut;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.durability == Durability::kSync       ? "Sync"
                     : info.param.durability == Durability::kPeriodic ? "Periodic"
                                                                      : "None";
  std::string cut(fault::to_string(info.param.cut));
  cut.erase(std::remove(cut.begin(), cut.end(), '-'), cut.end());
  return name + "_" + cut;
}

class PowerLossTest : public ::testing::TestWithParam<Case> {};

TEST_P(PowerLossTest, OracleHoldsAfterACutAtManyPointsOfAWorkload) {
  const Case c = GetParam();
  const Options options = small_store_options(c.durability);
  FaultSample sample;
  for (const int crash_after : {0, 1, 3, 8, 21, 55, 144}) {
    // The workload's seeds are alike: one of them unless all run.
    const std::uint64_t only = 1 + sample.below(3);
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      if (!sample.full() && seed != only) continue;
      const std::string context = "crash after " + std::to_string(crash_after) + " ops, seed " + std::to_string(seed) +
                                  ", " + sample.describe();
      FaultRig rig(seed * 7919 + static_cast<std::uint64_t>(crash_after));
      SequentialWorkload work(seed, c.durability);
      {
        auto store = rig.open(options);
        ASSERT_TRUE(store) << context << ": " << store.status().message();
        for (int i = 0; i < crash_after && work.step(*store); ++i) {
        }
        ASSERT_TRUE(work.failure().is_ok()) << context << ": " << work.failure().message();
        rig.state().power_off();  // the crash: nothing after this reaches the disk
      }
      ASSERT_TRUE(rig.state().power_cut(c.cut)) << context;

      std::string recovered;
      {
        auto store = rig.open(options);
        ASSERT_TRUE(store) << context << ": " << store.status().message();
        expect_oracle_holds(work.history(), *store, context);
        recovered = store_state(*store);
      }
      auto again = rig.open(options);
      ASSERT_TRUE(again) << context << ": " << again.status().message();
      EXPECT_EQ(store_state(*again), recovered) << context << ": a second recovery changed the state";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, PowerLossTest,
                         ::testing::Values(Case{Durability::kSync, PowerCut::kDropUnsynced},
                                           Case{Durability::kSync, PowerCut::kDropRandomSuffix},
                                           Case{Durability::kSync, PowerCut::kKeepRandomSubset},
                                           Case{Durability::kPeriodic, PowerCut::kKeepRandomSubset},
                                           Case{Durability::kNone, PowerCut::kDropUnsynced},
                                           Case{Durability::kNone, PowerCut::kKeepRandomSubset}),
                         case_name);

// F10: the power fails again at every I/O call of a recovery; whatever that
// interrupted recovery did, the next one ends in the same state as a
// recovery that was never interrupted.
TEST(RecoveryCrashTest, ACrashDuringRecoveryThenRecoveryGivesTheSameState) {
  const Options options = small_store_options(Durability::kSync);
  TempDir scratch;
  const std::string pristine = scratch / "pristine";
  std::string reference;
  {
    FaultRig rig(11);
    SequentialWorkload work(11, Durability::kSync);
    {
      auto store = rig.open(options);
      ASSERT_TRUE(store) << store.status().message();
      for (int i = 0; i < 60 && work.step(*store); ++i) {
      }
      rig.state().power_off();
    }
    ASSERT_TRUE(rig.state().power_cut(PowerCut::kKeepRandomSubset));
    std::filesystem::copy(rig.dir(), pristine, std::filesystem::copy_options::recursive);
    auto store = rig.open(options);
    ASSERT_TRUE(store) << store.status().message();
    expect_oracle_holds(work.history(), *store, "uninterrupted recovery");
    reference = store_state(*store);
  }
  std::uint64_t recovery_calls = 0;
  std::vector<std::string> places;
  {
    FaultRig rig(12);
    std::filesystem::copy(pristine, rig.dir(), std::filesystem::copy_options::recursive);
    rig.state().set_path_filter([&places](std::string_view path) {
      places.push_back(call_place(path));
      return true;
    });
    const auto before = rig.state().calls();
    auto store = rig.open(options);
    ASSERT_TRUE(store) << store.status().message();
    recovery_calls = rig.state().calls() - before;
    store->close();
    rig.state().set_path_filter({});
  }
  ASSERT_GT(recovery_calls, 3U);
  places.resize(recovery_calls);
  FaultSample sample;
  for (const std::uint64_t n : calls_to_fail(places, sample, 3)) {
    const std::string context = "power lost at I/O call " + std::to_string(n) + " of recovery (" + places[n - 1] +
                                "), " + sample.describe();
    FaultRig rig(100 + n);
    std::filesystem::copy(pristine, rig.dir(), std::filesystem::copy_options::recursive);
    rig.state().fail_call(n, fault::IoError::kEio, /*forever=*/true);
    {
      auto store = rig.open(options);  // fails, or opens on a dead disk
      rig.state().power_off();
    }
    ASSERT_TRUE(rig.state().power_cut(PowerCut::kDropUnsynced)) << context;
    auto store = rig.open(options);
    ASSERT_TRUE(store) << context << ": " << store.status().message();
    EXPECT_EQ(store_state(*store), reference) << context;
  }
}

}  // namespace
}  // namespace snapstore::testutil
