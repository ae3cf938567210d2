// CrashRecorder: the parent's side of `snapstore crashtest`. It receives the
// events of every cycle's workload (a WorkloadSink), keeps them in one
// fault::History so that each check judges the store against the
// acknowledgements of all cycles so far, and decides what the next cycle may
// write.
//
// Beyond History::check() it checks what the oracle cannot see in a
// concurrent workload, where index operations carry no revision: the last
// operation on an index name, once acknowledged as durable, decides whether
// the index exists. Anomalies the workload reported are violations too.
//
// Across cycles:
// - Every acknowledgement is durable against a killed process; against a
//   power cut only in sync mode or once a later flush covers it.
// - A document with an operation of unknown outcome is never written again
//   (its one writer stopped, FAULTS.md's rule); it stays in every check.
// - After a clean check at recovered revision R, an acknowledged but not
//   durable write above R was lost by the power cut, as the mode allows: it
//   is recorded as rejected, because later cycles reuse its revision.
//
// Thread safety: the WorkloadSink methods may be called from any thread; the
// rest from one controlling thread while no workload runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fault/crash_workload.h"
#include "fault/oracle.h"

namespace snapstore::fault {

class CrashRecorder final : public WorkloadSink {
 public:
  // `acks_survive_crash`: every acknowledgement must survive the crash (a
  // killed process, or a power cut in sync mode); otherwise only flushes
  // make writes durable.
  explicit CrashRecorder(bool acks_survive_crash) : acks_survive_crash_(acks_survive_crash) {}

  // Starts a cycle: the next workload numbers its operations from 1 again.
  void begin_cycle();
  // From now on the crash is under way (power-loss mode): anomalies are
  // consequences of the dying disk, not violations.
  void crash_begun() { crashing_.store(true); }

  // WorkloadSink.
  void opened(std::uint64_t revision) override;
  void issued(std::uint64_t op, const WorkloadOp& what) override;
  void acknowledged(std::uint64_t op, const std::string& id, std::uint64_t revision) override;
  void rejected(std::uint64_t op) override;
  void unknown(std::uint64_t op, const std::string& reason) override;
  void flush_begun(std::uint64_t flush) override;
  void flushed(std::uint64_t flush, std::uint64_t durable_revision) override;
  void anomaly(const std::string& what) override;
  void kill_point(const std::string& point) override;

  // The store reopened after this cycle's crash, against everything recorded
  // so far. When clean, settles the cycle (see above).
  OracleReport check(const Store& store);

  // The documents the next cycle may write, dealt round-robin to `threads`
  // owners: present after every check so far and with no operation of
  // unknown outcome.
  std::vector<std::vector<std::string>> owned_documents(unsigned threads) const;

  // A protocol error: an event for an operation never issued.
  const std::string& protocol_error() const { return protocol_error_; }

  // This cycle.
  bool cycle_opened() const { return cycle_opened_.load(); }
  std::uint64_t cycle_acknowledged() const { return cycle_acknowledged_.load(); }
  const std::string& cycle_kill_point() const { return cycle_kill_point_; }
  // All cycles.
  std::uint64_t issued_total() const { return issued_; }
  std::uint64_t acknowledged_total() const { return acknowledged_; }
  std::uint64_t rejected_total() const { return rejected_; }
  std::uint64_t unknown_total() const { return unknown_; }
  std::uint64_t lost_unsynced_total() const { return lost_unsynced_; }
  std::uint64_t flushes_total() const { return flushes_; }

 private:
  enum class State { kUnknown, kAcknowledged, kRejected };
  struct OpRecord {
    History::Ticket ticket = 0;
    OpKind kind = OpKind::kInsert;
    std::string target;  // document id (inserts: once acknowledged) or index name
    // kBatch: each operation's kind and document id (inserts: once acknowledged).
    std::vector<std::pair<OpKind, std::string>> parts;
    State state = State::kUnknown;
    std::uint64_t revision = 0;
    bool durable = false;  // acknowledged, and certain to survive the crash
  };

  // mutex_ held:
  OpRecord* find_op(std::uint64_t op);

  const bool acks_survive_crash_;
  History history_;
  mutable std::mutex mutex_;
  std::vector<OpRecord> ops_;                                 // every cycle, in issue order
  std::unordered_map<std::uint64_t, std::size_t> cycle_ops_;  // this cycle's op number -> ops_ index
  std::vector<std::size_t> cycle_index_acks_;                 // acknowledged index ops of this cycle, in order
  std::map<std::uint64_t, std::size_t> flush_covers_;         // flush -> how many of cycle_index_acks_ it covers
  std::vector<std::string> anomalies_;
  std::string protocol_error_;
  std::string cycle_kill_point_;
  std::atomic<bool> cycle_opened_{false};
  std::atomic<bool> crashing_{false};
  std::atomic<std::uint64_t> cycle_acknowledged_{0};
  std::uint64_t issued_ = 0;
  std::uint64_t acknowledged_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t unknown_ = 0;  // outcomes still unknown when a cycle was checked
  std::uint64_t lost_unsynced_ = 0;
  std::uint64_t flushes_ = 0;
};

}  // namespace snapstore::fault
