// `snapstore crashtest`: crashes a store again and again while a randomized
// multi-threaded workload writes to it, and after every crash checks the
// recovered store against the acknowledgements of all cycles so far
// (docs/GUARANTEES.md describes the run).
//
//   default        kill -9 of a child process at a random moment
//   --power-loss   power cuts in-process on the fault-injecting file systems
//   --kill-points  one cycle per named kill point
//
// A thin command over the harness of fault/crash_harness.h: it parses the
// options, prints the seed first, runs the harness and prints its report
// (text or --json). A cycle's child is this binary again, started with the
// hidden --child options, which it hands back to fault::run_crash_child.
// `--inject-bug ack-unwritten` (hidden) is the harness's self-test.
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
