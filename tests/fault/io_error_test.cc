// I/O errors at every I/O call of a short workload, failing once or forever,
// with EIO or ENOSPC (FAULTS.md F8): the failing write is never acknowledged,
// the store stops acknowledging writes (fail-stop, even when the disk would
// work again), reads go on, and after a restart the crash oracle holds.
//
// By default each call is failed one way (once or forever alternating);
// SNAPSTORE_FAULT_SWEEP=full fails every call both ways.
#include <gtest/gtest.h>

#include <cstdlib>

#include "fault/fault_env.h"
#include "fault_rig.h"

namespace snapstore::testutil {
namespace {

constexpr int kOps = 40;

// Opens, runs the workload and closes, with the Nth call failing; returns
// the history for the oracle.
void run_with_failure(FaultRig& rig, SequentialWorkload& work, const Options& options, std::uint64_t nth,
                      fault::IoError error, bool forever, const std::string& context) {
  // The info log swallows its own failures (info_log_test covers them);
  // sweeping its many small writes would only multiply the runs.
  rig.state().set_path_filter([](std::string_view path) { return !fault::is_info_log(path); });
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
  // A dry run counts the calls the workload makes.
  std::uint64_t total = 0;
  {
    FaultRig rig(1);
    SequentialWorkload work(1, durability);
    run_with_failure(rig, work, options, 0, fault::IoError::kEio, false, "dry run");
    total = rig.state().calls();
  }
  ASSERT_GT(total, 50U);
  const char* sweep_mode = std::getenv("SNAPSTORE_FAULT_SWEEP");
  const bool full = sweep_mode != nullptr && std::string(sweep_mode) == "full";
  std::uint64_t failed_writes = 0;
  for (std::uint64_t n = 1; n <= total; ++n) {
    for (const bool forever : {false, true}) {
      if (!full && forever != (n % 2 == 1)) continue;
      const auto error = (n / 2) % 2 ? fault::IoError::kEio : fault::IoError::kEnospc;
      const std::string context = "I/O call " + std::to_string(n) + " of " + std::to_string(total) + " failing " +
                                  (forever ? "forever" : "once") +
                                  (error == fault::IoError::kEio ? " with EIO" : " with ENOSPC");
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
  // Guards against a sweep that silently stops reaching the write path (the
  // rest hit the open, the mirror or the close, and are checked all the same).
  EXPECT_GT(failed_writes, (full ? 2 * total : total) / 4) << "too few injected failures reached a write";
}

TEST(IoErrorTest, EveryCallFailingInSyncMode) { sweep(Durability::kSync); }
TEST(IoErrorTest, EveryCallFailingInNoneMode) { sweep(Durability::kNone); }

}  // namespace
}  // namespace snapstore::testutil
