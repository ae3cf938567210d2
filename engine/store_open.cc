// Opening a durable store: the engine's side of recovery. The Journal reads
// RocksDB and the WAL (docs/RECOVERY.md); this sink turns what it hands over
// into the document table and, at the end, the indexes, built in bulk.
#include <map>

#include "engine/store_core.h"

namespace snapstore::engine {

class StoreCore::Recovery final : public RecoverySink {
 public:
  explicit Recovery(StoreCore& core) : core_(core) {}

  Status on_index(std::string_view name, std::vector<std::string> fields) override {
    definitions_.insert_or_assign(std::string(name), std::move(fields));
    ++indexes_loaded_;
    return Status::ok();
  }

  Status on_document(std::string_view id, std::uint64_t version, std::uint64_t revision,
                     std::string_view document) override {
    put(std::string(id), Snapshot{std::string(document), version, revision});
    ++documents_loaded_;
    return Status::ok();
  }

  Status on_batch(const wal::Batch& batch) override {
    std::uint64_t lsn = batch.first_lsn;
    for (const wal::Operation& op : batch.ops) {
      switch (op.type) {
        case wal::OpType::kInsert:
        case wal::OpType::kUpdate:
          put(op.key, Snapshot{op.document, op.version, lsn});
          break;
        case wal::OpType::kDelete:
          core_.table_.erase(op.key);
          break;
        case wal::OpType::kCreateIndex:
          definitions_.insert_or_assign(op.key, op.fields);
          break;
        case wal::OpType::kDropIndex:
          definitions_.erase(op.key);
          break;
      }
      ++lsn;
    }
    return Status::ok();
  }

  Status build_indexes() {
    const IdSnapshots docs = core_.collect_all();
    for (auto& [name, fields] : definitions_) {
      auto idx = std::make_shared<index::OrderedIndex>(name, fields);
      if (Status s = core_.backfill(*idx, docs); !s) return s;
      core_.indexes_.emplace(name, std::move(idx));
    }
    return Status::ok();
  }

  std::uint64_t documents_loaded() const { return documents_loaded_; }
  std::uint64_t indexes_loaded() const { return indexes_loaded_; }

 private:
  void put(const std::string& id, Snapshot snapshot) {
    Table::accessor acc;
    core_.table_.insert(acc, id);
    acc->second = std::make_shared<const Snapshot>(std::move(snapshot));
  }

  StoreCore& core_;
  std::map<std::string, std::vector<std::string>> definitions_;
  std::uint64_t documents_loaded_ = 0;
  std::uint64_t indexes_loaded_ = 0;
};

Result<Store> StoreCore::open_store(const std::string& dir, const Options& options, const StorageEnv& env) {
  auto core = open(dir, options, env);
  if (!core) return core.status();
  return Store(std::move(*core));
}

Result<std::shared_ptr<StoreCore>> StoreCore::open(const std::string& dir, const Options& options,
                                                   const StorageEnv& env) {
  if (Status s = validate_options(options); !s) return s;
  if (dir.empty()) return Status::invalid_argument("Store::open needs a directory");
  auto core = std::make_shared<StoreCore>(options, 0);
  Recovery recovery(*core);
  OpenReport report;
  auto journal = Journal::open(dir, options, env, recovery, report);
  if (!journal) return journal.status();
  if (Status s = recovery.build_indexes(); !s) return s;
  report.documents_loaded = recovery.documents_loaded();
  report.indexes_loaded = recovery.indexes_loaded();
  core->journal_ = std::move(*journal);
  core->revision_.store(report.last_lsn, std::memory_order_release);
  core->open_report_ = std::move(report);
  return core;
}

}  // namespace snapstore::engine
