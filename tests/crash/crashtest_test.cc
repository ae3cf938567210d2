// `snapstore crashtest`, the real binary, in every mode: SIGKILL cycles,
// power-loss cycles, the kill-point walk, and the harness's self-test — a
// child that acknowledges a write it never made must fail the run, naming
// the document. The Ci* tests are the runs CI requires (30 cycles each);
// each test is its own ctest entry (tests/crash/CMakeLists.txt).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "base/kill_point.h"
#include "snapstore/value.h"
#include "tools/run_tool.h"

namespace snapstore {
namespace {

using testutil::ToolRun;

// /dev/shm when there is one: SIGKILL loses nothing the OS holds, so a RAM
// file system tests the same thing without waiting on the disk's fsyncs.
std::string scratch_base() {
  return ::access("/dev/shm", W_OK) == 0 ? std::string("/dev/shm") : testutil::TempDir::default_base();
}

class CrashtestTest : public ::testing::Test {
 protected:
  // Runs `snapstore crashtest <dir> --json <args>` on a fresh directory.
  ToolRun crashtest(std::vector<std::string> args) {
    args.insert(args.begin(), {"crashtest", dir(), "--json", "--quiet"});
    return runner_.run(args);
  }
  std::string dir() const { return temp_ / "ct"; }

  // The JSON report of a run, as an object.
  static Object report_of(const ToolRun& run) {
    auto parsed = from_json(run.out);
    EXPECT_TRUE(parsed && parsed->is_object()) << "not a JSON report: " << run.out << "\nstderr: " << run.err;
    return parsed && parsed->is_object() ? parsed->as_object() : Object{};
  }
  static std::int64_t number(const Object& report, const std::string& field) {
    auto found = report.find(field);
    return found != report.end() && found->second.is_int() ? found->second.as_int() : -1;
  }
  static std::string violations(const Object& report) {
    auto found = report.find("violations");
    return found != report.end() ? to_json(found->second) : std::string();
  }

  // A clean run: exit 0, cycles and acknowledgements counted, a check per cycle.
  void expect_clean(const ToolRun& run, std::int64_t cycles) {
    ASSERT_EQ(run.exit_code, 0) << run.out << "\nstderr: " << run.err;
    const Object report = report_of(run);
    EXPECT_EQ(number(report, "cycles"), cycles);
    EXPECT_EQ(number(report, "checks"), cycles);
    EXPECT_GT(number(report, "acknowledged"), 0);
    EXPECT_GT(number(report, "documents_verified"), 0);
    EXPECT_EQ(number(report, "violation_count"), 0) << violations(report);
    EXPECT_EQ(report.at("seed").as_int(), 7);
  }

 private:
  testutil::TempDir temp_{scratch_base()};
  testutil::ToolRunner runner_;
};

TEST_F(CrashtestTest, SigkillCyclesSatisfyTheOracle) {
  expect_clean(crashtest({"--cycles", "10", "--seed", "7", "--threads", "3"}), 10);
}

TEST_F(CrashtestTest, SigkillCyclesInNoneModeLoseNoAcknowledgedWrite) {
  expect_clean(crashtest({"--cycles", "10", "--seed", "7", "--durability", "none"}), 10);
}

TEST_F(CrashtestTest, PowerLossCyclesSatisfyTheOracle) {
  expect_clean(crashtest({"--power-loss", "--cycles", "10", "--seed", "7"}), 10);
}

TEST_F(CrashtestTest, PowerLossCyclesInPeriodicModeLoseOnlyUnsyncedWrites) {
  const ToolRun run = crashtest({"--power-loss", "--cycles", "10", "--seed", "7", "--durability", "periodic"});
  expect_clean(run, 10);
  EXPECT_GT(number(report_of(run), "flushes"), 0);
}

TEST_F(CrashtestTest, KillPointWalkReachesEveryPoint) {
#ifndef SNAPSTORE_KILL_POINTS
  const ToolRun refused = crashtest({"--kill-points", "--seed", "7"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("SNAPSTORE_KILL_POINTS"), std::string::npos) << refused.err;
#else
  const ToolRun run = crashtest({"--kill-points", "--seed", "7", "--threads", "2"});
  expect_clean(run, static_cast<std::int64_t>(base::kKillPoints.size()));
  const Object report = report_of(run);
  const Array& points = report.at("kill_points").as_array();
  ASSERT_EQ(points.size(), base::kKillPoints.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(points[i].at("name").as_string(), base::kKillPoints[i]);
    EXPECT_TRUE(points[i].at("reached").as_bool()) << base::kKillPoints[i];
  }
#endif
}

// The harness can fail: a child that reports an insert it never made.
TEST_F(CrashtestTest, AnAcknowledgedWriteThatNeverHappenedFailsTheRun) {
  const ToolRun run = crashtest({"--cycles", "10", "--seed", "7", "--inject-bug", "ack-unwritten"});
  EXPECT_EQ(run.exit_code, 1) << run.out << "\nstderr: " << run.err;
  const Object report = report_of(run);
  EXPECT_GE(number(report, "violation_count"), 1);
  const std::string found = violations(report);
  EXPECT_NE(found.find("document unwritten-"), std::string::npos) << found;
  EXPECT_NE(found.find("found absent"), std::string::npos) << found;
}

TEST_F(CrashtestTest, TheSelfTestFailsThePowerLossModeToo) {
  const ToolRun run = crashtest({"--power-loss", "--cycles", "10", "--seed", "7", "--inject-bug", "ack-unwritten"});
  EXPECT_EQ(run.exit_code, 1) << run.out << "\nstderr: " << run.err;
  EXPECT_NE(violations(report_of(run)).find("document unwritten-"), std::string::npos);
}

TEST_F(CrashtestTest, TheTextReportStartsWithTheSeed) {
  testutil::ToolRunner runner;
  const ToolRun run = runner.run({"crashtest", dir(), "--cycles", "2", "--seed", "7"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out.rfind("snapstore crashtest: seed 7\n", 0), 0U) << run.out;
  EXPECT_NE(run.out.find("violations: 0\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("result: ok\n"), std::string::npos) << run.out;
}

TEST_F(CrashtestTest, ADirectoryThatIsNotEmptyIsRefused) {
  std::filesystem::create_directories(dir());
  std::ofstream(dir() + "/something") << "x";
  const ToolRun run = crashtest({"--cycles", "1"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("new or empty directory"), std::string::npos) << run.err;
}

// What CI runs: 30 cycles of each kind.
TEST_F(CrashtestTest, Ci30SigkillCycles) { expect_clean(crashtest({"--cycles", "30", "--seed", "7"}), 30); }

TEST_F(CrashtestTest, Ci30PowerLossCycles) {
  expect_clean(crashtest({"--power-loss", "--cycles", "30", "--seed", "7", "--durability", "periodic"}), 30);
}

}  // namespace
}  // namespace snapstore
