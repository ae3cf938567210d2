// The crash harness of fault/crash_harness.h as a library, without the
// `snapstore crashtest` command around it: power-loss cycles in this process,
// SIGKILL cycles whose child is a program the caller names (the `snapstore`
// binary with the child arguments this test builds), the harness's
// self-test, and the errors a caller gets for a bad plan. Also the example
// in `snapstore crashtest --help`.
#include "fault/crash_harness.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "fault/fault_rig.h"  // tests/fault: ram_dir()
#include "testutil/temp_dir.h"
#include "tools/run_tool.h"

namespace snapstore::fault {
namespace {

class CrashHarnessTest : public ::testing::Test {
 protected:
  CrashRunPlan plan(CrashMode mode, std::uint64_t cycles) const {
    CrashRunPlan p;
    p.dir = temp_ / "run";
    p.mode = mode;
    p.cycles = cycles;
    p.threads = 2;
    p.seed = 7;
    return p;
  }

  testutil::TempDir temp_{testutil::FaultRig::ram_dir()};  // the fault model decides what survives
};

TEST_F(CrashHarnessTest, PowerLossCyclesRunInTheLibrary) {
  CrashRunPlan p = plan(CrashMode::kPowerLoss, 3);
  std::vector<std::uint64_t> checked_cycles;
  p.on_check = [&](const CrashRunReport& report) { checked_cycles.push_back(report.cycles); };
  ASSERT_TRUE(prepare_crash_run(p));
  auto report = run_crash_test(p);
  ASSERT_TRUE(report) << report.status().message();
  EXPECT_TRUE(report->ok()) << (report->violations.empty() ? "" : report->violations.front());
  EXPECT_EQ(report->mode, CrashMode::kPowerLoss);
  EXPECT_EQ(report->cycles, 3U);
  EXPECT_EQ(report->checks, 3U);
  EXPECT_EQ(report->store_dir, p.dir + "/store");
  std::uint64_t cuts = 0;
  for (const auto& [kind, count] : report->power_cuts) cuts += count;
  EXPECT_EQ(cuts, 3U);
  EXPECT_GT(report->acknowledged, 0U);
  EXPECT_EQ(checked_cycles, (std::vector<std::uint64_t>{1, 2, 3}));
}

// The caller decides how a child starts: here the `snapstore` binary with
// the hidden options of its crashtest command, built by the test.
TEST_F(CrashHarnessTest, SigkillCyclesStartTheChildTheCallerNames) {
  CrashRunPlan p = plan(CrashMode::kSigkill, 3);
  p.child_program = SNAPSTORE_TOOL;
  std::vector<std::uint64_t> started;
  p.child_arguments = [&started](const CrashChildSpec& spec) {
    started.push_back(spec.cycle);
    return std::vector<std::string>{"crashtest",
                                    spec.dir,
                                    "--child",
                                    "--cycle",
                                    std::to_string(spec.cycle),
                                    "--seed",
                                    std::to_string(spec.seed),
                                    "--threads",
                                    std::to_string(spec.threads),
                                    "--durability",
                                    std::string(to_string(spec.durability))};
  };
  ASSERT_TRUE(prepare_crash_run(p));
  auto report = run_crash_test(p);
  ASSERT_TRUE(report) << report.status().message();
  EXPECT_TRUE(report->ok()) << (report->violations.empty() ? "" : report->violations.front());
  EXPECT_EQ(report->cycles, 3U);
  EXPECT_EQ(started, (std::vector<std::uint64_t>{1, 2, 3}));
}

// A child program that cannot run is the harness's error, not a violation.
TEST_F(CrashHarnessTest, AChildThatCannotStartIsAnError) {
  CrashRunPlan p = plan(CrashMode::kSigkill, 1);
  p.child_program = temp_ / "no-such-program";
  p.child_arguments = [](const CrashChildSpec&) { return std::vector<std::string>{}; };
  ASSERT_TRUE(prepare_crash_run(p));
  auto report = run_crash_test(p);
  ASSERT_FALSE(report);
  EXPECT_NE(report.status().message().find("no-such-program"), std::string::npos) << report.status().message();
}

TEST_F(CrashHarnessTest, TheSelfTestFailsTheRunNamingTheDocument) {
  CrashRunPlan p = plan(CrashMode::kPowerLoss, 10);
  p.inject_ack_unwritten = true;
  ASSERT_TRUE(prepare_crash_run(p));
  auto report = run_crash_test(p);
  ASSERT_TRUE(report) << report.status().message();
  ASSERT_FALSE(report->ok());
  bool named = false;
  for (const std::string& violation : report->violations)
    named |= violation.find("document unwritten-") != std::string::npos;
  EXPECT_TRUE(named) << report->violations.front();
}

TEST_F(CrashHarnessTest, ABadPlanIsRefusedWithAReason) {
  CrashRunPlan p = plan(CrashMode::kSigkill, 1);
  std::filesystem::create_directories(p.dir);
  std::ofstream(p.dir + "/something") << "x";
  const Status busy = prepare_crash_run(p);
  EXPECT_EQ(busy.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(busy.message().find("new or empty directory"), std::string::npos) << busy.message();

  CrashRunPlan no_child = plan(CrashMode::kSigkill, 1);
  no_child.dir = temp_ / "other";
  ASSERT_TRUE(prepare_crash_run(no_child));
  auto refused = run_crash_test(no_child);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.status().message().find("child_arguments"), std::string::npos);

  CrashRunPlan endless = plan(CrashMode::kPowerLoss, 0);
  endless.dir = temp_ / "endless";
  ASSERT_TRUE(prepare_crash_run(endless));
  EXPECT_FALSE(run_crash_test(endless));

  EXPECT_EQ(*parse_durability("periodic"), Durability::kPeriodic);
  auto unknown = parse_durability("fast");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.status().message().find("'fast'"), std::string::npos);
}

TEST(CrashtestHelp, ShowsAnExample) {
  testutil::ToolRunner runner;
  const testutil::ToolRun run = runner.run({"crashtest", "--help"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("Examples:\n  snapstore crashtest /tmp/ct --cycles 30"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("snapstore crashtest /tmp/ct-pl --power-loss"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace snapstore::fault
