// FaultRig: a store directory on the fault-injecting file systems, plus the
// sequential random workload the fault tests drive through it, recording
// every operation in a fault::History for the crash oracle.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/storage_env.h"
#include "engine/store_core.h"
#include "fault/fault_env.h"
#include "fault/oracle.h"
#include "snapstore/store.h"
#include "testutil/temp_dir.h"

namespace snapstore::testutil {

class FaultRig {
 public:
  explicit FaultRig(std::uint64_t seed = 1)
      : temp_(ram_dir()),
        state_(temp_ / "trash", seed),
        wal_env_(fault::make_fault_env(wal::Env::posix(), &state_)),
        rocksdb_env_(fault::make_fault_rocksdb_env(&state_)) {}

  // /dev/shm when there is one: the fault state decides what survives, so
  // the disk's own fsyncs would only cost time.
  static std::string ram_dir() {
    std::error_code error;
    return std::filesystem::is_directory("/dev/shm", error) && ::access("/dev/shm", W_OK) == 0
               ? "/dev/shm"
               : TempDir::default_base();
  }

  fault::FaultState& state() { return state_; }
  std::string dir() const { return temp_ / "store"; }
  engine::StorageEnv env() const { return engine::StorageEnv{wal_env_.get(), rocksdb_env_.get()}; }

  Result<Store> open(const Options& options) { return engine::StoreCore::open_store(dir(), options, env()); }

 private:
  TempDir temp_;
  fault::FaultState state_;
  std::unique_ptr<wal::Env> wal_env_;
  std::unique_ptr<rocksdb::Env> rocksdb_env_;
};

// Options that make a short workload roll segments and checkpoint often.
inline Options small_store_options(Durability durability) {
  Options options;
  options.durability = durability;
  options.periodic_sync_ms = 1;
  options.wal_segment_bytes = 4096;
  options.checkpoint_wal_bytes = 8192;
  return options;
}

// Runs `ops` random operations (inserts, updates, removes, index creation
// and drops) on `store`, one at a time, recording each in `history`. Stops at
// the first operation whose outcome is unknown (fail-stop) and returns how
// many operations were acknowledged. In sync mode every acknowledgement is
// durable; otherwise flush() every `flush_every` operations marks durability.
class SequentialWorkload {
 public:
  SequentialWorkload(std::uint64_t seed, Durability durability) : random_(seed), durability_(durability) {}

  fault::History& history() { return history_; }
  std::uint64_t acknowledged() const { return acknowledged_; }
  // The first unknown outcome seen, if any.
  const Status& failure() const { return failure_; }

  // Returns false once an operation's outcome was unknown.
  bool step(Store& store) {
    if (!failure_.is_ok()) return false;
    const auto pick = random_() % 100;
    fault::WorkloadOp op;
    if (pick < 45 || live_.empty()) {
      op.kind = fault::OpKind::kInsert;
      op.document = make_document();
    } else if (pick < 75) {
      op.kind = fault::OpKind::kUpdate;
      op.target = live_[random_() % live_.size()];
      op.document = make_document();
    } else if (pick < 90) {
      op.kind = fault::OpKind::kRemove;
      op.target = live_[random_() % live_.size()];
    } else if (pick < 95) {
      op.kind = fault::OpKind::kCreateIndex;
      op.target = "index_" + std::to_string(random_() % 3);
      op.fields = random_() % 2 ? std::vector<std::string>{"group"} : std::vector<std::string>{"nested.n", "group"};
    } else {
      op.kind = fault::OpKind::kDropIndex;
      op.target = "index_" + std::to_string(random_() % 3);
    }
    const auto ticket = history_.issue(op);
    Status status;
    std::string id;
    switch (op.kind) {
      case fault::OpKind::kInsert: {
        auto w = store.insert(op.document);
        status = w.status();
        if (w) id = w->id;
        break;
      }
      case fault::OpKind::kUpdate:
        status = store.update(op.target, op.document).status();
        break;
      case fault::OpKind::kRemove:
        status = store.remove(op.target).status();
        break;
      case fault::OpKind::kCreateIndex:
        status = store.create_index(op.target, op.fields);
        break;
      case fault::OpKind::kDropIndex:
        status = store.drop_index(op.target);
        break;
      case fault::OpKind::kBatch:  // this rig issues no batches
        break;
    }
    if (status.is_ok()) {
      const std::uint64_t revision = store.revision();  // one writer: this operation's
      history_.acknowledged(ticket, id, revision);
      ++acknowledged_;
      if (op.kind == fault::OpKind::kInsert) live_.push_back(id);
      if (op.kind == fault::OpKind::kRemove) live_.erase(std::find(live_.begin(), live_.end(), op.target));
      if (durability_ == Durability::kSync) history_.durable_through(revision);
    } else if (status.code() == StatusCode::kIndexExists || status.code() == StatusCode::kIndexNotFound) {
      history_.rejected(ticket);
    } else {
      failure_ = status;
      return false;
    }
    if (durability_ != Durability::kSync && ++since_flush_ % 16 == 0) {
      if (store.flush().is_ok()) history_.durable_through(store.revision());
    }
    return true;
  }

 private:
  Document make_document() {
    const auto n = static_cast<std::int64_t>(random_() % 1000);
    Document doc{{"group", static_cast<std::int64_t>(n % 7)}, {"n", n}, {"text", std::string(random_() % 200, 'x')}};
    if (n % 3 != 0) doc.emplace("nested", Document{{"n", n % 5}});
    return doc;
  }

  std::mt19937_64 random_;
  const Durability durability_;
  fault::History history_;
  std::vector<std::string> live_;
  std::uint64_t acknowledged_ = 0;
  std::uint64_t since_flush_ = 0;
  Status failure_;
};

// Everything a reader can see of a store, as text: revision, every document
// with version and revision, every index with its entries, in order.
inline std::string store_state(const Store& store) {
  std::string out = "revision " + std::to_string(store.revision()) + "\n";
  auto cursor = store.read();
  if (!cursor) return "unreadable: " + cursor.status().message();
  for (;;) {
    auto step = cursor->next();
    if (!step) return out + "unreadable: " + step.status().message();
    if (!step->document) break;
    const DocumentResult& d = *step->document;
    out += d.id + " v" + std::to_string(d.version) + " r" + std::to_string(d.revision) + " " + to_json(Value(d.data)) +
           "\n";
    if (!step->has_more) break;
  }
  for (const IndexInfo& info : store.indexes()) {
    out += "index " + info.name + " entries " + std::to_string(info.entries) + ":";
    for (const auto& field : info.fields) out += " " + field;
    out += "\n";
  }
  return out;
}

// Fails the test with every violation the oracle found.
inline void expect_oracle_holds(const fault::History& history, const Store& store, const std::string& context) {
  const fault::OracleReport report = history.check(store);
  for (const std::string& violation : report.violations) ADD_FAILURE() << context << ": " << violation;
}

}  // namespace snapstore::testutil
