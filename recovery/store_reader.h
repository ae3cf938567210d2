// StoreReader: a read-only view of a store directory's files, without loading
// the store: the RocksDB mirror opened read-only, plus the WAL records after
// its applied_lsn held in memory as an overlay. Together they are the state a
// Store::open would recover (the state at the last valid WAL record), read in
// id order straight from RocksDB's bytes — what dump and verify need, at the
// speed of a RocksDB scan rather than a full load. The CLI's get, find, count
// and stats answer from it too: a point get is one RocksDB Get after the
// overlay, and an index query is a scan that extracts each document's key.
//
// The caller must hold the directory's lock, shared at least
// (StoreDir::open_for_reading), for as long as the reader is used: a writer
// appending meanwhile could leave a WAL tail that is being written, and a
// checkpoint could retire segments under it.
//
// open_live() reads a store another process has open, taking no lock and
// writing nothing into its directory: RocksDB as a secondary instance (its
// own files in a temporary directory outside the store) plus the WAL after
// its applied_lsn read by a wal::LogTail, up to the last complete record;
// catch_up() advances it. This is the follower (snapstore/follower.h) and
// what the CLI's read commands use when the store is in use.
//
// Thread safety: const methods may be called from several threads, but not
// while catch_up() runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/status.h"
#include "snapstore/store.h"
#include "recovery/mirror_format.h"
#include "recovery/store_dir.h"
#include "snapstore/value.h"
#include "wal/reader.h"
#include "wal/tail.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace snapstore::recovery {

struct IndexDefinition {
  std::string name;
  std::vector<std::string> fields;
  IndexOptions options{};  // unique, partial (a default initializer: brace-built definitions may omit it)
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

// Exact figures of one full scan (what `snapstore stats` prints).
struct StoreTotals {
  std::uint64_t documents = 0;
  std::uint64_t document_bytes = 0;          // msgpack bytes of the documents
  std::vector<std::uint64_t> index_entries;  // per index, in indexes() order
};

class StoreReader {
 public:
  // InvalidArgument when `dir` holds no store; Corruption naming file and
  // offset when the WAL is damaged beyond a torn tail (which is skipped, as a
  // read-only open does). With `salvage_wal` (dump --salvage) WAL damage is
  // not an error: the reader holds the state up to the last valid record
  // before it, and wal_summary().damage says where the valid log ends.
  static Result<std::unique_ptr<StoreReader>> open(const std::string& dir, bool salvage_wal = false);
  // open() for a caller that does not hold the lock: takes the directory's
  // lock shared (recovery::StoreDir::open_for_reading, waiting up to
  // `lock_timeout`) for the reader's lifetime; Busy names the holder when
  // another process has the store open for writing. Touches nothing in a
  // directory that holds no store.
  static Result<std::unique_ptr<StoreReader>> open_locked(const std::string& dir,
                                                          std::chrono::milliseconds lock_timeout);
  // A reader of a store that another process may have open and be writing
  // (or that is closed, or whose owner was killed): see the top of this
  // file. InvalidArgument when `dir` is missing or holds no store (nothing
  // is written anywhere then); Corruption naming file and offset when a
  // sealed WAL segment is damaged.
  static Result<std::unique_ptr<StoreReader>> open_live(const std::string& dir);
  // open_live() only: advances to the last record complete in the WAL now,
  // re-reading RocksDB (TryCatchUpWithPrimary) first. A checkpoint that
  // retires the segments it needs makes it re-read RocksDB and try again,
  // never report corruption. On failure the reader keeps its last state.
  Status catch_up();
  bool live() const { return live_ != nullptr; }
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
  // from which revision on deletions are known. It reads the WAL again
  // (open() does not decode the records RocksDB already holds).
  Result<std::vector<DeletedDocument>> deletions_since(std::uint64_t since) const;

