// Store: snapstore's document store, with go-store's operations and semantics.
//
// A store holds documents (objects) under generated string ids (UUIDv7, so
// ids sort in insertion order). Every document carries a per-document
// `version` (1 on insert, +1 per successful update) and the store-wide
// `revision` of the write that produced it: every successful insert, update,
// remove, create_index and drop_index takes the next revision; failed calls
// take none.
//
// Everything returned is a private deep copy: mutating a result never reaches
// the store, and later writes never change a result already returned. The
// *_view calls return read-only views of the stored versions instead, which
// later writes never change either, and which cost no decode and no copy.
//
// Thread safety: every Store method may be called concurrently from any
// number of threads. Writers of one document serialize; readers never block
// writers of other documents. A Stream may be shared between threads; a Cursor
// may not (clone it per thread).
//
// Errors (docs/ARCHITECTURE.md lists them per call): a closed store reports
// StoreClosed before anything else, then argument errors (InvalidDocument,
// EmptyIndex), then existence errors (DocumentNotFound, IndexExists,
// IndexNotFound).
#pragma once

#include <cstddef>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "snapstore/backup.h"
#include "snapstore/change.h"
#include "snapstore/index_options.h"
#include "snapstore/options.h"
#include "snapstore/status.h"
#include "snapstore/value.h"
#include "snapstore/value_view.h"

namespace snapstore {

namespace engine {
class StoreCore;
class StreamState;
class CursorState;
struct SnapshotState;
struct FeedState;
}  // namespace engine

// One document as read: its id, a private deep copy of its data, its version
// and the revision of the write that produced this state.
struct DocumentResult {
  std::string id;
  Document data;
  std::uint64_t version = 0;
  std::uint64_t revision = 0;
};

namespace detail {
// A DocumentView's hold on the stored version it reads: one reference of
// the version's own count (DECISIONS D99), behind a pointer whose type only
// the library knows. Moving costs nothing; copying and destroying call into
// the library.
class SnapshotRef {
 public:
  SnapshotRef() noexcept = default;
  SnapshotRef(const SnapshotRef& other) noexcept : held_(other.held_) {
    if (held_ != nullptr) add_ref(held_);
  }
  SnapshotRef(SnapshotRef&& other) noexcept : held_(std::exchange(other.held_, nullptr)) {}
  SnapshotRef& operator=(const SnapshotRef& other) noexcept {
    SnapshotRef copy(other);
    std::swap(held_, copy.held_);
    return *this;
  }
  SnapshotRef& operator=(SnapshotRef&& other) noexcept {
    SnapshotRef taken(std::move(other));
    std::swap(held_, taken.held_);
    return *this;
  }
  ~SnapshotRef() {
    if (held_ != nullptr) drop(held_);
  }
  explicit operator bool() const noexcept { return held_ != nullptr; }

 private:
  friend class engine::StoreCore;
  explicit SnapshotRef(const void* adopted) noexcept : held_(adopted) {}
  static void add_ref(const void* held) noexcept;
  static void drop(const void* held) noexcept;

  const void* held_ = nullptr;
};
}  // namespace detail

// One document as stored, read in place: no decode and no copy. The view
// keeps that version of the document alive (however the store changes
// afterwards) until the last copy of the view is gone; it is immutable and
// may be shared between threads. to_document() makes the deep copy.
//
//   auto doc = store.get_view(id);
//   if (doc && doc->at("age").as_int() > 30) use(doc->at("name").as_string());
class DocumentView {
 public:
  DocumentView() = default;  // no document: an empty id and a null data()
  DocumentView(const DocumentView&) = default;
  DocumentView& operator=(const DocumentView&) = default;
  // A moved-from view is empty: its data() must not point into bytes it
  // no longer keeps alive.
  DocumentView(DocumentView&& other) noexcept
      : id_(std::exchange(other.id_, std::string_view())),
        owner_(std::move(other.owner_)),
        data_(std::exchange(other.data_, ValueView())),
        version_(other.version_),
        revision_(other.revision_) {}
  DocumentView& operator=(DocumentView&& other) noexcept {
    id_ = std::exchange(other.id_, std::string_view());
    owner_ = std::move(other.owner_);
    data_ = std::exchange(other.data_, ValueView());
    version_ = other.version_;
    revision_ = other.revision_;
    return *this;
  }

