// `snapstore crashtest`: crashes a store again and again while a randomized
// multi-threaded workload writes to it, and after every crash checks the
// recovered store against the acknowledgements of all cycles so far (the
// crash oracle of fault/oracle.h; docs/GUARANTEES.md describes the run).
//
//   default        a child process (this binary, hidden --child mode) runs
//                  the workload and reports over a pipe; the parent SIGKILLs
//                  it at a random moment, reopens the store and checks
//   --power-loss   the same cycles in-process on the fault-injecting Envs:
//                  power off, stop the writers, cut the power, reopen, check
//   --kill-points  one cycle per named kill point: the child SIGKILLs itself
//                  at the Nth hit of the point; a point never reached fails
//
// The seed is printed first; the same seed replays the same plan (kill
// moments, operation choices), though thread scheduling still varies.
// `--inject-bug ack-unwritten` (hidden) is the harness's self-test: the
// workload reports one insert as acknowledged without performing it, and
// the run must fail naming that document.
//
// Thread safety: see command.h.
#pragma once

#include <cstdint>
#include <string>

#include "tools/command.h"

namespace CLI {
class Option;
}

namespace snapstore::tools {

class CrashtestCommand final : public Command {
 public:
  CLI::App* setup(CLI::App& app) override;
  int run(const GlobalOptions& global) override;

 private:
  int run_child();

  std::string dir_;
  std::uint64_t cycles_ = 0;
  double seconds_ = 0;
  unsigned threads_ = 4;
  std::uint64_t seed_ = 0;
  std::string durability_ = "sync";
  bool power_loss_ = false;
  bool kill_points_ = false;
  bool json_ = false;
  std::string inject_bug_;
  CLI::Option* seed_option_ = nullptr;
  CLI::Option* cycles_option_ = nullptr;
  CLI::Option* seconds_option_ = nullptr;
  // The child's side (hidden options).
  bool child_ = false;
  std::uint64_t cycle_ = 0;
  std::string kill_point_;
  unsigned kill_hit_ = 1;
};

}  // namespace snapstore::tools
