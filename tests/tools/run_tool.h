// Runs the real `snapstore` binary (SNAPSTORE_TOOL, set by CMake) with
// posix_spawn — never fork(), which hangs once RocksDB's threads exist —
// capturing its exit code, stdout and stderr through files.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "testutil/file_bytes.h"
#include "testutil/temp_dir.h"

extern char** environ;

namespace snapstore::testutil {

struct ToolRun {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

class ToolRunner {
 public:
  // Every run gets SOURCE_DATE_EPOCH, so that dumps are reproducible.
  ToolRun run(const std::vector<std::string>& args, const std::string& stdin_path = "/dev/null") const {
    const pid_t pid = start(args, stdin_path);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ToolRun result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_bytes(scratch_ / "out");
    result.err = read_bytes(scratch_ / "err");
    return result;
  }

  // Starts the tool without waiting; the caller waits (or kills) `pid`.
  pid_t start(const std::vector<std::string>& args, const std::string& stdin_path = "/dev/null") const {
    return start_program(SNAPSTORE_TOOL, args, stdin_path);
  }

  // Another program (a test helper), with the same redirections.
  pid_t start_program(const std::string& program, const std::vector<std::string>& args,
                      const std::string& stdin_path = "/dev/null") const {
    std::vector<std::string> argv_storage = {program};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_storage = {"SOURCE_DATE_EPOCH=1700000000"};
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string(*e).rfind("SOURCE_DATE_EPOCH=", 0) != 0) env_storage.emplace_back(*e);
    }
    std::vector<char*> envp;
    for (std::string& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
    const std::string out = scratch_ / "out";
    const std::string err = scratch_ / "err";
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    if (::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) std::abort();
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }

  // Where the last started program's stdout goes, and what it holds so far
  // (for a program started without waiting); its stderr so far.
  std::string out_path() const { return scratch_ / "out"; }
  std::string run_output() const { return read_bytes(scratch_ / "out"); }
  std::string run_error() const { return read_bytes(scratch_ / "err"); }

 private:
  TempDir scratch_;
};

}  // namespace snapstore::testutil