  // The id, inside the stored version: valid, like data(), only while this
  // view or a copy lives. `auto id = store.get_view(x)->id();` keeps a
  // string_view into a temporary view; copy it (std::string(view.id())) to
  // keep it longer.
  std::string_view id() const noexcept { return id_; }
  std::uint64_t version() const noexcept { return version_; }
  std::uint64_t revision() const noexcept { return revision_; }
  // The document (an object); valid as long as this view or a copy lives.
  ValueView data() const noexcept { return data_; }
  std::optional<ValueView> find(std::string_view field) const noexcept { return data_.find(field); }
  ValueView at(std::string_view field) const { return data_.at(field); }

  // Deep copies.
  Document to_document() const;
  DocumentResult to_result() const;

 private:
  friend class engine::StoreCore;
  std::string_view id_;                // inside the stored version
  detail::SnapshotRef owner_;  // the stored version id_ and data_ point into
  ValueView data_;
  std::uint64_t version_ = 0;
  std::uint64_t revision_ = 0;
};

// What a successful insert, update or remove did. For remove, `version` is the
// version the document had when it was removed.
struct WriteResult {
  std::string id;
  std::uint64_t version = 0;
  std::uint64_t revision = 0;
};

// The values of an index key, in the index's field order: what lookup()
// matches and what bounds lookup_range(). A distinct type rather than
// std::vector<Value>, because `{Array{"a", "b"}}` would silently copy the
// array's elements into a vector instead of making a one-value key.
//
//   store.lookup("by_city_age", {"NY", 30});
//   store.lookup("by_tags", {Array{"a", "b"}});   // one value: the array
class IndexKey {
 public:
  IndexKey() = default;
  IndexKey(std::initializer_list<Value> values) : values_(values) {}
  explicit IndexKey(std::vector<Value> values) : values_(std::move(values)) {}

  const std::vector<Value>& values() const noexcept { return values_; }
  std::size_t size() const noexcept { return values_.size(); }
  bool empty() const noexcept { return values_.empty(); }

 private:
  std::vector<Value> values_;
};

struct IndexInfo {
  std::string name;
  std::vector<std::string> fields;
  std::size_t entries = 0;  // documents currently in the index
  IndexOptions options;     // unique, partial
};

// How lookup() or lookup_range() would run on an index, as Store::explain()
// reports it: enough to choose between two indexes for a query, or to see why
// a lookup finds nothing. The counts are taken at one instant, like count().
//
//   auto by_city = store.explain("by_city", {"NY"});
//   auto by_age = store.explain("by_age", {30}, {39});
//   // the smaller `documents` is the cheaper lookup; `keys` says how many
//   // distinct keys it spans, `index_entries` how large each index is.
struct LookupPlan {
  // How a bound limits the keys.
  enum class Bound : std::uint8_t {
    kUnbounded,  // empty: no limit on that side
    kPrefix,     // fewer values than fields: compared with the keys' first values
    kExact,      // one value per field: compared with whole keys
    kOverlong,   // more values than fields: a key equal to its start sorts before it
  };

