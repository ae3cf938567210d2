// StoreCore: the engine behind snapstore::Store, and the states behind Stream
// and Cursor.
//
// Documents live in a tbb::concurrent_hash_map from id to the current
// Snapshot. A write validates and encodes the document outside any lock, then
// under the document's exclusive accessor takes the next revision (the seam
// where the WAL append goes: DESIGN.md write path, step 3), installs the new
// snapshot and updates every index, so indexes change in each document's write
// order and a reader never sees half a write.
//
// Locks, always taken in this order:
//   state_mutex_ (tbb::rw_mutex, writer-preferring)
//       shared by point reads and writes; exclusive for what must see or
//       change the whole store at one instant: create_index, drop_index,
//       stream, read, clone, close. It guards closed_, indexes_ and table
//       iteration (TBB's table may not be iterated during lookups or writes).
//   a document's accessor (exclusive for writers, shared for readers)
//   an index's own reader-writer lock (inside OrderedIndex), and the
//   history mutexes (DocumentHistory's shards, IndexHistory's, the snapshot
//   registry's), never two at once
// A write to a unique index checks and reserves its keys under that index's
// lock before its WAL commit, and releases them after installing its
// entries (UniqueClaims): the index lock is never held across the commit.
// Point-in-time snapshots (store_snapshot.cc): snapshot() takes state_mutex_
// exclusively for an instant, so no write is in flight and every write up to
// its revision R is installed; writes that start afterwards see the open
// count and record, under their shared lock and accessor and before changing
// the table or an index, each version and index entry they end. Releasing
// the last snapshot needing them prunes those records (docs/ARCHITECTURE.md).
// Readers hold a document's accessor only long enough to copy its SnapshotPtr
// and decode afterwards, so they never block writers of other documents.
#pragma once

#include <oneapi/tbb/concurrent_hash_map.h>
#include <oneapi/tbb/rw_mutex.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/journal.h"
#include "engine/snapshot_history.h"
#include "engine/storage_env.h"
#include "engine/table_key.h"
#include "index/ordered_index.h"
#include "snapstore/store.h"
#include "value/snapshot.h"

namespace snapstore::engine {

// Documents' immutable versions live below the engine (value/), so indexes
// can point at them without knowing the engine.
using value::DocId;
using value::Snapshot;
using value::SnapshotPtr;
using value::Snapshots;
using value::view_of;

// A document argument as the public API received it: the object, or nullptr
// with the type it had instead (for the InvalidDocument message).
struct DocumentArg {
  const Object* object = nullptr;
  std::string_view given_type;
};

// The unique-index keys one write has reserved (store_core.cc).
class UniqueClaims;

class StoreCore : public std::enable_shared_from_this<StoreCore> {
 public:
  // An in-memory store (journal == nullptr) or a durable one.
  StoreCore(const Options& options, std::uint64_t revision, std::unique_ptr<Journal> journal = nullptr);
  ~StoreCore();

  static Status validate_options(const Options& options);

  // Opens (or creates) the durable store in `dir`: recovery, then ready.
  static Result<std::shared_ptr<StoreCore>> open(const std::string& dir, const Options& options,
                                                 const StorageEnv& env = {});
  // Store::open on the given file systems (fault tests, crashtest).
  static Result<Store> open_store(const std::string& dir, const Options& options, const StorageEnv& env);

#ifdef SNAPSTORE_KILL_POINTS
  // Test builds only: with SNAPSTORE_TEST_DAMAGE_INDEX=<name> in the
  // environment, open drops the first entry of that index, so that the
  // tests can show `snapstore verify` catching an index that disagrees with
  // the documents.
  void damage_index_for_tests();
#endif

  Result<WriteResult> insert(DocumentArg doc);
  // The current snapshot of `id` (StoreClosed, DocumentNotFound).
  Result<SnapshotPtr> get(std::string_view id) const;
  // With `expected_version`, compare-and-set: VersionConflict unless the
  // document is at that version (InvalidArgument for 0).
  Result<WriteResult> update(std::string_view id, DocumentArg doc,
                             std::optional<std::uint64_t> expected_version = std::nullopt);
  Result<WriteResult> remove(std::string_view id, std::optional<std::uint64_t> expected_version = std::nullopt);
  Result<std::vector<WriteResult>> write(const WriteBatch& batch);

