// ChildProcess: one of the tests' helper programs (crash_child,
// follower_child, change_feed_child, ...) started with posix_spawn, its
// stdout readable through out(). A separate program rather than fork():
// RocksDB's and TBB's threads do not survive fork(). The destructor
// SIGKILLs and reaps a child still running, so a failing test leaves none.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace snapstore::testutil {

class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) std::abort();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<std::string> storage{program};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) std::abort();
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait();
    }
    if (out_ != nullptr) fclose(out_);
  }

  FILE* out() { return out_; }
  // The next line the child printed (with its newline); false at its end.
  bool next_line(std::string& line) {
    char buffer[512];
    if (std::fgets(buffer, sizeof buffer, out_) == nullptr) return false;
    line = buffer;
    return true;
  }
  void kill_now() { kill(pid_, SIGKILL); }
  // The exit code, or -1 when killed by a signal.
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

}  // namespace snapstore::testutil