  std::string index;                // the index's name
  std::vector<std::string> fields;  // its fields, in key order
  // Unique, partial: a partial index holds only the documents its predicate
  // matches, so a lookup on it finds no other.
  IndexOptions options;
  bool equality = false;            // explain(index, values) (a lookup); else a lookup_range
  Bound lower = Bound::kUnbounded;  // min; for equality, the key
  Bound upper = Bound::kUnbounded;  // max; for equality, the key
  std::size_t keys = 0;             // distinct keys among the documents found
  std::size_t documents = 0;        // documents the lookup would return: count()'s answer
  std::size_t index_entries = 0;    // documents in the whole index
  // The order the documents come in: "key ascending, then id".
  std::string order;
  // Set when the arguments match nothing whatever the documents, saying why
  // (an equality key with the wrong number of values or with a null; a min
  // that sorts after max); empty otherwise.
  std::string empty_reason;
};

// "unbounded", "prefix", "exact" or "overlong".
std::string_view to_string(LookupPlan::Bound bound) noexcept;

// What Store::open() found and did (docs/RECOVERY.md).
struct OpenReport {
  std::uint64_t documents_loaded = 0;  // from RocksDB
  std::uint64_t indexes_loaded = 0;    // definitions, from RocksDB
  std::uint64_t records_replayed = 0;  // WAL batches after applied_lsn
  std::uint64_t applied_lsn = 0;       // the revision RocksDB held
  std::uint64_t last_lsn = 0;          // the revision after replay
  // A torn WAL tail (never acknowledged), truncated unless read-only.
  std::string torn_tail_file;
  std::uint64_t torn_tail_offset = 0;
  std::uint64_t torn_tail_bytes = 0;
  std::string torn_tail_reason;
  // RecoveryPolicy::kRepair: the damage found (empty file when none), the
  // bytes of log dropped from there on, and the "<segment>.damaged" copies
  // set aside (the damaged segment, then every later one).
  std::string repaired_file;
  std::uint64_t repaired_offset = 0;
  std::uint64_t repaired_first_lost_lsn = 0;
  std::string repaired_reason;
  std::uint64_t repaired_bytes_dropped = 0;
  std::vector<std::string> set_aside;
  double elapsed_seconds = 0;
};

// Inserts, updates and removes that Store::write() applies atomically: all
// of them, as one WAL record with consecutive revisions, or — if any one
// would fail — none. Each document may be the target of one operation per
// batch. A batch is a plain value: build it, write it, reuse it after clear().
//
// Preconditions make the batch conditional: each is checked under the same
// document locks the batch writes under, so either every precondition holds
// when the batch applies, or the batch fails with VersionConflict naming the
// first one that did not ("precondition 1 of the batch: ...", counted from 0
// in the order they were added) and applies nothing. A precondition may name
// a document the batch also updates or removes (the compare-and-set pattern);
// one document may carry at most one precondition, and a batch needs at least
// one operation. Preconditions are not operations: size() does not count them.
//
//   WriteBatch batch;                      // move 10 from a to b, if neither changed
//   batch.update_if(a.id, a_doc, a.version);
//   batch.update_if(b.id, b_doc, b.version);
//   auto done = store.write(batch);        // VersionConflict: re-read and retry
class WriteBatch {
 public:
  void insert(Document doc) { entries_.push_back({Kind::kInsert, {}, std::move(doc)}); }
  void update(std::string id, Document doc) { entries_.push_back({Kind::kUpdate, std::move(id), std::move(doc)}); }
  void remove(std::string id) { entries_.push_back({Kind::kRemove, std::move(id), {}}); }

  // The document must be at `version` (>= 1) when the batch applies.
  void require_version(std::string id, std::uint64_t version) {
    preconditions_.push_back({Require::kVersion, std::move(id), version});
  }
  // The document must exist (any version) / must not exist.
  void require_exists(std::string id) { preconditions_.push_back({Require::kExists, std::move(id), 0}); }
  void require_absent(std::string id) { preconditions_.push_back({Require::kAbsent, std::move(id), 0}); }
  // require_version(id, version) plus update(id, doc) / remove(id).
  void update_if(std::string id, Document doc, std::uint64_t version) {
    require_version(id, version);
    update(std::move(id), std::move(doc));
  }
  void remove_if(std::string id, std::uint64_t version) {
    require_version(id, version);
    remove(std::move(id));
  }

  // Operations (preconditions are not counted).
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t preconditions() const noexcept { return preconditions_.size(); }
  void clear() noexcept {
    entries_.clear();
    preconditions_.clear();
  }

