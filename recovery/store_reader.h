// StoreReader: a read-only view of a store directory's files, without loading
// the store: the RocksDB mirror opened read-only, plus the WAL records after
// its applied_lsn held in memory as an overlay. Together they are the state a
// Store::open would recover (the state at the last valid WAL record), read in
// id order straight from RocksDB's bytes — what dump and verify need, at the
// speed of a RocksDB scan rather than a full load.
//
// The caller must hold the directory's lock, shared at least
// (StoreDir::open_for_reading), for as long as the reader is used: a writer
// appending meanwhile could leave a WAL tail that is being written, and a
// checkpoint could retire segments under it.
//
// Thread safety: const methods may be called from several threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/status.h"
#include "wal/reader.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace snapstore::recovery {

struct IndexDefinition {
  std::string name;
  std::vector<std::string> fields;
  friend bool operator==(const IndexDefinition&, const IndexDefinition&) = default;
};

// One document as stored: `document` is its msgpack encoding.
struct StoredDocument {
  std::string_view id;
  std::uint64_t version = 0;
  std::uint64_t revision = 0;
  std::string_view document;
};

struct DeletedDocument {
  std::string id;
  std::uint64_t revision = 0;  // the LSN of the delete
};

// Called per document in id order; a non-ok Status stops the scan and is returned.
using DocumentVisitor = std::function<Status(const StoredDocument& doc)>;

class StoreReader {
 public:
  // InvalidArgument when `dir` holds no store; Corruption naming file and
  // offset when the WAL is damaged beyond a torn tail (which is skipped, as a
  // read-only open does). With `salvage_wal` (dump --salvage) WAL damage is
  // not an error: the reader holds the state up to the last valid record
  // before it, and wal_summary().damage says where the valid log ends.
  static Result<std::unique_ptr<StoreReader>> open(const std::string& dir, bool salvage_wal = false);
  ~StoreReader();

  // The revision the files hold: the last LSN in the WAL, or applied_lsn.
  std::uint64_t revision() const { return revision_; }
  std::uint64_t applied_lsn() const { return applied_lsn_; }
  // The first LSN still in the WAL (0 when it holds no record).
  std::uint64_t wal_first_lsn() const { return wal_.first_lsn; }
  const wal::ReadSummary& wal_summary() const { return wal_; }
  // Index definitions at revision(), sorted by name.
  const std::vector<IndexDefinition>& indexes() const { return indexes_; }

  // Every document at revision(), in id order. RocksDB block checksums are
  // verified as blocks are read.
  Status scan(const DocumentVisitor& visit) const;
  // Documents at revision() whose revision is above `since`, in id order.
  Status scan_since(std::uint64_t since, const DocumentVisitor& visit) const;
  // Documents deleted after revision `since`, in id order. Only the WAL
  // remembers deletions, so this needs every record after `since`: when a
  // checkpoint has already removed some of them it is InvalidArgument saying
  // from which revision on deletions are known.
  Result<std::vector<DeletedDocument>> deletions_since(std::uint64_t since) const;

  // RocksDB's estimate of the documents it holds (for progress bars).
  std::uint64_t estimated_documents() const;
  // A RocksDB property of the docs family ("rocksdb.stats", ...), empty if unknown.
  std::string docs_property(std::string_view name) const;
  // Reads every block of every table file and checks its checksum.
  Status verify_checksums() const;

 private:
  struct Overlay {
    bool deleted = false;
    std::uint64_t version = 0;
    std::uint64_t revision = 0;
    std::string document;
  };

  class OverlayBuilder;

  StoreReader() = default;
  Status merge_scan(std::uint64_t since, const DocumentVisitor& visit) const;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* docs_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  std::uint64_t applied_lsn_ = 0;
  std::uint64_t revision_ = 0;
  wal::ReadSummary wal_;
  std::map<std::string, Overlay, std::less<>> overlay_;  // WAL effects after applied_lsn, by id
  std::vector<DeletedDocument> wal_deletions_;           // every delete in the WAL, in LSN order
  std::uint64_t wal_contiguous_from_ = 0;                // the WAL holds every record from this LSN on
  std::vector<IndexDefinition> indexes_;
};

}  // namespace snapstore::recovery
