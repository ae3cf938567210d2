// The crash harness (see crash_harness.h): the cycle runners of the three
// modes and the child's side of a cycle.
//
// The parent of a child cycle checks with a read-only open, so the next child
// performs the real recovery and a kill can land in the middle of it
// (FAULTS.md F10).
#include "fault/crash_harness.h"

#include <rocksdb/env.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "base/kill_point.h"
#include "engine/storage_env.h"
#include "engine/store_core.h"
#include "fault/child_process.h"
#include "fault/crash_recorder.h"
#include "fault/crash_workload.h"
#include "fault/fault_env.h"
#include "fault/torn_tail.h"
#include "snapstore/store.h"
#include "wal/env.h"

namespace snapstore::fault {
namespace {

using Clock = std::chrono::steady_clock;

// A cycle crashes after a random number of acknowledgements up to this.
constexpr std::uint64_t kMaxAcksPerCycle = 300;
// One cycle in this many kills the child at a random moment of its start,
// often in the middle of recovering the previous crash.
constexpr std::uint64_t kKillWhileOpeningOneIn = 8;
constexpr std::uint64_t kKillWhileOpeningMaxMs = 250;
// One power-loss cycle in this many fails the power again during recovery.
constexpr std::uint64_t kRecoveryCrashOneIn = 8;
constexpr std::uint64_t kRecoveryCrashMaxCall = 30;
// A workload that stops acknowledging (every writer met an I/O error) is
// crashed after this long; a kill point is given this long to be reached.
constexpr auto kCycleLimit = std::chrono::seconds(15);
constexpr auto kKillPointLimit = std::chrono::seconds(20);

std::string store_dir_of(const std::string& dir) { return dir + "/store"; }

// Small WAL segments and frequent checkpoints, so that a short run rolls
// segments, checkpoints and retires WAL files many times; `tiny` for the
// kill-point walk, where every path must be reached within a few writes.
Options workload_options(Durability durability, bool tiny) {
  Options options;
  options.durability = durability;
  options.periodic_sync_ms = 5;
  options.wal_segment_bytes = tiny ? 4096 : 64 * 1024;
  options.checkpoint_wal_bytes = tiny ? 8192 : 256 * 1024;
  return options;
}

// The run in progress: its plan, its report, and the end of its time.
class Run {
 public:
  Run(const CrashRunPlan& plan, CrashRunReport& report) : plan_(plan), report_(report) {}

  bool more() const {
    if (plan_.cycles != 0 && report_.cycles >= plan_.cycles) return false;
    return plan_.seconds == 0 || std::chrono::duration<double>(Clock::now() - started_).count() < plan_.seconds;
  }

  // Checks `store`, reopened after the crash of cycle `cycle`. False when the
  // oracle found violations (they are in the report).
  bool check(CrashRecorder& recorder, const Store& store, std::uint64_t cycle) {
    const OracleReport checked = recorder.check(store);
    ++report_.checks;
    report_.documents_verified += checked.documents;
    report_.final_documents = checked.documents;
    report_.final_revision = checked.recovered_revision;
    report_.final_indexes = store.indexes().size();
    for (const std::string& violation : checked.violations) {
      report_.violation("cycle " + std::to_string(cycle) + ": " + violation);
    }
    take_counts(recorder);
    if (plan_.on_check) plan_.on_check(report_);
    return checked.ok();
  }

  void take_counts(const CrashRecorder& recorder) {
    report_.issued = recorder.issued_total();
    report_.acknowledged = recorder.acknowledged_total();
    report_.unknown = recorder.unknown_total();
    report_.rejected = recorder.rejected_total();
    report_.lost_unsynced = recorder.lost_unsynced_total();
    report_.flushes = recorder.flushes_total();
  }

  double elapsed() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }

