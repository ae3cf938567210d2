// store_check: the data checks of a store directory's files, and the WAL
// listing, for the tools (`snapstore verify`, `snapstore wal`). They live here,
// in the module that owns the directory, so that the tools print findings and
// never read a WAL record or an index key themselves.
//
// - check_wal: every record's checksum and LSN order after the mirror's
//   applied_lsn, every document inside decodes, versions follow on (an
//   insert is version 1, an update one above the document's version before,
//   a delete carries it, nothing follows a delete but an insert), and every
//   retained segment on its own (also records RocksDB already holds).
// - DocumentCheck: per stored document, that it decodes, its version and
//   revision are sane and no two documents share a revision; and each index
//   rebuilt from those documents, for comparison with the opened store's.
// - list_wal: every operation in LSN order with its op name, then how the log
//   ends and any damage in a segment.
//
// The caller holds the directory's lock (StoreDir::open_for_reading) while
// these read. Thread safety: a DocumentCheck is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recovery/store_reader.h"
#include "snapstore/index_options.h"
#include "snapstore/status.h"
#include "snapstore/value.h"

namespace snapstore::recovery {

// Findings are sentences naming file, offset, LSN or document.
struct WalCheck {
  std::uint64_t records = 0;     // read in LSN order (after applied_lsn's gaps)
  std::uint64_t operations = 0;  // inside those records
  std::uint64_t segments = 0;
  std::uint64_t checked_segments = 0;  // each segment on its own
  std::uint64_t checked_records = 0;
  std::vector<std::string> notes;  // a torn tail that was never acknowledged
};

// `applied_lsn`: the mirror's, or nullopt when the mirror does not read (then
// every gap counts, and a torn tail is a note). Never fails: each finding,
// also what does not read, goes to `problem`, in file order.
WalCheck check_wal(const std::string& dir, std::optional<std::uint64_t> applied_lsn,
                   const std::function<void(std::string)>& problem);

class DocumentCheck {
 public:
  // `revision`: the files' revision (StoreReader::revision()); documents
  // above it are a problem. `indexes`: the definitions to rebuild.
  DocumentCheck(std::uint64_t revision, const std::vector<IndexDefinition>& indexes);
  ~DocumentCheck();

  // Checks one document as stored, adds it to the rebuilt indexes, and
  // returns its data when it decodes; each finding goes to `problem`.
  std::optional<Object> check(const StoredDocument& doc, const std::function<void(std::string)>& problem);

  // The ids of index `i` (in the constructor's order), rebuilt from every
  // document checked so far, in index order (key, then id). A partial
  // index's predicate decides membership, as it does in the store.
  std::vector<std::string> rebuilt_index(std::size_t i);
  // For a unique index `i`: "ids "a" and "b" both have the key [...]" when
  // two documents checked so far share a key; nullopt otherwise (and always
  // for an index that is not unique).
  std::optional<std::string> duplicate_key(std::size_t i);

 private:
  struct Rebuilt;
  std::uint64_t revision_;
  std::unique_ptr<Rebuilt> rebuilt_;
};

// One operation of the WAL as `wal` lists it.
struct WalEntry {
  std::uint64_t lsn = 0;
  std::uint64_t batch_lsn = 0;  // the first LSN of its record
  std::string_view op;          // insert, update, delete, create_index, drop_index
  bool on_index = false;        // create_index, drop_index: `key` names an index
  std::string_view key;         // document id, or index name
  std::uint64_t version = 0;    // insert, update, delete
  std::uint64_t bytes = 0;      // insert, update: the document's encoded size
  const std::vector<std::string>* fields = nullptr;  // create_index's, else empty
  const IndexOptions* index_options = nullptr;       // create_index's, else default
};

struct WalTornTail {
  std::string path;
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
  std::string reason;
};

struct WalListing {
  std::uint64_t records = 0;
  std::uint64_t segments = 0;
  std::uint64_t first_lsn = 0;
  std::uint64_t last_lsn = 0;
  std::optional<WalTornTail> torn_tail;
  // Damage the listing could not pass: each "<segment> at offset <n>: <what>".
  std::vector<std::string> damage;
};

// Hands every operation with an LSN in [from, to] to `visit`, in LSN order.
// `applied_lsn` as for check_wal (0 when the mirror does not read).
// Corruption naming file and offset when the log breaks after applied_lsn
// (after visiting what came before); IOError from the file system.
Result<WalListing> list_wal(const std::string& dir, std::uint64_t applied_lsn, std::uint64_t from, std::uint64_t to,
                            const std::function<void(const WalEntry&)>& visit);

}  // namespace snapstore::recovery
