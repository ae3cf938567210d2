// ChildProcess: the crash harness's child of one cycle (crash_harness.h),
// started with posix_spawn — never fork(): RocksDB's threads do not survive
// it — with its input on stdin and its events (crash_workload.h's line
// protocol) on a pipe at file descriptor kChildEventsFd, and its stdout on
// /dev/null. The parent pumps the events into a WorkloadSink, then SIGKILLs
// the child and collects what it wrote before it died.
//
// Thread safety: one controlling thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "fault/crash_workload.h"
#include "snapstore/status.h"

namespace snapstore::fault {

inline constexpr int kChildEventsFd = 3;

class ChildProcess {
 public:
  using Clock = std::chrono::steady_clock;

  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // kills and reaps a child still running

  // Starts `program` with `args` (after argv[0]) and writes `input` to its
  // stdin. The child must read all of its input before it reports anything,
  // so that the write cannot wait on the parent's reading.
  Status spawn(const std::string& program, const std::vector<std::string>& args, const std::string& input);

  // Hands the child's events to `sink` until `done()` holds, `deadline`
  // passes, or the child closes the pipe (then false).
  Result<bool> pump(WorkloadSink& sink, Clock::time_point deadline, const std::function<bool()>& done);

  // SIGKILLs the child (if it still runs), hands over what it wrote before
  // it died, and returns its wait status.
  Result<int> kill_and_reap(WorkloadSink& sink);

 private:
  // One read(); false at the end of the pipe.
  Result<bool> read_some(WorkloadSink& sink);

  pid_t pid_ = -1;
  int events_fd_ = -1;
  std::string partial_;  // a line not yet complete
};

}  // namespace snapstore::fault
