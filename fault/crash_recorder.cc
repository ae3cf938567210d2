// The parent's record of a crash test (see crash_recorder.h).
#include "fault/crash_recorder.h"

#include <set>

namespace snapstore::fault {
namespace {

bool is_index_op(OpKind kind) { return kind == OpKind::kCreateIndex || kind == OpKind::kDropIndex; }

}  // namespace

void CrashRecorder::begin_cycle() {
  std::lock_guard lock(mutex_);
  cycle_ops_.clear();
  cycle_index_acks_.clear();
  flush_covers_.clear();
  anomalies_.clear();
  cycle_kill_point_.clear();
  cycle_opened_.store(false);
  crashing_.store(false);
  cycle_acknowledged_.store(0);
}

CrashRecorder::OpRecord* CrashRecorder::find_op(std::uint64_t op) {
  auto found = cycle_ops_.find(op);
  if (found == cycle_ops_.end()) {
    if (protocol_error_.empty()) protocol_error_ = "an event for operation " + std::to_string(op) + ", never issued";
    return nullptr;
  }
  return &ops_[found->second];
}

void CrashRecorder::opened(std::uint64_t) { cycle_opened_.store(true); }

void CrashRecorder::issued(std::uint64_t op, const WorkloadOp& what) {
  std::lock_guard lock(mutex_);
  if (!cycle_ops_.emplace(op, ops_.size()).second) {
    if (protocol_error_.empty()) protocol_error_ = "operation " + std::to_string(op) + " issued twice";
    return;
  }
  OpRecord record;
  record.kind = what.kind;
  record.target = what.target;
  for (const WorkloadOp& part : what.batch) record.parts.emplace_back(part.kind, part.target);
  record.ticket = history_.issue(what);
  ops_.push_back(std::move(record));
  ++issued_;
}

void CrashRecorder::acknowledged(std::uint64_t op, const std::string& id, std::uint64_t revision) {
  std::lock_guard lock(mutex_);
  OpRecord* record = find_op(op);
  if (record == nullptr) return;
  if (record->state != State::kUnknown || (!is_index_op(record->kind) && (id.empty() || revision == 0))) {
    if (protocol_error_.empty()) protocol_error_ = "a bad acknowledgement of operation " + std::to_string(op);
    return;
  }
  if (record->kind == OpKind::kBatch) {
    // One id per operation, joined by ','.
    std::size_t start = 0;
    for (auto& [kind, target] : record->parts) {
      const std::size_t comma = id.find(',', start);
      if (start > id.size()) {
        if (protocol_error_.empty()) protocol_error_ = "too few ids acknowledging batch " + std::to_string(op);
        return;
      }
      if (kind == OpKind::kInsert) target = id.substr(start, comma - start);
      start = comma == std::string::npos ? id.size() + 1 : comma + 1;
    }
  }
  record->state = State::kAcknowledged;
  record->revision = revision;
  if (record->kind == OpKind::kInsert) record->target = id;
  history_.acknowledged(record->ticket, id, revision);
  if (is_index_op(record->kind)) {
    record->durable = acks_survive_crash_;
    if (!acks_survive_crash_) cycle_index_acks_.push_back(static_cast<std::size_t>(record - ops_.data()));
  } else if (acks_survive_crash_) {
    record->durable = true;
    history_.durable_through(revision);
  }
  ++acknowledged_;
  cycle_acknowledged_.fetch_add(1);
}

void CrashRecorder::rejected(std::uint64_t op) {
  std::lock_guard lock(mutex_);
  OpRecord* record = find_op(op);
  if (record == nullptr) return;
  record->state = State::kRejected;
  history_.rejected(record->ticket);
  ++rejected_;
}

void CrashRecorder::unknown(std::uint64_t op, const std::string&) {
  // The History's default outcome; only the number is checked.
  std::lock_guard lock(mutex_);
  find_op(op);
}

void CrashRecorder::flush_begun(std::uint64_t flush) {
  std::lock_guard lock(mutex_);
  flush_covers_[flush] = cycle_index_acks_.size();
}

void CrashRecorder::flushed(std::uint64_t flush, std::uint64_t durable_revision) {
  std::lock_guard lock(mutex_);
  auto covers = flush_covers_.find(flush);
  if (covers == flush_covers_.end()) {
    if (protocol_error_.empty()) protocol_error_ = "flush " + std::to_string(flush) + " ended but never began";
    return;
  }
  history_.durable_through(durable_revision);
  for (std::size_t i = 0; i < covers->second; ++i) ops_[cycle_index_acks_[i]].durable = true;
  flush_covers_.erase(covers);
  ++flushes_;
}

void CrashRecorder::anomaly(const std::string& what) {
  if (crashing_.load()) return;
  std::lock_guard lock(mutex_);
  anomalies_.push_back(what);
}

void CrashRecorder::kill_point(const std::string& point) {
  std::lock_guard lock(mutex_);
  cycle_kill_point_ = point;
}

OracleReport CrashRecorder::check(const Store& store) {
  std::lock_guard lock(mutex_);
  OracleReport report = history_.check(store);
  for (const std::string& what : anomalies_) report.violations.push_back("the workload saw: " + what);

  // The last operation on each index name decides, once durable.
  std::map<std::string, const OpRecord*> last_index_op;
  for (const OpRecord& record : ops_) {
    if (is_index_op(record.kind) && record.state != State::kRejected) last_index_op[record.target] = &record;
  }
  std::set<std::string> existing;
  for (const IndexInfo& info : store.indexes()) existing.insert(info.name);
  for (const auto& [name, record] : last_index_op) {
    if (record->state != State::kAcknowledged || !record->durable) continue;
    const bool created = record->kind == OpKind::kCreateIndex;
    if (created != (existing.count(name) > 0)) {
      report.violations.push_back("index " + name +
                                  (created ? " is missing, but its creation" : " exists, but its drop") +
                                  " was acknowledged as durable");
    }
  }

  for (const auto& [op, index] : cycle_ops_) {
    if (ops_[index].state == State::kUnknown) ++unknown_;
  }
  if (!report.ok()) return report;
  // Settle: what the power cut took was not durable, and its revisions
  // will be given to other writes.
  for (OpRecord& record : ops_) {
    if (is_index_op(record.kind) || record.state != State::kAcknowledged) continue;
    if (record.revision > report.recovered_revision) {
      record.state = State::kRejected;
      history_.rejected(record.ticket);
      ++lost_unsynced_;
    }
  }
  return report;
}

std::vector<std::vector<std::string>> CrashRecorder::owned_documents(unsigned threads) const {
  struct DocumentFate {
    bool present = false;
    bool frozen = false;  // an operation of unknown outcome
  };
  std::map<std::string, DocumentFate> fates;
  {
    std::lock_guard lock(mutex_);
    auto settle = [&](OpKind kind, const std::string& target, State state) {
      if (kind == OpKind::kInsert) {
        if (state == State::kAcknowledged) fates[target].present = true;
        return;  // an insert of unknown outcome has no id to write to
      }
      DocumentFate& fate = fates[target];
      if (state == State::kUnknown) fate.frozen = true;
      if (state == State::kAcknowledged && kind == OpKind::kRemove) fate.present = false;
    };
    for (const OpRecord& record : ops_) {
      if (is_index_op(record.kind) || record.state == State::kRejected) continue;
      if (record.kind != OpKind::kBatch) settle(record.kind, record.target, record.state);
      for (const auto& [kind, target] : record.parts) settle(kind, target, record.state);
    }
  }
  std::vector<std::vector<std::string>> owned(threads);
  std::size_t next = 0;
  for (const auto& [id, fate] : fates) {
    if (fate.present && !fate.frozen) owned[next++ % threads].push_back(id);
  }
  return owned;
}

}  // namespace snapstore::fault