 private:
  const CrashRunPlan& plan_;
  CrashRunReport& report_;
  const Clock::time_point started_ = Clock::now();
};

// The sigkill mode and the kill-point walk: a child per cycle.
Status run_child_cycles(const CrashRunPlan& plan, CrashRunReport& report) {
  if (!plan.child_arguments) return Status::invalid_argument("crash harness: no child_arguments for a child mode");
  Run run(plan, report);
  const bool walk_kill_points = plan.mode == CrashMode::kKillPoints;
  const std::string store_dir = store_dir_of(plan.dir);
  // A killed process keeps everything written to the OS: every
  // acknowledgement must survive, in every durability mode.
  CrashRecorder recorder(/*acks_survive_crash=*/true);
  std::mt19937_64 random(plan.seed);
  {
    // Every child opens an existing store, so that none dies half-way
    // through creating one.
    auto created = Store::open(store_dir, workload_options(plan.durability, walk_kill_points));
    if (!created) return created.status();
  }
  Options check_options;
  check_options.read_only = true;
  check_options.create_if_missing = false;

  while (run.more()) {
    const std::uint64_t cycle = report.cycles + 1;
    const std::string where = "cycle " + std::to_string(cycle) + ": ";
    recorder.begin_cycle();
    CrashChildSpec spec;
    spec.dir = plan.dir;
    spec.cycle = cycle;
    spec.seed = random();
    spec.threads = plan.threads;
    spec.durability = plan.durability;
    spec.inject_ack_unwritten = plan.inject_ack_unwritten;
    KillPointResult point;
    bool kill_while_opening = false;
    Clock::duration limit = kCycleLimit;
    std::function<bool()> done = [] { return false; };
    if (walk_kill_points) {
      point.name = std::string(base::kKillPoints[(cycle - 1) % base::kKillPoints.size()]);
      const bool in_recovery = point.name.starts_with("recovery.");  // reached once per open
      point.hit = in_recovery ? 1 : 1 + static_cast<unsigned>(random() % 3);
      spec.kill_point = point.name;
      spec.kill_hit = point.hit;
      if (in_recovery) {
        // A tail for the recovery to cut (its truncation points lie on that path).
        if (auto torn = tear_wal_tail(store_dir); !torn) return torn.status();
      }
      limit = kKillPointLimit;
    } else {
      kill_while_opening = random() % kKillWhileOpeningOneIn == 0;
      const std::uint64_t ack_target = 1 + random() % kMaxAcksPerCycle;
      const std::uint64_t opening_ms = random() % kKillWhileOpeningMaxMs;
      if (kill_while_opening) {
        limit = std::chrono::milliseconds(opening_ms);
      } else {
        done = [&recorder, ack_target] { return recorder.cycle_acknowledged() >= ack_target; };
      }
    }
    std::string input;
    const auto owned = recorder.owned_documents(plan.threads);
    for (unsigned t = 0; t < owned.size(); ++t) {
      for (const std::string& id : owned[t]) input += std::to_string(t) + " " + id + "\n";
    }

    ChildProcess child;
    if (Status s = child.spawn(plan.child_program, plan.child_arguments(spec), input); !s) return s;
    auto pumped = child.pump(recorder, Clock::now() + limit, done);
    if (!pumped) return pumped.status();
    auto wait_status = child.kill_and_reap(recorder);
    if (!wait_status) return wait_status.status();
    ++report.cycles;
    if (!recorder.protocol_error().empty()) {
      return Status::io_error("the child's report: " + recorder.protocol_error());
    }
    const int status = *wait_status;
    if (WIFEXITED(status) && WEXITSTATUS(status) != kCrashChildOpenFailed) {
      return Status::io_error("the child process failed with exit code " + std::to_string(WEXITSTATUS(status)) +
                              " (see above)");
    }
    const bool crashed = WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL;
    if (crashed) {
      report.violation(where + "the store crashed the child process: signal " + std::to_string(WTERMSIG(status)) +
                       " (" + strsignal(WTERMSIG(status)) + ")");
    }
    if (kill_while_opening && !recorder.cycle_opened()) ++report.killed_while_opening;
    if (walk_kill_points) {
      // Not a reason to stop: the store is as good as after any other kill.
      point.reached = recorder.cycle_kill_point() == point.name;
      if (!point.reached) {
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(limit).count();
        const std::string why = WIFEXITED(status) ? " before the child failed to open the store"
                                                  : " within " + std::to_string(seconds) + " s";
        report.violation(where + "kill point " + point.name + " was not reached " + std::to_string(point.hit) +
                         " time(s)" + why);
      }
      report.kill_points.push_back(point);
    }

    auto store = Store::open(store_dir, check_options);
    if (!store) {
      report.violation(where + "the store does not open after the crash: " + store.status().message());
      break;
    }
    const bool clean = run.check(recorder, *store, cycle);
    if (!clean || crashed) break;
  }
  run.take_counts(recorder);
  report.elapsed_seconds = run.elapsed();
  return Status::ok();
}

// The power-loss mode: the same cycles in this process, on the
// fault-injecting file systems.
Status run_power_loss_cycles(const CrashRunPlan& plan, CrashRunReport& report) {
  Run run(plan, report);
  const std::string store_dir = store_dir_of(plan.dir);
  const Durability durability = plan.durability;
  // A power cut keeps only what was synced: acknowledgements in sync mode,
  // and whatever a successful flush() covered.
  CrashRecorder recorder(/*acks_survive_crash=*/durability == Durability::kSync);
  std::mt19937_64 random(plan.seed);
  FaultState disk(plan.dir + "/trash", random());
  const std::unique_ptr<wal::Env> wal_env = make_fault_env(wal::Env::posix(), &disk);
  const std::unique_ptr<rocksdb::Env> rocksdb_env = make_fault_rocksdb_env(&disk);
  const engine::StorageEnv env{wal_env.get(), rocksdb_env.get()};
  const Options options = workload_options(durability, false);
  constexpr PowerCut kCuts[] = {PowerCut::kDropUnsynced, PowerCut::kDropRandomSuffix, PowerCut::kKeepRandomSubset};

  std::optional<Store> store;
  {
    auto created = engine::StoreCore::open_store(store_dir, options, env);
    if (!created) return created.status();
    store.emplace(std::move(*created));
  }
  while (run.more()) {
    const std::uint64_t cycle = report.cycles + 1;
    const std::string where = "cycle " + std::to_string(cycle) + ": ";
    recorder.begin_cycle();
    recorder.opened(store->revision());
    const WorkloadConfig config{plan.threads, random(), cycle, durability, plan.inject_ack_unwritten};
    const std::uint64_t ack_target = 1 + random() % kMaxAcksPerCycle;
    const PowerCut cut = kCuts[random() % std::size(kCuts)];
    const bool crash_recovery = random() % kRecoveryCrashOneIn == 0;
    const std::uint64_t recovery_call = 1 + random() % kRecoveryCrashMaxCall;
    {
      CrashWorkload work(*store, config, recorder.owned_documents(plan.threads), recorder);
      work.start();
      const auto deadline = Clock::now() + kCycleLimit;
      while (recorder.cycle_acknowledged() < ack_target && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      recorder.crash_begun();
      disk.power_off();  // from here on nothing reaches the disk
      work.stop();
    }
    store.reset();  // closing on a dead disk changes nothing
    ++report.cycles;
    ++report.power_cuts[std::string(to_string(cut))];
    if (Status s = disk.power_cut(cut); !s) return s;
    if (crash_recovery) {
      const std::uint64_t failed_before = disk.failures();
      disk.fail_call(recovery_call, IoError::kEio, /*forever=*/true);
      {
        auto interrupted = engine::StoreCore::open_store(store_dir, options, env);
        disk.power_off();
      }
      disk.clear_failures();
      if (disk.failures() > failed_before) ++report.recovery_crashes;
      if (Status s = disk.power_cut(PowerCut::kDropUnsynced); !s) return s;
    }
    auto reopened = engine::StoreCore::open_store(store_dir, options, env);
    if (!reopened) {
      report.violation(where + "the store does not open after the power cut (" + std::string(to_string(cut)) +
                       "): " + reopened.status().message());
      break;
    }
    store.emplace(std::move(*reopened));
    const bool clean = run.check(recorder, *store, cycle);
    if (!clean) break;
  }
  store.reset();
  run.take_counts(recorder);
  report.elapsed_seconds = run.elapsed();
  return Status::ok();
}

}  // namespace

std::string_view to_string(CrashMode mode) {
  switch (mode) {
    case CrashMode::kSigkill:
      return "sigkill";
    case CrashMode::kPowerLoss:
      return "power-loss";
    case CrashMode::kKillPoints:
      return "kill-points";
  }
  return "unknown";
}

std::string_view to_string(Durability durability) {
  switch (durability) {
    case Durability::kSync:
      return "sync";
    case Durability::kPeriodic:
      return "periodic";
    case Durability::kNone:
      return "none";
  }
  return "unknown";
}

Result<Durability> parse_durability(std::string_view name) {
  for (const Durability durability : {Durability::kSync, Durability::kPeriodic, Durability::kNone}) {
    if (name == to_string(durability)) return durability;
  }
  return Status::invalid_argument("unknown durability mode '" + std::string(name) +
                                  "': expected sync, periodic or none");
}

std::uint64_t default_crash_cycles(CrashMode mode) {
  return mode == CrashMode::kKillPoints ? base::kKillPoints.size() : 100;
}

void CrashRunReport::violation(std::string text) {
  if (++violation_count <= kViolationsKept) violations.push_back(std::move(text));
}

Status prepare_crash_run(const CrashRunPlan& plan) {
#ifndef SNAPSTORE_KILL_POINTS
  if (plan.mode == CrashMode::kKillPoints) {
    return Status::invalid_argument(
        "--kill-points needs a build with -DSNAPSTORE_KILL_POINTS=ON; this binary has no kill points compiled in");
  }
#endif
  std::error_code error;
  if (std::filesystem::exists(plan.dir, error) &&
      (!std::filesystem::is_directory(plan.dir, error) || !std::filesystem::is_empty(plan.dir, error))) {
    return Status::invalid_argument(plan.dir + " must be a new or empty directory: the test keeps its own store there");
  }
  if (!std::filesystem::create_directories(plan.dir, error) && error) {
    return Status::io_error("cannot create " + plan.dir + ": " + error.message());
  }
  // A child that dies early must not take the parent with it while it is
  // being written to.
  ::signal(SIGPIPE, SIG_IGN);
  return Status::ok();
}

Result<CrashRunReport> run_crash_test(const CrashRunPlan& plan) {
  if (plan.cycles == 0 && plan.seconds == 0) {
    return Status::invalid_argument("crash harness: a run needs a number of cycles or of seconds");
  }
  CrashRunReport report;
  report.mode = plan.mode;
  report.durability = plan.durability;
  report.threads = plan.threads;
  report.seed = plan.seed;
  report.store_dir = store_dir_of(plan.dir);
  const Status s =
      plan.mode == CrashMode::kPowerLoss ? run_power_loss_cycles(plan, report) : run_child_cycles(plan, report);
  if (!s) return s;
  return report;
}

Result<int> run_crash_child(const CrashChildSpec& spec) {
  PipeSink sink(kChildEventsFd);
  std::vector<std::vector<std::string>> owned(spec.threads);
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream fields(line);
    unsigned thread = 0;
    std::string id;
    if (!(fields >> thread >> id) || thread >= spec.threads) {
      return Status::invalid_argument("child: a bad input line '" + line + "'");
    }
    owned[thread].push_back(id);
  }
  if (!spec.kill_point.empty()) {
#ifdef SNAPSTORE_KILL_POINTS
    auto hits = std::make_shared<std::atomic<unsigned>>(0);
    base::set_kill_point_handler([&sink, point = spec.kill_point, hit = spec.kill_hit, hits](std::string_view at) {
      if (at == point && hits->fetch_add(1) + 1 == hit) {
        sink.kill_point(point);
        ::raise(SIGKILL);
      }
    });
#else
    return Status::invalid_argument("this binary was built without kill points");
#endif
  }
  auto store = Store::open(store_dir_of(spec.dir), workload_options(spec.durability, !spec.kill_point.empty()));
  if (!store) {
    sink.anomaly("the store does not open after the crash: " + store.status().message());
    base::set_kill_point_handler({});
    return kCrashChildOpenFailed;
  }
  sink.opened(store->revision());
  const WorkloadConfig config{spec.threads, spec.seed, spec.cycle, spec.durability, spec.inject_ack_unwritten};
  CrashWorkload work(*store, config, std::move(owned), sink);
  work.start();
  // Only the parent's SIGKILL (or a kill point's) ends this process: the
  // store is never closed.
  for (;;) ::pause();
}

}  // namespace snapstore::fault