 private:
  friend class engine::StoreCore;
  enum class Kind : std::uint8_t { kInsert, kUpdate, kRemove };
  struct Entry {
    Kind kind;
    std::string id;     // update, remove
    Document document;  // insert, update
  };
  enum class Require : std::uint8_t { kVersion, kExists, kAbsent };
  struct Precondition {
    Require require;
    std::string id;
    std::uint64_t version;  // kVersion
  };
  std::vector<Entry> entries_;
  std::vector<Precondition> preconditions_;
};

// A one-pass stream over the documents present when Store::stream() was
// called (a snapshot: later writes are invisible to it). next() yields each
// document once, then StreamClosed forever. Safe to call from several threads:
// each document goes to exactly one caller. Closing or destroying the stream
// releases its snapshot at once.
class Stream {
 public:
  Stream() = default;  // a closed stream
  Stream(Stream&&) noexcept;
  Stream& operator=(Stream&&) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  // The next document; StreamClosed when exhausted or closed. A stream made
  // on a closed store answers StoreClosed once, then StreamClosed.
  Result<DocumentResult> next();
  // The same, as a view (no decode, no copy).
  Result<DocumentView> next_view();
  // Idempotent; never blocks. Every later next() answers StreamClosed.
  void close();

 private:
  friend class engine::StoreCore;
  explicit Stream(std::shared_ptr<engine::StreamState> state);
  std::shared_ptr<engine::StreamState> state_;
};

// One step of a cursor: the document at the new position (empty when the
// step falls off either end or the snapshot is empty) and whether more
// documents lie in the direction of travel. CursorStep carries a deep copy,
// CursorViewStep a view.
template <typename Doc>
struct BasicCursorStep {
  std::optional<Doc> document;
  bool has_more = false;
};
using CursorStep = BasicCursorStep<DocumentResult>;
using CursorViewStep = BasicCursorStep<DocumentView>;

// A bidirectional cursor over a fixed list of documents (those present when
// it was made, in id order for Store::read() and in index order for
// Store::read_index()); each step reads the document's current data. The
// position model is go-store's: a position p in [0, count()]; next() reads at
// p and then moves forward; advance(k) and previous() move first, then read.
// A document removed since the cursor was made reads as DocumentDeleted; once
// the store is closed every read answers StoreClosed.
//
// Not safe for concurrent use: clone() one per thread.
class Cursor {
 public:
  Cursor();  // a closed cursor
  Cursor(Cursor&&) noexcept;
  Cursor& operator=(Cursor&&) noexcept;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor();

  Result<CursorStep> next();
  Result<CursorStep> previous();  // advance(-1)
  Result<CursorStep> advance(std::int64_t steps);
  // The same steps, reading views (no decode, no copy).
  Result<CursorViewStep> next_view();
  Result<CursorViewStep> previous_view();
  Result<CursorViewStep> advance_view(std::int64_t steps);
  Status reset();  // back to position 0
  // Same list and position, moving independently; a closed cursor's clone is closed.
  Cursor clone() const;
  // Documents in the list (0 once closed).
  std::size_t count() const;
  // Idempotent. Every later step answers StreamClosed.
  void close();

 private:
  friend class engine::StoreCore;
  explicit Cursor(std::unique_ptr<engine::CursorState> state);
  std::unique_ptr<engine::CursorState> state_;
};

// A point-in-time view of a store: every read answers exactly as the store
// stood at revision(), whatever writes, batches, index creations and drops
// happen afterwards (docs/GUARANTEES.md, "Snapshots"). Made by
// Store::snapshot() in constant time; while it is open, writes keep the
// versions they replace so that it can still read them, and release() (or
// the destructor) lets them go. Movable, not copyable. Its methods may be
// called concurrently from several threads.
//
//   auto snap = store.snapshot();               // revision R
//   store.update(id, Document{{"n", 2}});       // later writes...
//   snap->get(id)->data.at("n");                // ...are invisible: still 1
//   snap->lookup("by_n", {1});                  // finds it under its old key
//   snap->release();                            // or let it go out of scope
//
// Errors: StoreClosed once the store is closed; SnapshotExpired once the
// snapshot is released, or older than Options::max_snapshot_age; then the
// same errors as the Store's calls. An index created after revision() is
// IndexNotFound; one dropped after it still answers.
class Snapshot {
 public:
  Snapshot();  // a released snapshot
  Snapshot(Snapshot&&) noexcept;
  Snapshot& operator=(Snapshot&&) noexcept;  // releases the snapshot it replaces
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  ~Snapshot();  // releases

