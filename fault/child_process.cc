// ChildProcess (see child_process.h).
#include "fault/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

extern char** environ;

namespace snapstore::fault {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (events_fd_ >= 0) ::close(events_fd_);
}

Status ChildProcess::spawn(const std::string& program, const std::vector<std::string>& args, const std::string& input) {
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
  const int spawned = ::posix_spawn(&pid_, program.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(events[1]);
  ::close(stdin_pipe[0]);
  if (spawned != 0) {
    pid_ = -1;
    ::close(events[0]);
    ::close(stdin_pipe[1]);
    errno = spawned;
    return Status::io_error(errno_text("cannot start the child process " + program));
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

Result<bool> ChildProcess::pump(WorkloadSink& sink, Clock::time_point deadline, const std::function<bool()>& done) {
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

Result<int> ChildProcess::kill_and_reap(WorkloadSink& sink) {
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

Result<bool> ChildProcess::read_some(WorkloadSink& sink) {
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
    if (Status s = decode_event(std::string_view(partial_).substr(start, end - start), sink); !s) return s;
  }
  partial_.erase(0, start);
  return true;
}

}  // namespace snapstore::fault
