// BulkLoader: builds a new store's RocksDB mirror from scratch, fast, for
// restore. Documents go through RocksDB's SstFileWriter into table files that
// are ingested whole (IngestExternalFile), not through memtables and
// compactions; the meta family then gets format_version, applied_lsn and the
// index definitions (docs/FORMATS.md, "RocksDB mirror"), so that Store::open
// loads the result like any mirror whose WAL has been checkpointed away.
//
// The database is created in `db_dir`, which must not exist. Nothing is
// durable until finish() returns ok; the caller makes the directory tree
// durable and moves it into place (restore builds beside the target).
//
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "recovery/store_reader.h"
#include "snapstore/status.h"

namespace rocksdb {
class Env;
}

namespace snapstore::recovery {

class BulkLoader {
 public:
  // `env`: nullptr for RocksDB's default; tests inject faults here.
  static Result<std::unique_ptr<BulkLoader>> create(const std::string& db_dir, rocksdb::Env* env = nullptr);
  ~BulkLoader();

  // Adds one document (its msgpack encoding). Ids in ascending order load
  // fastest; an id below the previous one starts another table file. A
  // repeated id is InvalidArgument.
  Status add(std::string_view id, std::uint64_t version, std::uint64_t revision, std::string_view document);

  // Ingests the table files, writes the meta family with `applied_lsn` and
  // the index definitions, flushes and closes the database.
  Status finish(std::uint64_t applied_lsn, const std::vector<IndexDefinition>& indexes);

  std::uint64_t documents() const { return documents_; }

 private:
  struct State;
  explicit BulkLoader(std::string db_dir);
  Status start_file();
  Status finish_file();

  const std::string db_dir_;
  std::unique_ptr<State> state_;
  std::string last_id_;
  std::string value_;  // reused buffer: header + document
  std::uint64_t documents_ = 0;
  std::uint64_t file_number_ = 0;
  bool file_open_ = false;
};

}  // namespace snapstore::recovery