  // The revision it reads at: that of the latest write it sees.
  std::uint64_t revision() const noexcept;

  Result<DocumentResult> get(std::string_view id) const;
  Result<DocumentView> get_view(std::string_view id) const;
  Result<std::vector<DocumentResult>> lookup(std::string_view index, const IndexKey& values) const;
  Result<std::vector<DocumentResult>> lookup_range(std::string_view index, const IndexKey& min,
                                                   const IndexKey& max) const;
  Result<std::vector<DocumentView>> lookup_view(std::string_view index, const IndexKey& values) const;
  Result<std::vector<DocumentView>> lookup_range_view(std::string_view index, const IndexKey& min,
                                                      const IndexKey& max) const;
  // The documents at revision() in id order. The stream holds its own
  // versions: it outlives release() and the snapshot.
  Result<Stream> stream() const;
  // Cursors over the documents at revision(), in id order or in an index's
  // order; each step reads the document as it was at revision() (a Store
  // cursor reads the current document instead). Once the snapshot is
  // released or expired, their steps answer SnapshotExpired.
  Result<Cursor> read() const;
  Result<Cursor> read_index(std::string_view name) const;

  // Lets go of the versions this snapshot pins; every later read answers
  // SnapshotExpired. Idempotent; never fails.
  void release();

 private:
  friend class engine::StoreCore;
  explicit Snapshot(std::shared_ptr<engine::SnapshotState> state);
  std::shared_ptr<engine::SnapshotState> state_;
};

// The snapshots a store has open and what they keep alive.
struct SnapshotStats {
  std::size_t open = 0;                   // snapshots neither released nor expired
  std::uint64_t oldest_revision = 0;      // the oldest one's revision (0 when none is open)
  std::chrono::milliseconds oldest_age{0};  // how long ago it was taken
  std::size_t versions_pinned = 0;        // replaced or removed versions kept for them
  std::size_t bytes_pinned = 0;           // those versions' encodings and records
  std::size_t index_entries_pinned = 0;   // ended index entries kept for them
};

// A durable store's committed changes in revision order, from a given
// revision on (Store::changes, docs/GUARANTEES.md "Change feed"): every
// insert, update, remove, create_index and drop_index exactly once, with its
// batch's bounds, read from memory for the recent tail and from the WAL
// segments before it. A change is delivered once it is durable (in the none
// and periodic modes the feed syncs the WAL first), so no crash or power cut
// can take back a change a feed has delivered. Movable; one thread at a time.
//
//   auto feed = store.changes(store.revision());   // from now on
//   for (;;) {
//     auto batch = feed->wait_next(std::chrono::seconds(1));
//     if (!batch) break;                             // StoreClosed, RevisionRetired, ...
//     for (const Change& c : *batch) std::cout << to_json_line(c) << "\n";
//   }
//
// Errors: StoreClosed once the store is closed; RevisionRetired when a
// checkpoint removed the WAL the feed had yet to read (a named consumer's
// feed never meets it: its slot keeps the WAL); Corruption or IOError from
// the WAL files.
class ChangeFeed {
 public:
  ChangeFeed();  // no feed: next() answers StoreClosed
  ChangeFeed(ChangeFeed&&) noexcept;
  ChangeFeed& operator=(ChangeFeed&&) noexcept;
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;
  ~ChangeFeed();