  Status create_index(std::string_view name, std::vector<std::string> fields, const IndexOptions& options = {});
  Status drop_index(std::string_view name);

  // The documents an index finds, in index order: the versions the index
  // held at one instant, each with the key it was found by (DECISIONS D7).
  Result<Snapshots> lookup(std::string_view index, const std::vector<Value>& values) const;
  Result<Snapshots> lookup_range(std::string_view index, const std::vector<Value>& min,
                                 const std::vector<Value>& max) const;

  // count() and explain(): what lookup() / lookup_range() would find,
  // counted in the index at one instant without copying a SnapshotPtr.
  Result<std::size_t> count(std::string_view index, const std::vector<Value>& values) const;
  Result<std::size_t> count_range(std::string_view index, const std::vector<Value>& min,
                                  const std::vector<Value>& max) const;
  Result<LookupPlan> explain(std::string_view index, const std::vector<Value>& values) const;
  Result<LookupPlan> explain_range(std::string_view index, const std::vector<Value>& min,
                                   const std::vector<Value>& max) const;

  Stream stream() const;
  // What stream() answers on a closed store: StoreClosed once, then StreamClosed.
  static Stream closed_store_stream();
  Result<Cursor> read() const;
  Result<Cursor> read_index(std::string_view name) const;
  Result<std::shared_ptr<StoreCore>> clone(const CloneFilter* filter) const;

  void close();
  bool is_closed() const;
  Status flush();
  Status checkpoint();
  // Holds no store-wide lock while it runs (Journal::backup).
  Result<BackupInfo> backup(const std::string& dir, std::optional<std::uint64_t> since) const;
  std::uint64_t durable_revision() const;
  const OpenReport& open_report() const { return open_report_; }
  std::uint64_t revision() const { return revision_.load(std::memory_order_acquire); }
  std::size_t size() const;
  std::vector<IndexInfo> indexes() const;

  // The change feed and named consumers (change_feed.cc).
  Result<ChangeFeed> changes(std::uint64_t after_revision);
  Result<ChangeFeed> changes_for(std::string_view consumer);
  Result<std::vector<Change>> feed_next(FeedState& feed, std::size_t max_changes);
  Result<std::vector<Change>> feed_wait(FeedState& feed, std::chrono::milliseconds timeout, std::size_t max_changes);
  Status register_consumer(std::string_view name, std::uint64_t after_revision);
  Status acknowledge(std::string_view name, std::uint64_t revision);
  Status drop_consumer(std::string_view name);
  Result<std::vector<ConsumerInfo>> consumers() const;

  // A cursor's read of one listed document: its current state, DocumentDeleted
  // when it is gone, StoreClosed once the store is closed.
  Result<SnapshotPtr> read_listed(std::string_view id) const;

  // Point-in-time snapshots (store_snapshot.cc). Inside snapstore::engine
  // `Snapshot` names value::Snapshot (one version of one document), so the
  // public class is always spelled snapstore::Snapshot here.
  Result<snapstore::Snapshot> snapshot();
  // Idempotent: the first call (or expiry) unregisters and prunes.
  void release_snapshot(SnapshotState& at);
  SnapshotStats snapshot_stats() const;
  // The reads of a snapshot `at`: as the store stood at at.revision.
  Result<SnapshotPtr> get_at(const SnapshotState& at, std::string_view id) const;
  Result<Snapshots> lookup_at(const SnapshotState& at, std::string_view index, const std::vector<Value>& values) const;
  Result<Snapshots> lookup_range_at(const SnapshotState& at, std::string_view index, const std::vector<Value>& min,
                                    const std::vector<Value>& max) const;
  Result<Stream> stream_at(const SnapshotState& at) const;
  Result<Cursor> read_at(std::shared_ptr<const SnapshotState> at) const;
  Result<Cursor> read_index_at(std::shared_ptr<const SnapshotState> at, std::string_view name) const;
  // A snapshot cursor's read of one listed document.
  Result<SnapshotPtr> read_listed_at(const SnapshotState& at, std::string_view id) const;

