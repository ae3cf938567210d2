// The randomized multi-threaded workload of `snapstore crashtest`, and the
// line protocol that carries what it did from a child process to the parent.
//
// A CrashWorkload runs K writer threads on one Store. Thread t owns a set of
// documents (those the parent hands it, plus those it inserts) and is their
// only writer; thread 0 alone creates and drops indexes. Every operation is
// reported to a WorkloadSink before it is issued and again when its outcome
// is known: acknowledged (id and revision), rejected (certainly not applied),
// or unknown — after which the thread stops, as the fail-stop rule of the
// oracle (fault/oracle.h) requires. In the periodic and none modes threads
// call flush() now and then and report the durable revision it gave.
// Updates and removes are sometimes conditional (update_if, remove_if) at the
// version the thread knows, and sometimes at a stale one, which must fail with
// VersionConflict and is reported rejected. One operation in twelve is a
// batch on two owned documents — update_if of one (sometimes at a stale
// version: the whole batch must fail), an update or remove of the other, an
// insert — acknowledged with all three ids.
//
// In a child process a PipeSink writes each event as one line to a pipe;
// the parent turns each line back into the same call with decode_event().
// The power-loss mode runs the workload in the parent, straight into its sink.
//
// Thread safety: CrashWorkload's methods are called by one controlling
// thread. A WorkloadSink is called from every workload thread at once and
// serializes itself; the order in which its calls complete is the order of
// the events.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fault/oracle.h"
#include "snapstore/store.h"

namespace snapstore::fault {

class WorkloadSink {
 public:
  virtual ~WorkloadSink() = default;
  // The store is open at `revision`; the workload starts.
  virtual void opened(std::uint64_t revision) = 0;
  // About to issue operation number `op` (unique within one workload).
  virtual void issued(std::uint64_t op, const WorkloadOp& what) = 0;
  // It succeeded. `id`: the document written (empty for index operations);
  // `revision`: the write's revision (0 for index operations, whose revision
  // the store does not return).
  virtual void acknowledged(std::uint64_t op, const std::string& id, std::uint64_t revision) = 0;
  // It failed without reaching the log.
  virtual void rejected(std::uint64_t op) = 0;
  // It failed with an unknown outcome; its thread stops.
  virtual void unknown(std::uint64_t op, const std::string& reason) = 0;
  // flush() number `flush` is about to be called: it covers every
  // acknowledgement reported before this event.
  virtual void flush_begun(std::uint64_t flush) = 0;
  // It succeeded, and the store reported `durable_revision`.
  virtual void flushed(std::uint64_t flush, std::uint64_t durable_revision) = 0;
  // Something the store must never do, seen by the workload (an owned
  // document missing, an index that exists against the index writer's
  // knowledge, a store that does not open): a violation.
  virtual void anomaly(const std::string& what) = 0;
  // The child reached kill point `point` and is killing itself.
  virtual void kill_point(const std::string& point) = 0;
};

// Writes each event as one line to a file descriptor (the child's end of the
// pipe), one write() per line so that a line is never torn by the kill.
//
// The protocol, one event per line, fields separated by one space; ids and
// index names contain no spaces; JSON is on one line:
//   O <revision>                           opened
//   I <op> insert <document JSON>          issued
//   I <op> update <id> <document JSON>
//   I <op> remove <id>
//   I <op> update-if <id> <expected version> <document JSON>
//   I <op> remove-if <id> <expected version>
//   I <op> batch [[kind, id, expected version, document], ...]
//                                          (id "" for inserts, document null for removes)
//   I <op> create-index <name> <fields as a JSON array of strings>
//   I <op> drop-index <name>
//   A <op> <id or -> <revision>            acknowledged (a batch: every id, joined by ',';
//                                          its first revision)
//   R <op>                                 rejected
//   U <op> <reason>                        unknown outcome
//   B <flush>                              flush begun
//   F <flush> <durable revision>           flushed
//   X <text>                               anomaly
//   K <point>                              kill point reached
class PipeSink final : public WorkloadSink {
 public:
  explicit PipeSink(int fd) : fd_(fd) {}

  void opened(std::uint64_t revision) override;
  void issued(std::uint64_t op, const WorkloadOp& what) override;
  void acknowledged(std::uint64_t op, const std::string& id, std::uint64_t revision) override;
  void rejected(std::uint64_t op) override;
  void unknown(std::uint64_t op, const std::string& reason) override;
  void flush_begun(std::uint64_t flush) override;
  void flushed(std::uint64_t flush, std::uint64_t durable_revision) override;
  void anomaly(const std::string& what) override;
  void kill_point(const std::string& point) override;

 private:
  void send(std::string line);

  const int fd_;
  std::mutex mutex_;  // one line at a time, in order
};

// Parses one line of the protocol (without its newline) and makes the call
// it describes on `sink`. InvalidArgument names a malformed line.
Status decode_event(std::string_view line, WorkloadSink& sink);

struct WorkloadConfig {
  unsigned threads = 4;
  std::uint64_t seed = 1;
  // Goes into every document with the operation number, so that no two
  // documents written in one crash test are equal (the oracle recognizes
  // an insert of unknown outcome by its data).
  std::uint64_t cycle = 0;
  Durability durability = Durability::kSync;
  // Harness self-test: once, thread 0 reports an insert as acknowledged
  // without performing it. The oracle must then report the document missing.
  bool ack_unwritten_insert = false;
};

// The index definitions the workload creates and drops.
inline constexpr std::string_view kWorkloadIndexNames[] = {"crash_0", "crash_1", "crash_2"};
// A unique index over "u", created (never dropped) by thread 0 first thing:
// the oracle checks that no key appears twice in it after every recovery.
// Once it exists, a tenth of the documents take "u" from a pool of eight
// values, so writes race into its keys and some are refused.
inline constexpr std::string_view kUniqueIndexName = "crash_unique";
inline constexpr std::string_view kUniqueField = "u";

class CrashWorkload {
 public:
  // `owned[t]` are the documents thread t may write (owned.size() must be
  // config.threads). The store and the sink must outlive the workload.
  CrashWorkload(Store& store, const WorkloadConfig& config, std::vector<std::vector<std::string>> owned,
                WorkloadSink& sink);
  ~CrashWorkload();  // stop()
  CrashWorkload(const CrashWorkload&) = delete;
  CrashWorkload& operator=(const CrashWorkload&) = delete;

  void start();
  // Asks every thread to stop after its current operation and joins them.
  void stop();

 private:
  void run_thread(unsigned thread);
  // Issues one batch on two of the thread's documents (an update_if, an
  // update or remove, an insert) and keeps owned/versions up to date. False
  // when the outcome is unknown: the thread stops.
  bool run_batch(std::mt19937_64& random, std::vector<std::string>& owned, std::vector<std::uint64_t>& versions,
                 std::uint64_t& last_revision);

  Store& store_;
  const WorkloadConfig config_;
  std::vector<std::vector<std::string>> owned_;
  std::vector<std::string> existing_indexes_;  // when the workload started
  WorkloadSink& sink_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> unique_ready_{false};  // kUniqueIndexName exists
  std::atomic<std::uint64_t> next_op_{1};
  std::atomic<std::uint64_t> next_flush_{1};
  std::vector<std::thread> threads_;
};

}  // namespace snapstore::fault