  // The next changes, in revision order and whole WAL records at a time
  // (so about `max_changes`; a large batch comes whole); empty when there
  // is none yet.
  Result<std::vector<Change>> next(std::size_t max_changes = 1024);
  // next(), waiting up to `timeout` for a change when there is none yet.
  Result<std::vector<Change>> wait_next(std::chrono::milliseconds timeout, std::size_t max_changes = 1024);
  // The revision of the last change delivered (the feed's start before any).
  std::uint64_t position() const noexcept;

 private:
  friend class engine::StoreCore;
  explicit ChangeFeed(std::shared_ptr<engine::FeedState> state);
  std::shared_ptr<engine::FeedState> state_;
};

// A named consumer of the change feed (Store::register_consumer).
struct ConsumerInfo {
  std::string name;
  std::uint64_t acknowledged_revision = 0;  // it has every change up to here
  std::uint64_t retained_wal_bytes = 0;     // WAL kept for its later changes
  std::chrono::system_clock::time_point acknowledged_at;  // registration or last ack
};

// Decides, per live document, whether Store::clone(filter) keeps it. It gets
// a private deep copy and may change `data`: the clone keeps the changed data
// (changes to id, version and revision are ignored).
using CloneFilter = std::function<bool(DocumentResult&)>;

class Store {
 public:
  // A store that lives in memory only.
  static Result<Store> open_in_memory(const Options& options = {});

  // The durable store in directory `dir`, created if missing (see Options).
  // Recovers the state of the last acknowledged write (docs/RECOVERY.md).
  // Busy when another Store has the directory open, in this process or
  // another; Corruption naming file and offset when the files are damaged
  // beyond a torn tail; IOError for the file system's refusals.
  static Result<Store> open(const std::string& dir, const Options& options = {});

  Store() = default;  // a closed store
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();  // closes

  // Inserts a document (an object; anything else is InvalidDocument) under a
  // new id that this store has never returned before.
  Result<WriteResult> insert(const Document& doc);
  Result<WriteResult> insert(const Value& doc);

  // The document's current state, or DocumentNotFound.
  Result<DocumentResult> get(std::string_view id) const;
  // The same without decoding or copying: a view of the stored version.
  Result<DocumentView> get_view(std::string_view id) const;

  // Replaces the whole document (no merge); version + 1.
  Result<WriteResult> update(std::string_view id, const Document& doc);
  Result<WriteResult> update(std::string_view id, const Value& doc);

  Result<WriteResult> remove(std::string_view id);

  // Compare-and-set: update() and remove() that apply only while the document
  // is at `expected_version` (>= 1; 0 is InvalidArgument). Otherwise nothing
  // changes and the answer is VersionConflict, whose conflict() carries the
  // id and the version found — 0 when the document does not exist (never
  // inserted, or removed), so one code serves a CAS loop both ways:
  //
  //   for (;;) {                                  // increment a counter
  //     auto doc = store.get(id);
  //     if (!doc) break;                          // DocumentNotFound
  //     doc->data["n"] = doc->data.at("n").as_int() + 1;
  //     auto done = store.update_if(id, doc->data, doc->version);
  //     if (done || done.code() != StatusCode::kVersionConflict) break;
  //     if (done.status().conflict()->current_version == 0) break;  // gone
  //   }
  Result<WriteResult> update_if(std::string_view id, const Document& doc, std::uint64_t expected_version);
  Result<WriteResult> update_if(std::string_view id, const Value& doc, std::uint64_t expected_version);
  Result<WriteResult> remove_if(std::string_view id, std::uint64_t expected_version);

  // Applies every operation of `batch` atomically; the results follow the
  // batch's order (inserts carry their new ids) with consecutive revisions.
  // Nothing is applied when any operation fails: InvalidDocument,
  // DocumentNotFound (naming the operation), VersionConflict (naming the
  // precondition), or InvalidArgument for an empty batch, a batch of only
  // preconditions, two operations or two preconditions on one id. Durable as a single write is
  // (Options::durability), and visible to readers all at once per document.
  Result<std::vector<WriteResult>> write(const WriteBatch& batch);