  // What reads hand out: the deep copy (decoded), or a view of the snapshot.
  static DocumentResult to_result(const Snapshot& snapshot);
  static DocumentView to_view(SnapshotPtr snapshot);
  template <typename Doc>
  static Doc deliver(SnapshotPtr snapshot) {
    if constexpr (std::is_same_v<Doc, DocumentView>) {
      return to_view(std::move(snapshot));
    } else {
      return to_result(*snapshot);
    }
  }
  template <typename Doc>
  static std::vector<Doc> deliver_all(Snapshots found) {
    std::vector<Doc> docs;
    docs.reserve(found.size());
    for (auto& snapshot : found) docs.push_back(deliver<Doc>(std::move(snapshot)));
    return docs;
  }

 private:
  // Keyed by 24-byte TableKeys (D100); look ids up by IdProbe(id).
  // std::allocator rather than TBB's: the sanitizers see every allocation.
  using Table = tbb::concurrent_hash_map<TableKey, SnapshotPtr, TableKeyHashCompare,
                                         std::allocator<std::pair<const TableKey, SnapshotPtr>>>;
  using IndexPtr = std::shared_ptr<index::OrderedIndex>;

  // Encodes and checks a document against the options' limits.
  Result<std::string> encode_document(DocumentArg doc) const;
  // The same, as a view into this thread's encoding buffer, valid until the
  // thread's next encode_document_scratch: a single write builds its
  // snapshot from it without a copy of its own.
  Result<std::string_view> encode_document_scratch(DocumentArg doc) const;
  // Takes the next revisions for `ops`: appends them to the WAL of a durable
  // store (DESIGN.md write path, step 3) or counts them in memory. Returns
  // the first. On failure nothing may change.
  Result<std::uint64_t> commit(std::vector<wal::Operation>& ops);
  // commit() for inserts, updates and deletes as views: the WAL's leader
  // encodes the record from them (D115), nothing is copied before.
  Result<std::uint64_t> commit_documents(std::span<const wal::DocumentOperation> ops);
  // Raises the store's revision to `last`, the last LSN of a durable commit.
  void note_committed(std::uint64_t last);
  // ReadOnly InvalidArgument for a read-only durable store, ok otherwise.
  Status check_writable() const;
  class OpenSink;  // the engine's load sink (store_open.cc)
  // The current snapshot of `id`, or nullptr. Needs state_mutex_ (shared or more).
  SnapshotPtr current(std::string_view id) const;
  // Every current snapshot in id order. Needs state_mutex_ exclusive.
  Snapshots collect_all() const;
  // Fills the empty `idx` from every document in the table, reading keys
  // in parallel. Needs the table to stand still (state_mutex_ exclusive).
  void backfill(index::OrderedIndex& idx) const;
  // The index by name, or nullptr. Needs state_mutex_.
  IndexPtr find_index(std::string_view name) const;
  // A document's keys in every index (indexes_ order), read from its snapshot.
  std::vector<std::optional<index::Key>> keys_of(const Snapshot& snapshot) const;
  // A document a write gives new contents: its id (new for an insert), its
  // data, and its operation number in a batch (for messages).
  struct Claimant {
    std::string_view id;
    const Object* doc;
    std::size_t op;
  };
  // Checks and reserves in every unique index the keys `writes` will hold;
  // `movers` (sorted) are the documents the write changes or removes, whose
  // current keys it gives up. UniqueViolation (and nothing reserved) when a
  // key is taken. Needs state_mutex_ and the writers' accessors.
  Status claim_unique_keys(const std::vector<Claimant>& writes, const std::vector<std::string_view>& movers,
                           bool batch, UniqueClaims& claims) const;

