// Command: one `snapstore` subcommand. Each lives in its own file and is
// registered with one line in main.cc: setup() declares the subcommand and
// its options on the CLI11 app; run() does the work once the command line
// has parsed and returns the process exit code.
//
// Exit codes, for every subcommand (DECISIONS D54): 0 ok; 1 the command ran
// and the data answered with a problem (a missing document or index, one
// that already exists, damage: a failed verify, a damaged dump); 2 the
// command could not run as given: usage, any bad input (malformed JSON, a
// document that is not an object, an invalid argument), an I/O error, a
// store held by another process. Data goes to stdout, messages to stderr.
//
// Thread safety: commands run one per process, on the main thread.
#pragma once

#include <CLI/CLI.hpp>

namespace snapstore::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitProblem = 1;
inline constexpr int kExitUsage = 2;

// Options every subcommand shares.
struct GlobalOptions {
  bool quiet = false;
  double wait_seconds = 0;  // --wait: how long to wait for a store another process holds
};

class Command {
 public:
  virtual ~Command() = default;
  // Adds the subcommand to `app`; the returned subcommand is what main.cc
  // checks to decide which command runs.
  virtual CLI::App* setup(CLI::App& app) = 0;
  virtual int run(const GlobalOptions& global) = 0;
};

}  // namespace snapstore::tools
