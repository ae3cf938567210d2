// I/O errors at every I/O call of a short workload, failing once or forever,
// with EIO or ENOSPC (FAULTS.md F8): the failing write is never acknowledged,
// the store stops acknowledging writes (fail-stop, even when the disk would
// work again), reads go on, and after a restart the crash oracle holds.
//
// By default a seeded sample of the calls is failed (fault_sample.h): the
// first call of each distinct move from one file to the next (each file's
// creation, each way the run reaches the WAL, the mirror, a checkpoint) and
// one in eight of the rest, one way each (once or forever alternating).
// SNAPSTORE_LONG_FAULTS=1 fails every call that way; SNAPSTORE_FAULT_SWEEP=full
// fails every call both ways.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "fault/fault_env.h"
#include "fault_rig.h"
#include "fault_sample.h"

namespace snapstore::testutil {
namespace {

constexpr int kOps = 40;

// Opens, runs the workload and closes, with the Nth call failing; returns
// the history for the oracle. `places` (the dry run's) receives where each
// counted call landed.
void run_with_failure(FaultRig& rig, SequentialWorkload& work, const Options& options, std::uint64_t nth,
                      fault::IoError error, bool forever, const std::string& context,
                      std::vector<std::string>* places = nullptr) {
  // The info log swallows its own failures (info_log_test covers them);
  // sweeping its many small writes would only multiply the runs.
  rig.state().set_path_filter([places](std::string_view path) {
    if (fault::is_info_log(path)) return false;
    if (places != nullptr) places->push_back(call_place(path));
    return true;
  });
  if (nth > 0) rig.state().fail_call(nth, error, forever);
  auto store = rig.open(options);
  if (!store) {
    EXPECT_EQ(store.status().code(), StatusCode::kIOError) << context << ": " << store.status().message();
    return;
  }
  for (int i = 0; i < kOps && work.step(*store); ++i) {
  }
  if (!work.failure().is_ok()) {
    EXPECT_EQ(work.failure().code(), StatusCode::kIOError) << context << ": " << work.failure().message();
    // Fail-stop: no later write is acknowledged, whether or not the disk
    // would take it now.
    const Document after{{"written", "after the failure"}};
    const auto ticket = work.history().issue(fault::WorkloadOp{fault::OpKind::kInsert, {}, after, {}});
    auto late = store->insert(after);
    EXPECT_FALSE(late) << context << ": a write was acknowledged after an I/O error";
    if (late) work.history().acknowledged(ticket, late->id, store->revision());
    EXPECT_EQ(store->flush().code(), StatusCode::kIOError) << context;
    // Reads keep working.
    EXPECT_TRUE(store->read()) << context;
    EXPECT_GE(store->size(), 0U);
  }
  store->close();
}

void sweep(Durability durability) {
  const Options options = small_store_options(durability);
  // A dry run counts the calls the workload makes, and where they land.
  std::uint64_t total = 0;
  std::vector<std::string> places;
  {
    FaultRig rig(1);
    SequentialWorkload work(1, durability);
    run_with_failure(rig, work, options, 0, fault::IoError::kEio, false, "dry run", &places);
    total = rig.state().calls();
  }
  ASSERT_GT(total, 50U);
  FaultSample sample;
  const std::vector<std::uint64_t> calls = calls_to_fail(places, sample, 8);
  const char* sweep_mode = std::getenv("SNAPSTORE_FAULT_SWEEP");
  const bool full = sweep_mode != nullptr && std::string(sweep_mode) == "full";
  std::uint64_t failed_writes = 0;
  std::uint64_t runs = 0;
  for (const std::uint64_t n : calls) {
    for (const bool forever : {false, true}) {
      if (!full && forever != (n % 2 == 1)) continue;
      ++runs;
      const auto error = (n / 2) % 2 ? fault::IoError::kEio : fault::IoError::kEnospc;
      const std::string context = "I/O call " + std::to_string(n) + " of " + std::to_string(total) + " (" +
                                  (n <= places.size() ? places[n - 1] : "?") + ") failing " +
                                  (forever ? "forever" : "once") +
                                  (error == fault::IoError::kEio ? " with EIO" : " with ENOSPC") + ", " +
                                  sample.describe();
      FaultRig rig(n);
      SequentialWorkload work(1, durability);
      run_with_failure(rig, work, options, n, error, forever, context);
      if (!work.failure().is_ok()) ++failed_writes;
      rig.state().power_off();
      ASSERT_TRUE(rig.state().power_cut(fault::PowerCut::kDropUnsynced)) << context;
      auto store = rig.open(options);
      ASSERT_TRUE(store) << context << ": reopening failed: " << store.status().message();
      expect_oracle_holds(work.history(), *store, context);
    }
  }
  std::cout << "failed " << runs << " runs at " << calls.size() << " of " << total << " I/O calls; " << failed_writes
            << " failed a write\n";
  // Guards against a sweep that silently stops reaching the write path (the
  // rest hit the open, the mirror or the close, and are checked all the same).
  // A sample keeps mostly the open's many distinct calls: a few writes do.
  if (sample.full()) {
    EXPECT_GT(failed_writes, runs / 4) << "too few injected failures reached a write";
  } else {
    EXPECT_GE(failed_writes, 2U) << "too few injected failures reached a write, " << sample.describe();
  }
}

TEST(IoErrorTest, EveryCallFailingInSyncMode) { sweep(Durability::kSync); }
TEST(IoErrorTest, EveryCallFailingInNoneMode) { sweep(Durability::kNone); }

}  // namespace
}  // namespace snapstore::testutil