  // An ordered index over `fields` (top-level names or dotted paths such as
  // "address.zip"), filled from the current documents before returning. A
  // document is in the index when every field is present and not null.
  Status create_index(std::string_view name, std::vector<std::string> fields);
  // The same with options (index_options.h). A unique index makes every
  // insert, update or batch that would give two documents one key fail with
  // UniqueViolation, applying nothing; Status::conflict() names the index,
  // the key (as JSON, an array of the key's values) and the document holding
  // it. Creating one over documents that already share a key fails the same
  // way, naming two of them. A partial index keeps only the documents its
  // predicate matches; updates move documents in and out.
  //
  //   auto s = store.create_index("by_email", {"email"}, {.unique = true});
  //   auto r = store.insert(Document{{"email", "a@x.org"}});  // a second one:
  //   // r.code() == StatusCode::kUniqueViolation, r.status().conflict()->document_id
  Status create_index(std::string_view name, std::vector<std::string> fields, const IndexOptions& options);
  Status drop_index(std::string_view name);

  // Documents whose key equals `values` (exactly as many values as the index
  // has fields; no prefix matching; a null matches nothing), in index order.
  Result<std::vector<DocumentResult>> lookup(std::string_view index, const IndexKey& values) const;

  // Documents whose key lies in [min, max], both inclusive, in index order. A
  // bound shorter than the key is a prefix bound; an empty bound is unbounded;
  // min > max is empty, never an error.
  Result<std::vector<DocumentResult>> lookup_range(std::string_view index, const IndexKey& min,
                                                   const IndexKey& max) const;

  // lookup() and lookup_range() returning views: the same documents in the
  // same order, neither decoded nor copied.
  Result<std::vector<DocumentView>> lookup_view(std::string_view index, const IndexKey& values) const;
  Result<std::vector<DocumentView>> lookup_range_view(std::string_view index, const IndexKey& min,
                                                      const IndexKey& max) const;

  // How many documents lookup() / lookup_range() with the same arguments
  // would return, with the same errors: counted in the index at one instant
  // without copying, decoding or holding any document.
  //
  //   std::size_t in_ny = *store.count("by_city", {"NY"});
  //   std::size_t adults = *store.count("by_age", {18}, {});   // age >= 18
  Result<std::size_t> count(std::string_view index, const IndexKey& values) const;
  Result<std::size_t> count(std::string_view index, const IndexKey& min, const IndexKey& max) const;

  // How that lookup would run (LookupPlan): the keys and documents it would
  // touch, their order, how each bound limits the keys and the index's size.
  // Same errors as lookup(); a key that can match nothing is no error, the
  // plan says why (empty_reason).
  //
  //   auto plan = store.explain("by_city_age", {"NY"}, {"NY"});   // a prefix
  //   std::cout << plan->documents << " of " << plan->index_entries;
  Result<LookupPlan> explain(std::string_view index, const IndexKey& values) const;
  Result<LookupPlan> explain(std::string_view index, const IndexKey& min, const IndexKey& max) const;

  // A snapshot of every document now, yielded in id order. Never fails: on a
  // closed store the stream reports StoreClosed. `buffer_size` is accepted
  // for go-store compatibility; documents are decoded on demand, so nothing
  // needs to run ahead.
  Stream stream(std::ptrdiff_t buffer_size = 0) const;

  // Cursors over the documents present now, in id (insertion) order, or over
  // an index's members in index order.
  Result<Cursor> read() const;
  Result<Cursor> read_index(std::string_view name) const;

  // A point-in-time snapshot of the store at revision() (see Snapshot), in
  // constant time whatever the store's size. It waits for the writes in
  // flight to finish (at most one group commit in sync mode), so that every
  // write up to its revision is in it. StoreClosed on a closed store.
  //
  //   auto snap = store.snapshot();
  //   auto a = snap->get(id_a), b = snap->get(id_b);   // one point in time
  Result<Snapshot> snapshot() const;
  // The snapshots open now and what they pin. Expires the ones past
  // Options::max_snapshot_age first.
  SnapshotStats snapshot_stats() const;