  // The document at revision(), decoded (a deep copy, as Store::get returns
  // it): the overlay first, then one RocksDB Get. DocumentNotFound when
  // absent; Corruption naming the id when its stored bytes are not a document.
  Result<DocumentResult> get(std::string_view id) const;
  // The index's definition, or IndexNotFound.
  Result<IndexDefinition> index(std::string_view name) const;
  // Store::lookup and Store::lookup_range over the files: the same documents
  // in the same order (index order, ties in id order), found by one scan
  // that reads each document's key in place. Exactly as many values as
  // fields and no null, or nothing matches (go-store's semantics).
  Result<std::vector<DocumentResult>> lookup(std::string_view index, const std::vector<Value>& values) const;
  Result<std::vector<DocumentResult>> lookup_range(std::string_view index, const std::vector<Value>& min,
                                                   const std::vector<Value>& max) const;
  // The same documents handed to `visit` one at a time, each decoded only
  // when its turn comes (what the CLI's find prints as it goes); a non-ok
  // Status from `visit` stops and is returned.
  using ResultVisitor = std::function<Status(const DocumentResult& doc)>;
  Status visit_equal(std::string_view index, const std::vector<Value>& values, const ResultVisitor& visit) const;
  Status visit_range(std::string_view index, const std::vector<Value>& min, const std::vector<Value>& max,
                     const ResultVisitor& visit) const;
  // How many documents lookup() / lookup_range() would return, without
  // decoding or keeping them.
  Result<std::uint64_t> count_equal(std::string_view index, const std::vector<Value>& values) const;
  Result<std::uint64_t> count_range(std::string_view index, const std::vector<Value>& min,
                                    const std::vector<Value>& max) const;
  // Every document at revision(), counted exactly (no document is decoded).
  Result<std::uint64_t> count() const;
  // Store::explain over the files: the plan of lookup() / lookup_range()
  // with its keys and documents counted by the same scan as count_equal()
  // and count_range(), which keeps the matching keys but no document.
  Result<LookupPlan> explain_equal(std::string_view index, const std::vector<Value>& values) const;
  Result<LookupPlan> explain_range(std::string_view index, const std::vector<Value>& min,
                                   const std::vector<Value>& max) const;
  // Documents, their bytes and each index's entries, counted exactly.
  Result<StoreTotals> totals() const;

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
  // A member of an index query: its key, and the document as stored.
  struct Match {
    std::vector<Value> key;
    std::string id;
    std::uint64_t version = 0;
    std::uint64_t revision = 0;
    std::string document;  // checked msgpack (value::scan::check_document)
  };
  // Calls `keep` with each document's key for `fields` (documents without
  // one are skipped; the values may lie in the document's bytes, valid for
  // the call only); a true answer puts the document in the result, in index
  // order then id order, unless `count_only` (then only counted: neither the
  // key nor the document is copied).
  using KeyFilter = std::function<bool(std::span<const Value> key)>;
  Result<std::vector<Match>> select(std::string_view index, const KeyFilter& keep, bool count_only,
                                    std::uint64_t* counted) const;
  // explain's scan over `index`: counts its members into `plan` and, when
  // `can_match`, the keys and documents `matches` keeps.
  Result<LookupPlan> explain_scan(std::string_view index, LookupPlan plan, const KeyFilter& matches,
                                  bool can_match) const;
  static Status visit_all(std::vector<Match> matches, const ResultVisitor& visit);

  StoreReader() = default;
  // The format version, applied_lsn and index definitions in meta.
  Status read_meta(std::uint64_t& applied_lsn, std::map<std::string, IndexFieldsAndOptions>& definitions) const;
  // catch_up()'s one attempt; false in `retry` when it is done.
  Status catch_up_once(bool& retry);
  Status merge_scan(std::uint64_t since, const DocumentVisitor& visit) const;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* docs_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  std::uint64_t applied_lsn_ = 0;
  std::uint64_t revision_ = 0;
  wal::ReadSummary wal_;
  std::map<std::string, Overlay, std::less<>> overlay_;  // WAL effects after applied_lsn, by id
  std::string dir_;            // deletions_since() reads its WAL again
  bool salvage_wal_ = false;  // ... as open() read it
  std::vector<IndexDefinition> indexes_;
  std::unique_ptr<StoreDir> store_dir_;  // open_locked(): its lock is held while the reader lives

  // open_live(): the secondary's directory, the WAL tail, and the index
  // operations read from the WAL (RocksDB's definitions plus those after its
  // applied_lsn are the definitions at revision()).
  struct Live {
    std::string secondary_dir;
    std::unique_ptr<wal::LogTail> tail;
    std::vector<std::pair<std::uint64_t, wal::Operation>> index_ops;
    std::map<std::string, IndexFieldsAndOptions> definitions;  // at revision()
  };
  std::unique_ptr<Live> live_;
};

}  // namespace snapstore::recovery
