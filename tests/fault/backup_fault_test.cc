// A backup that fails halfway: every I/O call of the backup's RocksDB
// checkpoint and of its WAL copy is failed in turn (EIO), and each time the
// backup reports the error, leaves no target and no build directory, and
// leaves the store writable; the same backup then succeeds.
#include <gtest/gtest.h>

#include <filesystem>

#include "fault_rig.h"
#include "snapstore/backup.h"

namespace snapstore::testutil {
namespace {

namespace fs = std::filesystem;

std::size_t entries_of(const std::string& dir) {
  std::size_t n = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++n;
  return n;
}

TEST(BackupFaultTest, EveryFailedCallLeavesNoTargetAndARetrySucceeds) {
  FaultRig rig;
  Options options = small_store_options(Durability::kSync);
  options.checkpoint_wal_bytes = 1 << 20;  // the WAL keeps records after RocksDB's state
  auto store = rig.open(options);
  ASSERT_TRUE(store) << store.status().message();
  SequentialWorkload work(7, Durability::kSync);
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(work.step(*store));
  ASSERT_TRUE(store->checkpoint());
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(work.step(*store));

  TempDir out;
  // Only the calls on the backup's build directory count and fail.
  rig.state().set_path_filter([](std::string_view path) { return path.find(".backup-") != std::string_view::npos; });
  std::uint64_t failed_calls = 0;
  for (std::uint64_t nth = 1;; ++nth) {
    SCOPED_TRACE("failing call " + std::to_string(nth));
    rig.state().fail_call(nth, fault::IoError::kEio, /*forever=*/false);
    const std::string target = out / ("backup" + std::to_string(nth));
    auto info = store->backup(target);
    if (rig.state().failures() == failed_calls) {
      // Past the last call: the backup ran untouched.
      ASSERT_TRUE(info) << info.status().message();
      break;
    }
    failed_calls = rig.state().failures();
    ASSERT_FALSE(info) << "an injected failure was not reported";
    EXPECT_EQ(info.code(), StatusCode::kIOError) << info.status().message();
    EXPECT_EQ(entries_of(out.path()), 0U) << "a failed backup left something behind";
    // The store's own writes are unaffected.
    ASSERT_TRUE(work.step(*store));
    ASSERT_LT(nth, 500U) << "no end to the backup's calls";
  }
  EXPECT_GE(failed_calls, 5U) << "too few calls were failed to mean anything";
  rig.state().clear_failures();
  rig.state().set_path_filter({});
  auto retry = store->backup(out / "retry");
  ASSERT_TRUE(retry) << retry.status().message();
  EXPECT_EQ(retry->revision, store->revision());
  Options read_only;
  read_only.read_only = true;
  auto copy = Store::open(out / "retry", read_only);
  ASSERT_TRUE(copy) << copy.status().message();
  EXPECT_EQ(copy->revision(), store->revision());
  EXPECT_EQ(copy->size(), store->size());
}

}  // namespace
}  // namespace snapstore::testutil
