// The crash harness behind `snapstore crashtest`: it crashes a store again
// and again while a randomized multi-threaded workload (crash_workload.h)
// writes to it, and after every crash checks the recovered store against the
// acknowledgements of all cycles so far (crash_recorder.h, oracle.h).
//
//   kSigkill      a child process runs the workload and reports over a pipe;
//                 the parent SIGKILLs it at a random moment, reopens the
//                 store read-only and checks
//   kPowerLoss    the same cycles in this process on the fault-injecting
//                 file systems: power off, stop the writers, cut the power,
//                 reopen, check
//   kKillPoints   one cycle per named kill point: the child SIGKILLs itself
//                 at the Nth hit of the point; a point never reached fails
//
// The harness owns both sides of a cycle: the parent (run_crash_test) and the
// child (run_crash_child). How a child is started — which program, with which
// arguments — is the caller's: the `snapstore` program re-executes itself
// with hidden options that it parses back into a CrashChildSpec. DIR is the
// run's own directory: the store lives in DIR/store, the power-loss mode
// keeps the files the fault model may bring back in DIR/trash.
//
// The same seed replays the same plan (kill moments, operation choices),
// though thread scheduling still varies.
//
// Thread safety: one run per process at a time (the child modes ignore
// SIGPIPE process-wide, and a child installs the kill-point handler).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/options.h"
#include "snapstore/status.h"

namespace snapstore::fault {

enum class CrashMode { kSigkill, kPowerLoss, kKillPoints };

std::string_view to_string(CrashMode mode);         // "sigkill", "power-loss", "kill-points"
std::string_view to_string(Durability durability);  // "sync", "periodic", "none"
// The inverse of to_string(Durability); InvalidArgument for another name.
Result<Durability> parse_durability(std::string_view name);

// The cycles a run makes when the caller sets no limit: one per kill point
// in kKillPoints mode, 100 otherwise.
std::uint64_t default_crash_cycles(CrashMode mode);

// What the child process of one cycle does.
struct CrashChildSpec {
  std::string dir;  // the run's directory (not the store's)
  std::uint64_t cycle = 0;
  std::uint64_t seed = 0;
  unsigned threads = 4;
  Durability durability = Durability::kSync;
  bool inject_ack_unwritten = false;
  std::string kill_point;  // empty: none
  unsigned kill_hit = 1;   // kill at this hit of kill_point
};

struct CrashRunReport;

struct CrashRunPlan {
  std::string dir;
  CrashMode mode = CrashMode::kSigkill;
  std::uint64_t cycles = 0;  // 0: no limit (then seconds is one)
  double seconds = 0;        // 0: no limit
  unsigned threads = 4;
  Durability durability = Durability::kSync;
  std::uint64_t seed = 0;
  // Harness self-test: the workload reports one insert as acknowledged
  // without performing it, and the run must fail naming that document.
  bool inject_ack_unwritten = false;
  // The child modes: the program a cycle starts, and its arguments (after
  // argv[0]) for a spec; the child must call run_crash_child(spec) with its
  // standard input and file descriptor 3 as it received them.
  std::string child_program = "/proc/self/exe";
  std::function<std::vector<std::string>(const CrashChildSpec&)> child_arguments;
  // Called after each check, with the counts so far (for progress lines).
  std::function<void(const CrashRunReport&)> on_check;
};

struct KillPointResult {
  std::string name;
  unsigned hit = 0;
  bool reached = false;
};

struct CrashRunReport {
  // The first violations kept; violation_count counts them all.
  static constexpr std::size_t kViolationsKept = 100;

  CrashMode mode = CrashMode::kSigkill;
  Durability durability = Durability::kSync;
  unsigned threads = 0;
  std::uint64_t seed = 0;
  std::string store_dir;
  std::uint64_t cycles = 0;
  std::uint64_t killed_while_opening = 0;           // sigkill: before the workload started
  std::map<std::string, std::uint64_t> power_cuts;  // power loss: by kind
  std::uint64_t recovery_crashes = 0;               // power loss: the power failed again in recovery
  std::uint64_t issued = 0;
  std::uint64_t acknowledged = 0;
  std::uint64_t unknown = 0;
  std::uint64_t rejected = 0;
  std::uint64_t lost_unsynced = 0;
  std::uint64_t flushes = 0;
  std::uint64_t checks = 0;
  std::uint64_t documents_verified = 0;  // summed over the checks
  std::uint64_t final_documents = 0;
  std::uint64_t final_indexes = 0;
  std::uint64_t final_revision = 0;
  std::vector<KillPointResult> kill_points;
  std::vector<std::string> violations;
  std::uint64_t violation_count = 0;
  double elapsed_seconds = 0;

  bool ok() const { return violation_count == 0; }
  void violation(std::string text);
};

// Checks what can be checked before a run starts, and prepares DIR and the
// process: a kill-point run needs a build with SNAPSTORE_KILL_POINTS; DIR
// must be new or empty, and is created; SIGPIPE is ignored from now on (a
// child that dies early must not take the parent with it). InvalidArgument
// or IOError says what is wrong.
Status prepare_crash_run(const CrashRunPlan& plan);

// Runs the cycles of `plan` in DIR (after prepare_crash_run). Violations of the oracle are
// in the report, not an error; an error is a harness failure (a child that
// cannot start, a broken pipe protocol, a store that cannot be created).
Result<CrashRunReport> run_crash_test(const CrashRunPlan& plan);

// The child's side of a cycle: reads the documents it may write from
// standard input, one "<thread> <id>" line each, arms the kill point, opens
// the store and runs the workload, writing its events (crash_workload.h) to
// file descriptor 3 until it is killed. Returns only when it cannot run: an
// error for bad input, or kCrashChildOpenFailed, the exit code the parent
// expects from a child whose store does not open (reported on the pipe).
inline constexpr int kCrashChildOpenFailed = 3;
Result<int> run_crash_child(const CrashChildSpec& spec);

}  // namespace snapstore::fault
