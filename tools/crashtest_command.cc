// `snapstore crashtest` (see crashtest_command.h): the options, the hidden
// options of the child a cycle starts (this binary again), and the report.
// The harness itself — cycles, child processes, workload, oracle — is
// fault/crash_harness.h.
#include "tools/crashtest_command.h"

#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fault/crash_harness.h"
#include "tools/cli_support.h"

namespace snapstore::tools {
namespace {

constexpr std::size_t kViolationsPrinted = 10;
constexpr std::uint64_t kStatusEvery = 100;  // cycles between status lines on stderr

// The child's command line for `spec`: the hidden options below.
std::vector<std::string> child_arguments(const fault::CrashChildSpec& spec) {
  std::vector<std::string> args = {"crashtest",
                                   spec.dir,
                                   "--child",
                                   "--cycle",
                                   std::to_string(spec.cycle),
                                   "--seed",
                                   std::to_string(spec.seed),
                                   "--threads",
                                   std::to_string(spec.threads),
                                   "--durability",
                                   std::string(fault::to_string(spec.durability))};
  if (spec.inject_ack_unwritten) args.insert(args.end(), {"--inject-bug", "ack-unwritten"});
  if (!spec.kill_point.empty()) {
    args.insert(args.end(), {"--kill-point", spec.kill_point, "--kill-hit", std::to_string(spec.kill_hit)});
  }
  return args;
}

std::string json_string(const std::string& text) { return to_json(Value(text)); }

void print_json(const fault::CrashRunReport& r) {
  std::ostringstream out;
  out << "{\"seed\":" << r.seed << ",\"mode\":" << json_string(std::string(fault::to_string(r.mode)))
      << ",\"durability\":" << json_string(std::string(fault::to_string(r.durability))) << ",\"threads\":" << r.threads
      << ",\"cycles\":" << r.cycles << ",\"killed_while_opening\":" << r.killed_while_opening << ",\"power_cuts\":{";
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
  for (const fault::KillPointResult& point : r.kill_points) {
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
  out << "],\"elapsed_seconds\":" << r.elapsed_seconds << ",\"ok\":" << (r.ok() ? "true" : "false") << "}\n";
  std::cout << out.str();
}

void print_text(const fault::CrashRunReport& r) {
  std::ostringstream out;
  out << "mode: " << fault::to_string(r.mode) << ", durability " << fault::to_string(r.durability) << ", " << r.threads
      << " writer threads, store " << r.store_dir << "\n";
  out << "cycles: " << r.cycles;
  if (r.mode == fault::CrashMode::kSigkill) out << " (" << r.killed_while_opening << " killed while opening the store)";
  out << "\n";
  if (!r.power_cuts.empty()) {
    out << "power cuts:";
    for (const auto& [kind, count] : r.power_cuts) out << " " << kind << " " << count;
    out << "; " << r.recovery_crashes << " more during recovery\n";
  }
  out << "operations: " << r.issued << " issued, " << r.acknowledged << " acknowledged, " << r.unknown
      << " of unknown outcome (in flight at a crash), " << r.rejected << " rejected, " << r.flushes << " flushes";
  if (r.mode == fault::CrashMode::kPowerLoss)
    out << "; " << r.lost_unsynced << " acknowledged but unsynced writes lost, as the mode allows";
  out << "\n";
  out << "checks: " << r.checks << " (one per recovery), " << r.documents_verified
      << " documents verified in all; final store: " << r.final_documents << " documents, " << r.final_indexes
      << " indexes, revision " << r.final_revision << "\n";
  if (!r.kill_points.empty()) {
    out << "kill points:\n";
    for (const fault::KillPointResult& point : r.kill_points) {
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
  out << "result: " << (r.ok() ? "ok" : "FAILED") << "\n";
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
  sub->footer(
      "Examples:\n"
      "  snapstore crashtest /tmp/ct --cycles 30          30 kill -9 cycles in sync mode\n"
      "  snapstore crashtest /tmp/ct-pl --power-loss --durability periodic --seconds 60\n"
      "                                                   power cuts for a minute, periodic mode\n"
      "  snapstore crashtest /tmp/ct-kp --kill-points     one cycle per named kill point\n"
      "  snapstore crashtest /tmp/ct-7 --seed 7           replay the plan of seed 7\n"
      "  snapstore verify /tmp/ct/store                   the store stays in DIR afterwards");
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
  fault::CrashChildSpec spec;
  spec.dir = dir_;
  spec.cycle = cycle_;
  spec.seed = seed_;
  spec.threads = threads_;
  auto durability = fault::parse_durability(durability_);
  if (!durability) return report_error("crashtest", durability.status());
  spec.durability = *durability;
  spec.inject_ack_unwritten = inject_bug_ == "ack-unwritten";
  spec.kill_point = kill_point_;
  spec.kill_hit = kill_hit_;
  auto code = fault::run_crash_child(spec);
  if (!code) return report_error("crashtest", code.status());
  return *code;
}

int CrashtestCommand::run(const GlobalOptions& global) {
  if (child_) return run_child();
  fault::CrashRunPlan plan;
  plan.dir = dir_;
  plan.mode = power_loss_    ? fault::CrashMode::kPowerLoss
              : kill_points_ ? fault::CrashMode::kKillPoints
                             : fault::CrashMode::kSigkill;
  plan.threads = threads_;
  auto durability = fault::parse_durability(durability_);
  if (!durability) return report_error("crashtest", durability.status());
  plan.durability = *durability;
  plan.inject_ack_unwritten = inject_bug_ == "ack-unwritten";
  if (Status s = fault::prepare_crash_run(plan); !s) return report_error("crashtest", s);

  plan.seed =
      seed_option_->count() > 0 ? seed_ : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  if (cycles_option_->count() > 0) plan.cycles = cycles_;
  if (seconds_option_->count() > 0) plan.seconds = seconds_;
  if (plan.cycles == 0 && plan.seconds == 0) plan.cycles = fault::default_crash_cycles(plan.mode);
  plan.child_arguments = child_arguments;
  plan.on_check = [&global](const fault::CrashRunReport& report) {
    if (global.quiet || report.cycles % kStatusEvery != 0) return;
    std::cerr << "crashtest: cycle " << report.cycles << ", " << report.acknowledged << " acknowledged, "
              << report.violation_count << " violations\n";
  };

  // The seed first, so that even a run that never finishes can be replayed.
  if (json_) {
    if (!global.quiet) std::cerr << "snapstore crashtest: seed " << plan.seed << "\n";
  } else {
    std::cout << "snapstore crashtest: seed " << plan.seed << std::endl;
  }

  auto report = fault::run_crash_test(plan);
  if (!report) return report_error("crashtest", report.status());
  if (json_) {
    print_json(*report);
  } else {
    print_text(*report);
  }
  return report->ok() ? kExitOk : kExitProblem;
}

}  // namespace snapstore::tools
