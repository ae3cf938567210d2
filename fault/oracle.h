// The crash oracle of FAULTS.md, checked against a reopened store: every
// write acknowledged as durable is present; the state is that of a prefix of
// the log (no acknowledged write after the recovered revision is present,
// none before it is missing); nothing was invented; versions and revisions
// are right; every index equals one rebuilt from the documents.
//
// A History records what a workload issued and what came back. Each
// document must be written by one thread at a time (its operations form a
// sequence) and a writer stops after an operation whose outcome is unknown
// (an I/O error, or the crash itself), as a fail-stop store makes it. Index
// definitions follow the same rule per index name. Conditional writes
// (update_if, remove_if) are updates and removes that also name the version
// they expect.
//
// Thread safety: History's recording methods may be called from any thread;
// check() while nothing records.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "snapstore/store.h"

namespace snapstore::fault {

enum class OpKind { kInsert, kUpdate, kRemove, kCreateIndex, kDropIndex, kBatch };

struct WorkloadOp {
  OpKind kind = OpKind::kInsert;
  std::string target;               // document id (update, remove) or index name
  Document document;                // insert, update
  std::vector<std::string> fields;  // create index
  // update, remove: when not 0, issued as update_if / remove_if at this
  // version. The oracle checks that an acknowledged one was issued at the
  // version its document had; a rejected one (VersionConflict) left nothing.
  std::uint64_t expected_version = 0;
  // kBatch: the batch's inserts, updates and removes in order (an update or
  // remove with expected_version carries a require_version precondition).
  // Acknowledged with the ids of every operation joined by ',' and the first
  // revision; the oracle checks that no batch is visible in part.
  std::vector<WorkloadOp> batch = {};
};

struct OracleReport {
  std::uint64_t recovered_revision = 0;
  std::uint64_t documents = 0;     // documents checked in the recovered store
  std::uint64_t acknowledged = 0;  // operations acknowledged by the workload
  std::uint64_t unknown = 0;       // operations whose outcome was unknown
  std::vector<std::string> violations;
  bool ok() const { return violations.empty(); }
};

class History {
 public:
  using Ticket = std::uint64_t;

  // Before issuing `op`.
  Ticket issue(WorkloadOp op);
  // It succeeded. For inserts `id` is the new document's; `revision` is the
  // write's revision, or 0 when unknown (index operations in concurrent
  // workloads).
  void acknowledged(Ticket ticket, std::string id, std::uint64_t revision);
  // It failed before reaching the log (validation): certainly not applied.
  void rejected(Ticket ticket);
  // Anything else — an I/O error, or no answer before the crash — leaves the
  // operation's outcome unknown; that is the default for an issued ticket.

  // Every acknowledged write up to `revision` is durable (sync mode
  // acknowledgements, or a successful flush()).
  void durable_through(std::uint64_t revision);

  // Checks `store` (reopened after the crash) against the history.
  OracleReport check(const Store& store) const;

 private:
  enum class Outcome { kUnknown, kAcknowledged, kRejected };
  struct Entry {
    WorkloadOp op;
    Outcome outcome = Outcome::kUnknown;
    std::string id;  // of the document written (inserts once acknowledged)
    std::uint64_t revision = 0;
  };

  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  std::uint64_t durable_revision_ = 0;
};

}  // namespace snapstore::fault
