// `snapstore crashtest` (see crashtest_command.h). DIR is the test's own
// directory: the store lives in DIR/store, the power-loss mode keeps the
// files the fault model may bring back in DIR/trash. Everything stays there
// after the run, for `snapstore verify DIR/store` or a post-mortem.
//
// In the child modes, the child is this binary started with posix_spawn
// (never fork(): RocksDB's threads do not survive it). It reads the ids it
// may write from stdin, one "<thread> <id>" line each, and writes the
// events of fault/crash_workload.h to file descriptor 3. The parent checks
// with a read-only open, so the next child performs the real recovery and a
// kill can land in the middle of it (FAULTS.md F10).
#include "tools/crashtest_command.h"

#include <fcntl.h>
#include <poll.h>
#include <rocksdb/env.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "engine/storage_env.h"
#include "engine/store_core.h"
#include "fault/crash_recorder.h"
#include "fault/crash_workload.h"
#include "fault/fault_env.h"
#include "base/kill_point.h"
#include "fault/torn_tail.h"
#include "tools/cli_support.h"
#include "wal/env.h"

extern char** environ;

namespace snapstore::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kChildEventsFd = 3;
constexpr int kChildOpenFailed = 3;  // the child's exit code when the store does not open
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
constexpr std::size_t kViolationsKept = 100;
constexpr std::size_t kViolationsPrinted = 10;
constexpr std::uint64_t kStatusEvery = 100;  // cycles between status lines on stderr

Durability parse_durability(const std::string& name) {
  if (name == "periodic") return Durability::kPeriodic;
  if (name == "none") return Durability::kNone;
  return Durability::kSync;
}

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

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

struct KillPointResult {
  std::string name;
  unsigned hit = 0;
  bool reached = false;
};

struct RunReport {
  std::string mode;
  std::string durability;
  unsigned threads = 0;
  std::uint64_t seed = 0;
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
  std::vector<std::string> violations;  // the first kViolationsKept
  std::uint64_t violation_count = 0;
  double elapsed_seconds = 0;

  void violation(std::string text) {
    if (++violation_count <= kViolationsKept) violations.push_back(std::move(text));
  }
  void take_counts(const fault::CrashRecorder& recorder) {
    issued = recorder.issued_total();
    acknowledged = recorder.acknowledged_total();
    unknown = recorder.unknown_total();
    rejected = recorder.rejected_total();
    lost_unsynced = recorder.lost_unsynced_total();
    flushes = recorder.flushes_total();
  }
};

// What a run does, from the command line.
struct Plan {
  std::string dir;
  std::uint64_t cycles = 0;  // 0: no limit
  double seconds = 0;        // 0: no limit
  unsigned threads = 4;
  std::string durability;
  std::uint64_t seed = 0;
  std::string inject_bug;
  bool quiet = false;
  Clock::time_point started = Clock::now();

  bool more(std::uint64_t done) const {
    if (cycles != 0 && done >= cycles) return false;
    return seconds == 0 || std::chrono::duration<double>(Clock::now() - started).count() < seconds;
  }
};

void status_line(const Plan& plan, const RunReport& report, const fault::CrashRecorder& recorder) {
  if (plan.quiet || report.cycles % kStatusEvery != 0) return;
  std::cerr << "crashtest: cycle " << report.cycles << ", " << recorder.acknowledged_total() << " acknowledged, "
            << report.violation_count << " violations\n";
}

// Checks `store`, reopened after the crash of cycle `cycle`. False when the
// oracle found violations (they are in `report`).
bool record_check(fault::CrashRecorder& recorder, const Store& store, std::uint64_t cycle, RunReport& report) {
  const fault::OracleReport checked = recorder.check(store);
  ++report.checks;
  report.documents_verified += checked.documents;
  report.final_documents = checked.documents;
  report.final_revision = checked.recovered_revision;
  report.final_indexes = store.indexes().size();
  for (const std::string& violation : checked.violations) {
    report.violation("cycle " + std::to_string(cycle) + ": " + violation);
  }
  return checked.ok();
}