  // An independent in-memory store holding deep copies of the live documents
  // (same ids, data, versions and revisions), the same index definitions
  // rebuilt from the copied data, and the same revision counter.
  Result<Store> clone() const;
  Result<Store> clone(const CloneFilter& filter) const;

  // Makes every write acknowledged so far durable (in periodic and none
  // modes; in sync mode they already are). In memory: nothing to do.
  Status flush();
  // Flushes the RocksDB mirror and removes the WAL segments it covers.
  Status checkpoint();
  // The latest revision known to be durable (in memory: revision()).
  std::uint64_t durable_revision() const;
  // A full backup into `dir` (missing, or an empty directory) while writes
  // go on: an openable store as of one revision R — at least the durable
  // revision when the call starts — checked before it is renamed into place
  // (backup.h). Durable stores only: InvalidArgument in memory or read-only,
  // or naming `dir` when it exists and is not empty.
  //
  //   auto info = store.backup("/backups/2024-06-01");   // info->revision == R
  Result<BackupInfo> backup(const std::string& dir) const;
  // An incremental backup: the WAL records (since_revision, R]. InvalidArgument
  // when since_revision is past the store's revision, or when the WAL from
  // there is no longer retained (naming the oldest revision it still holds).
  Result<BackupInfo> backup(const std::string& dir, std::uint64_t since_revision) const;
  // What open() recovered (empty for in-memory stores).
  OpenReport open_report() const;

  // ---- The change feed (durable stores; in memory: InvalidArgument). ----

  // The changes after `after_revision` (0: all the WAL still holds;
  // revision(): from now on). InvalidArgument when it is past revision();
  // RevisionRetired naming the oldest available revision when a checkpoint
  // already removed the WAL holding after_revision + 1.
  Result<ChangeFeed> changes(std::uint64_t after_revision) const;

  // Named consumers, like PostgreSQL's replication slots: the store keeps
  // every WAL segment holding a change after the consumer's acknowledged
  // revision, across checkpoints and restarts, until it acknowledges them
  // (or is dropped, or passes Options::max_consumer_wal_bytes or
  // max_consumer_age: then it is dropped with a warning in db/LOG). Every
  // call is durable when it returns.
  //
  //   store.register_consumer("search-indexer", store.revision());
  //   auto feed = store.changes_for("search-indexer");
  //   auto batch = feed->wait_next(std::chrono::seconds(1));
  //   ... apply *batch elsewhere, durably ...
  //   store.acknowledge("search-indexer", batch->back().revision);
  //
  // register_consumer: InvalidArgument for a name outside
  // [A-Za-z0-9_.-]{1,64}, a name in use or a revision past revision();
  // RevisionRetired as changes(). acknowledge: InvalidArgument for an
  // unknown consumer, a revision below the one acknowledged or past
  // revision(). drop_consumer: InvalidArgument for an unknown consumer.
  Status register_consumer(std::string_view name, std::uint64_t after_revision);
  Status acknowledge(std::string_view name, std::uint64_t revision);
  Status drop_consumer(std::string_view name);
  // Sorted by name.
  Result<std::vector<ConsumerInfo>> consumers() const;
  // changes(the consumer's acknowledged revision).
  Result<ChangeFeed> changes_for(std::string_view consumer) const;

  // Idempotent. Afterwards every call answers StoreClosed; streams already
  // made still deliver their snapshot. A durable store syncs its WAL,
  // checkpoints and releases its directory. Errors here cannot lose an
  // acknowledged write (the WAL holds it); call flush() first to learn of
  // any I/O error while it can still be acted on.
  void close();
  bool is_closed() const;

  // The revision of the latest successful write (0 for a new store).
  std::uint64_t revision() const;
  // Live documents.
  std::size_t size() const;
  // Index definitions, sorted by name.
  std::vector<IndexInfo> indexes() const;

 private:
  friend class engine::StoreCore;
  explicit Store(std::shared_ptr<engine::StoreCore> core);
  std::shared_ptr<engine::StoreCore> core_;
};

}  // namespace snapstore