  // Point-in-time snapshots' side of the engine (store_snapshot.cc).
  bool snapshots_open() const { return open_snapshots_.load(std::memory_order_acquire) != 0; }
  // A write ending `old` (and its entries under `old_keys`, indexes_ order)
  // at revision `end`, while snapshots are open. Needs state_mutex_ shared
  // and the document's accessor; call before the new version is installed.
  void keep_history(const SnapshotPtr& old, const std::vector<std::optional<index::Key>>& old_keys,
                    std::uint64_t end) const;
  // StoreClosed, SnapshotExpired or ok for a read at `at`. Needs state_mutex_.
  Status check_snapshot(const SnapshotState& at) const;
  // Expires the snapshots past Options::max_snapshot_age. Needs state_mutex_.
  void expire_snapshots() const;
  // Unregisters `at` as `phase` if it is open; true if it was.
  bool unregister_snapshot(SnapshotState& at, SnapshotState::Phase phase) const;
  // The oldest open snapshot's revision, UINT64_MAX when none. Needs snapshots_mutex_.
  std::uint64_t oldest_open_locked() const;
  // Drops history no open snapshot needs. Needs state_mutex_.
  void prune_history(std::uint64_t oldest) const;
  // The index `name` as it stood at `revision`, or nullptr. Needs state_mutex_.
  IndexPtr index_at(std::string_view name, std::uint64_t revision) const;
  Result<Snapshots> find_at(const SnapshotState& at, std::string_view index, const std::vector<Value>* equal,
                            const std::vector<Value>& min, const std::vector<Value>& max) const;
  // Every document at `revision`, unsorted. Needs state_mutex_ exclusive.
  Snapshots collect_at(std::uint64_t revision) const;

  const Options options_;
  mutable tbb::rw_mutex state_mutex_;
  bool closed_ = false;                                   // guarded by state_mutex_
  std::map<std::string, IndexPtr, std::less<>> indexes_;  // guarded by state_mutex_
  Table table_;
  std::atomic<std::uint64_t> revision_;
  std::unique_ptr<Journal> journal_;  // null in memory
  OpenReport open_report_;

  // An index dropped while a snapshot older than the drop was open: kept so
  // that snapshot can still read it (DECISIONS D68).
  struct DroppedIndex {
    std::string name;
    IndexPtr index;
    std::uint64_t created = 0;
    std::uint64_t dropped = 0;
  };
  // Revision of each create_index since open; absent: it existed at open.
  std::map<std::string, std::uint64_t, std::less<>> index_created_;  // guarded by state_mutex_
  std::vector<DroppedIndex> dropped_indexes_;                        // guarded by state_mutex_
  mutable DocumentHistory history_;
  mutable std::mutex snapshots_mutex_;
  mutable std::map<std::uint64_t, SnapshotState*> open_registry_;  // by ticket; guarded by snapshots_mutex_
  std::uint64_t next_ticket_ = 0;                                  // guarded by snapshots_mutex_
  mutable std::atomic<std::size_t> open_snapshots_{0};
  // The oldest open snapshot's creation (steady_clock ticks): writers test
  // expiry with one load.
  mutable std::atomic<std::int64_t> oldest_created_{0};
};

// Sorts snapshots by id (store_core.cc).
void sort_snapshots_by_id(Snapshots& docs);

// Behind Stream: the snapshot list and the read position.
class StreamState {
 public:
  StreamState(Snapshots docs, bool store_was_closed);
  template <typename Doc>  // DocumentResult or DocumentView
  Result<Doc> next();
  void close();

 private:
  std::mutex mutex_;
  Snapshots docs_;                    // guarded by mutex_
  std::size_t position_ = 0;          // guarded by mutex_
  bool report_store_closed_ = false;  // guarded by mutex_
  bool closed_ = false;               // guarded by mutex_
};

// Behind Cursor: a fixed id list (shared by clones) and a position in [0, n].
class CursorState {
 public:
  // With `at`, each step reads the document as it was at that snapshot.
  CursorState(std::shared_ptr<const StoreCore> core, std::shared_ptr<const std::vector<std::string>> ids,
              std::int64_t position, std::shared_ptr<const SnapshotState> at = nullptr);
  template <typename Doc>  // DocumentResult or DocumentView
  Result<BasicCursorStep<Doc>> next();
  template <typename Doc>
  Result<BasicCursorStep<Doc>> advance(std::int64_t steps);
  Status reset();
  std::unique_ptr<CursorState> clone() const;
  std::size_t count() const;
  void close();

 private:
  std::int64_t size() const { return static_cast<std::int64_t>(ids_->size()); }
  Result<SnapshotPtr> read(std::string_view id) const;

  std::shared_ptr<const StoreCore> core_;
  std::shared_ptr<const std::vector<std::string>> ids_;
  std::int64_t position_ = 0;
  bool closed_ = false;
  std::shared_ptr<const SnapshotState> at_;
};

}  // namespace snapstore::engine