// A child process running the workload, and the pipe it reports on.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (events_fd_ >= 0) ::close(events_fd_);
  }

  // Starts this binary with `args` (after argv[0]) and writes `input` to its
  // stdin. The child reads all of its input before it reports anything, so
  // the write cannot wait on the parent's reading.
  Status spawn(const std::vector<std::string>& args, const std::string& input) {
    int events[2];
    int stdin_pipe[2];
    if (::pipe2(events, O_CLOEXEC) != 0) return Status::io_error(errno_text("pipe"));
    if (::pipe2(stdin_pipe, O_CLOEXEC) != 0) {
      ::close(events[0]);
      ::close(events[1]);
      return Status::io_error(errno_text("pipe"));
    }
    if (events[1] == kChildEventsFd) {
      // dup2 onto itself would leave close-on-exec set.
      const int moved = ::fcntl(events[1], F_DUPFD_CLOEXEC, kChildEventsFd + 1);
      ::close(events[1]);
      events[1] = moved;
    }
    std::vector<std::string> argv_storage = {"snapstore"};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : argv_storage) argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_pipe[0], 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, events[1], kChildEventsFd);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);  // the parent ignores it; the child must die of it
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
    const int spawned = ::posix_spawn(&pid_, "/proc/self/exe", &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(events[1]);
    ::close(stdin_pipe[0]);
    if (spawned != 0) {
      pid_ = -1;
      ::close(events[0]);
      ::close(stdin_pipe[1]);
      errno = spawned;
      return Status::io_error(errno_text("cannot start the child process /proc/self/exe"));
    }
    events_fd_ = events[0];
    std::string_view rest = input;
    while (!rest.empty()) {
      const ssize_t n = ::write(stdin_pipe[1], rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the child is gone; reaping it will tell why
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ::close(stdin_pipe[1]);
    return Status::ok();
  }

  // Hands the child's events to `sink` until `done()` holds, `deadline`
  // passes, or the child closes the pipe (then false).
  Result<bool> pump(fault::WorkloadSink& sink, Clock::time_point deadline, const std::function<bool()>& done) {
    while (!done()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return true;
      pollfd readable{events_fd_, POLLIN, 0};
      const int ready = ::poll(&readable, 1, static_cast<int>(std::min<long long>(left, 100)));
      if (ready < 0 && errno != EINTR) return Status::io_error(errno_text("poll"));
      if (ready <= 0) continue;
      auto more = read_some(sink);
      if (!more || !*more) return more;
    }
    return true;
  }

  // SIGKILLs the child (if it still runs), hands over what it wrote before
  // it died, and returns its wait status.
  Result<int> kill_and_reap(fault::WorkloadSink& sink) {
    ::kill(pid_, SIGKILL);
    for (;;) {
      auto more = read_some(sink);
      if (!more) return more.status();
      if (!*more) break;
    }
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) return Status::io_error(errno_text("waitpid"));
    }
    pid_ = -1;
    // A line cut short by the kill was never completely sent: it did not happen.
    partial_.clear();
    return status;
  }

 private:
  // One read(); false at the end of the pipe.
  Result<bool> read_some(fault::WorkloadSink& sink) {
    char buffer[1 << 16];
    ssize_t n = 0;
    do {
      n = ::read(events_fd_, buffer, sizeof buffer);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Status::io_error(errno_text("reading the child's events"));
    if (n == 0) return false;
    partial_.append(buffer, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t end; (end = partial_.find('\n', start)) != std::string::npos; start = end + 1) {
      if (Status s = fault::decode_event(std::string_view(partial_).substr(start, end - start), sink); !s) return s;
    }
    partial_.erase(0, start);
    return true;
  }

  pid_t pid_ = -1;
  int events_fd_ = -1;
  std::string partial_;
};

// The default mode and the kill-point walk: a child per cycle.
int run_child_cycles(const Plan& plan, bool walk_kill_points, RunReport& report) {
  const std::string store_dir = store_dir_of(plan.dir);
  const Durability durability = parse_durability(plan.durability);
  // A killed process keeps everything written to the OS: every
  // acknowledgement must survive, in every durability mode.
  fault::CrashRecorder recorder(/*acks_survive_crash=*/true);
  std::mt19937_64 random(plan.seed);
  {
    // Every child opens an existing store, so that none dies half-way
    // through creating one.
    auto created = Store::open(store_dir, workload_options(durability, walk_kill_points));
    if (!created) return report_error("crashtest", created.status());
  }
  Options check_options;
  check_options.read_only = true;
  check_options.create_if_missing = false;

  while (plan.more(report.cycles)) {
    const std::uint64_t cycle = report.cycles + 1;
    const std::string where = "cycle " + std::to_string(cycle) + ": ";
    recorder.begin_cycle();
    std::vector<std::string> args = {"crashtest",
                                     plan.dir,
                                     "--child",
                                     "--cycle",
                                     std::to_string(cycle),
                                     "--seed",
                                     std::to_string(random()),
                                     "--threads",
                                     std::to_string(plan.threads),
                                     "--durability",
                                     plan.durability};
    if (!plan.inject_bug.empty()) args.insert(args.end(), {"--inject-bug", plan.inject_bug});
    KillPointResult point;
    bool kill_while_opening = false;
    Clock::duration limit = kCycleLimit;
    std::function<bool()> done = [] { return false; };
    if (walk_kill_points) {
      point.name = std::string(base::kKillPoints[(cycle - 1) % base::kKillPoints.size()]);
      const bool in_recovery = point.name.starts_with("recovery.");  // reached once per open
      point.hit = in_recovery ? 1 : 1 + static_cast<unsigned>(random() % 3);
      args.insert(args.end(), {"--kill-point", point.name, "--kill-hit", std::to_string(point.hit)});
      if (in_recovery) {
        // A tail for the recovery to cut (its truncation points lie on that path).
        if (auto torn = fault::tear_wal_tail(store_dir); !torn) return report_error("crashtest", torn.status());
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
    if (Status s = child.spawn(args, input); !s) return report_error("crashtest", s);
    auto pumped = child.pump(recorder, Clock::now() + limit, done);
    if (!pumped) return report_error("crashtest", pumped.status());
    auto wait_status = child.kill_and_reap(recorder);
    if (!wait_status) return report_error("crashtest", wait_status.status());
    ++report.cycles;
    if (!recorder.protocol_error().empty()) {
      return report_error("crashtest", Status::io_error("the child's report: " + recorder.protocol_error()));
    }
    const int status = *wait_status;
    if (WIFEXITED(status) && WEXITSTATUS(status) != kChildOpenFailed) {
      return report_error("crashtest", Status::io_error("the child process failed with exit code " +
                                                        std::to_string(WEXITSTATUS(status)) + " (see above)"));
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
    const bool clean = record_check(recorder, *store, cycle, report);
    status_line(plan, report, recorder);
    if (!clean || crashed) break;
  }
  report.take_counts(recorder);
  return kExitOk;
}

// --power-loss: the same cycles in this process, on the fault-injecting Envs.
int run_power_loss_cycles(const Plan& plan, RunReport& report) {
  const std::string store_dir = store_dir_of(plan.dir);
  const Durability durability = parse_durability(plan.durability);
  // A power cut keeps only what was synced: acknowledgements in sync mode,
  // and whatever a successful flush() covered.
  fault::CrashRecorder recorder(/*acks_survive_crash=*/durability == Durability::kSync);
  std::mt19937_64 random(plan.seed);
  fault::FaultState disk(plan.dir + "/trash", random());
  const std::unique_ptr<wal::Env> wal_env = fault::make_fault_env(wal::Env::posix(), &disk);
  const std::unique_ptr<rocksdb::Env> rocksdb_env = fault::make_fault_rocksdb_env(&disk);
  const engine::StorageEnv env{wal_env.get(), rocksdb_env.get()};
  const Options options = workload_options(durability, false);
  constexpr fault::PowerCut kCuts[] = {fault::PowerCut::kDropUnsynced, fault::PowerCut::kDropRandomSuffix,
                                       fault::PowerCut::kKeepRandomSubset};

  std::optional<Store> store;
  {
    auto created = engine::StoreCore::open_store(store_dir, options, env);
    if (!created) return report_error("crashtest", created.status());
    store.emplace(std::move(*created));
  }
  while (plan.more(report.cycles)) {
    const std::uint64_t cycle = report.cycles + 1;
    const std::string where = "cycle " + std::to_string(cycle) + ": ";
    recorder.begin_cycle();
    recorder.opened(store->revision());
    const fault::WorkloadConfig config{plan.threads, random(), cycle, durability, plan.inject_bug == "ack-unwritten"};
    const std::uint64_t ack_target = 1 + random() % kMaxAcksPerCycle;
    const fault::PowerCut cut = kCuts[random() % std::size(kCuts)];
    const bool crash_recovery = random() % kRecoveryCrashOneIn == 0;
    const std::uint64_t recovery_call = 1 + random() % kRecoveryCrashMaxCall;
    {
      fault::CrashWorkload work(*store, config, recorder.owned_documents(plan.threads), recorder);
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
    ++report.power_cuts[std::string(fault::to_string(cut))];
    if (Status s = disk.power_cut(cut); !s) return report_error("crashtest", s);
    if (crash_recovery) {
      const std::uint64_t failed_before = disk.failures();
      disk.fail_call(recovery_call, fault::IoError::kEio, /*forever=*/true);
      {
        auto interrupted = engine::StoreCore::open_store(store_dir, options, env);
        disk.power_off();
      }
      disk.clear_failures();
      if (disk.failures() > failed_before) ++report.recovery_crashes;
      if (Status s = disk.power_cut(fault::PowerCut::kDropUnsynced); !s) return report_error("crashtest", s);
    }
    auto reopened = engine::StoreCore::open_store(store_dir, options, env);
    if (!reopened) {
      report.violation(where + "the store does not open after the power cut (" + std::string(fault::to_string(cut)) +
                       "): " + reopened.status().message());
      break;
    }
    store.emplace(std::move(*reopened));
    const bool clean = record_check(recorder, *store, cycle, report);
    status_line(plan, report, recorder);
    if (!clean) break;
  }
  store.reset();
  report.take_counts(recorder);
  return kExitOk;
}

std::string json_string(const std::string& text) { return to_json(Value(text)); }

void print_json(const RunReport& r) {
  std::ostringstream out;
  out << "{\"seed\":" << r.seed << ",\"mode\":" << json_string(r.mode)
      << ",\"durability\":" << json_string(r.durability) << ",\"threads\":" << r.threads << ",\"cycles\":" << r.cycles
      << ",\"killed_while_opening\":" << r.killed_while_opening << ",\"power_cuts\":{";
  const char* comma = "";
  for (const auto& [kind, count] : r.power_cuts) {
    out << comma << json_string(kind) << ":" << count;
    comma = ",";
  }
  out << "},\"recovery_crashes\":" << r.recovery_crashes << ",\"issued\":" << r.issued
      << ",\"acknowledged\":" << r.acknowledged << ",\"unknown\":" << r.unknown << ",\"rejected\":" << r.rejected
      << ",\"lost_unsynced\":" << r.lost_unsynced << ",\"flushes\":" << r.flushes << ",\"checks\":" << r.checks
      << ",\"documents_verified\":" << r.documents_verified << ",\"final_documents\":" << r.final_documents
      << ",\"final_indexes\":" << r.final_indexes << ",\"final_revision\":" << r.final_revision << ",\"kill_points\":[";
  comma = "";
  for (const KillPointResult& point : r.kill_points) {
    out << comma << "{\"name\":" << json_string(point.name) << ",\"hit\":" << point.hit
        << ",\"reached\":" << (point.reached ? "true" : "false") << "}";
    comma = ",";
  }
  out << "],\"violation_count\":" << r.violation_count << ",\"violations\":[";
  comma = "";
  for (const std::string& violation : r.violations) {
    out << comma << json_string(violation);
    comma = ",";
  }
  out << "],\"elapsed_seconds\":" << r.elapsed_seconds << ",\"ok\":" << (r.violation_count == 0 ? "true" : "false")
      << "}\n";
  std::cout << out.str();
}

void print_text(const RunReport& r, const std::string& dir) {
  std::ostringstream out;
  out << "mode: " << r.mode << ", durability " << r.durability << ", " << r.threads << " writer threads, store "
      << store_dir_of(dir) << "\n";
  out << "cycles: " << r.cycles;
  if (r.mode == "sigkill") out << " (" << r.killed_while_opening << " killed while opening the store)";
  out << "\n";
  if (!r.power_cuts.empty()) {
    out << "power cuts:";
    for (const auto& [kind, count] : r.power_cuts) out << " " << kind << " " << count;
    out << "; " << r.recovery_crashes << " more during recovery\n";
  }
  out << "operations: " << r.issued << " issued, " << r.acknowledged << " acknowledged, " << r.unknown
      << " of unknown outcome (in flight at a crash), " << r.rejected << " rejected, " << r.flushes << " flushes";
  if (r.mode == "power-loss")
    out << "; " << r.lost_unsynced << " acknowledged but unsynced writes lost, as the mode allows";
  out << "\n";
  out << "checks: " << r.checks << " (one per recovery), " << r.documents_verified
      << " documents verified in all; final store: " << r.final_documents << " documents, " << r.final_indexes
      << " indexes, revision " << r.final_revision << "\n";
  if (!r.kill_points.empty()) {
    out << "kill points:\n";
    for (const KillPointResult& point : r.kill_points) {
      out << "  " << point.name << std::string(point.name.size() < 28 ? 28 - point.name.size() : 1, ' ') << "hit "
          << point.hit << "  " << (point.reached ? "reached" : "NOT REACHED") << "\n";
    }
  }
  out << "violations: " << r.violation_count;
  if (r.violation_count > kViolationsPrinted) out << " (the first " << kViolationsPrinted << ")";
  out << "\n";
  for (std::size_t i = 0; i < r.violations.size() && i < kViolationsPrinted; ++i)
    out << "  " << r.violations[i] << "\n";
  out.precision(1);
  out << std::fixed << "elapsed: " << r.elapsed_seconds << " s\n";
  out << "result: " << (r.violation_count == 0 ? "ok" : "FAILED") << "\n";
  std::cout << out.str();
}

}  // namespace

CLI::App* CrashtestCommand::setup(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "crashtest",
      "Crash a store again and again under a multi-threaded workload and check every recovery against the "
      "acknowledged writes; exit 1 on any violation");
  sub->add_option("dir", dir_, "A new or empty directory for the test's store (kept afterwards)")->required();
  cycles_option_ = sub->add_option("--cycles", cycles_, "Crash cycles to run (default 100; 18 with --kill-points)")
                       ->check(CLI::PositiveNumber);
  seconds_option_ = sub->add_option("--seconds", seconds_, "Run cycles for this long instead")
                        ->check(CLI::PositiveNumber)
                        ->excludes(cycles_option_);
  sub->add_option("--threads", threads_, "Writer threads (default 4)")->check(CLI::Range(1U, 64U));
  seed_option_ = sub->add_option("--seed", seed_, "Seed of the random plan (default: random; printed first)");
  sub->add_option("--durability", durability_, "sync (default), periodic or none")
      ->check(CLI::IsMember({"sync", "periodic", "none"}));
  CLI::Option* power =
      sub->add_flag("--power-loss", power_loss_,
                    "Cut the power in-process through the fault-injecting file systems instead of SIGKILL");
  sub->add_flag("--kill-points", kill_points_,
                "Walk the named kill points: each cycle the child kills itself at one (needs SNAPSTORE_KILL_POINTS)")
      ->excludes(power);
  sub->add_flag("--json", json_, "The report as one JSON object");
  // Hidden: the harness's self-test, and the child's side of a cycle.
  sub->add_option("--inject-bug", inject_bug_, "Harness self-test: ack-unwritten")
      ->check(CLI::IsMember({"ack-unwritten"}))
      ->group("");
  sub->add_flag("--child", child_)->group("");
  sub->add_option("--cycle", cycle_)->group("");
  sub->add_option("--kill-point", kill_point_)->group("");
  sub->add_option("--kill-hit", kill_hit_)->group("");
  return sub;
}

int CrashtestCommand::run_child() {
  fault::PipeSink sink(kChildEventsFd);
  std::vector<std::vector<std::string>> owned(threads_);
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream fields(line);
    unsigned thread = 0;
    std::string id;
    if (!(fields >> thread >> id) || thread >= threads_) {
      return report_error("crashtest", Status::invalid_argument("child: a bad input line '" + line + "'"));
    }
    owned[thread].push_back(id);
  }
  if (!kill_point_.empty()) {
#ifdef SNAPSTORE_KILL_POINTS
    auto hits = std::make_shared<std::atomic<unsigned>>(0);
    base::set_kill_point_handler([&sink, point = kill_point_, hit = kill_hit_, hits](std::string_view at) {
      if (at == point && hits->fetch_add(1) + 1 == hit) {
        sink.kill_point(point);
        ::raise(SIGKILL);
      }
    });
#else
    return report_error("crashtest", Status::invalid_argument("this binary was built without kill points"));
#endif
  }
  const Durability durability = parse_durability(durability_);
  auto store = Store::open(store_dir_of(dir_), workload_options(durability, !kill_point_.empty()));
  if (!store) {
    sink.anomaly("the store does not open after the crash: " + store.status().message());
    base::set_kill_point_handler({});
    return kChildOpenFailed;
  }
  sink.opened(store->revision());
  const fault::WorkloadConfig config{threads_, seed_, cycle_, durability, inject_bug_ == "ack-unwritten"};
  fault::CrashWorkload work(*store, config, std::move(owned), sink);
  work.start();
  // Only the parent's SIGKILL (or a kill point's) ends this process: the
  // store is never closed.
  for (;;) ::pause();
}

int CrashtestCommand::run(const GlobalOptions& global) {
  if (child_) return run_child();
#ifndef SNAPSTORE_KILL_POINTS
  if (kill_points_) {
    return report_error("crashtest", Status::invalid_argument(
                                         "--kill-points needs a build with -DSNAPSTORE_KILL_POINTS=ON; this binary "
                                         "has no kill points compiled in"));
  }
#endif
  std::error_code error;
  if (std::filesystem::exists(dir_, error) &&
      (!std::filesystem::is_directory(dir_, error) || !std::filesystem::is_empty(dir_, error))) {
    return report_error("crashtest", Status::invalid_argument(dir_ + " must be a new or empty directory: the test "
                                                                     "keeps its own store there"));
  }
  if (!std::filesystem::create_directories(dir_, error) && error) {
    return report_error("crashtest", Status::io_error("cannot create " + dir_ + ": " + error.message()));
  }
  // A child that dies early must not take the parent with it while it is
  // being written to.
  ::signal(SIGPIPE, SIG_IGN);

  Plan plan;
  plan.dir = dir_;
  plan.threads = threads_;
  plan.durability = durability_;
  plan.inject_bug = inject_bug_;
  plan.quiet = global.quiet;
  plan.seed =
      seed_option_->count() > 0 ? seed_ : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  if (cycles_option_->count() > 0) plan.cycles = cycles_;
  if (seconds_option_->count() > 0) plan.seconds = seconds_;
  if (plan.cycles == 0 && plan.seconds == 0) plan.cycles = kill_points_ ? base::kKillPoints.size() : 100;

  // The seed first, so that even a run that never finishes can be replayed.
  if (json_) {
    if (!global.quiet) std::cerr << "snapstore crashtest: seed " << plan.seed << "\n";
  } else {
    std::cout << "snapstore crashtest: seed " << plan.seed << std::endl;
  }

  RunReport report;
  report.mode = power_loss_ ? "power-loss" : kill_points_ ? "kill-points" : "sigkill";
  report.durability = durability_;
  report.threads = threads_;
  report.seed = plan.seed;
  const int code = power_loss_ ? run_power_loss_cycles(plan, report) : run_child_cycles(plan, kill_points_, report);
  if (code != kExitOk) return code;
  report.elapsed_seconds = std::chrono::duration<double>(Clock::now() - plan.started).count();
  if (json_) {
    print_json(report);
  } else {
    print_text(report, dir_);
  }
  return report.violation_count == 0 ? kExitOk : kExitProblem;
}

}  // namespace snapstore::tools
