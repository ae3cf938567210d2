// Opening a durable store: the engine's side of recovery. The Journal reads
// RocksDB and the WAL (docs/RECOVERY.md); OpenSink, the engine's load sink,
// turns what it hands over into the document table and the indexes.
//
// RocksDB's documents arrive on several loading threads at once, one Loader
// each: a Loader decodes each document once (only when there are indexes),
// puts its snapshot into the table (TBB's hash map takes concurrent inserts),
// gathers (key, id) per index and sorts them when its thread is done. Once
// every Loader is done, each index is built in one pass from the sorted runs.
// The WAL tail after that goes through the per-record path: each batch moves
// its documents in every index, as a live write does.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "base/worker_error.h"
#include "engine/store_core.h"
#include "value/msgpack_codec.h"

namespace snapstore::engine {
namespace {

using Clock = std::chrono::steady_clock;

// Progress counts are added to the shared totals every this many documents,
// so the loading threads rarely touch the same cache line.
constexpr std::uint64_t kProgressBatch = 1024;

// The most buckets reserved from RocksDB's estimate, which counts overwritten
// versions that compaction has not dropped yet and so can be far too high.
constexpr std::uint64_t kMaxTableReserve = std::uint64_t{1} << 26;

std::string quoted_id(std::string_view id) { return "id \"" + std::string(id) + "\""; }

// Runs fn(i) for i in [0, n) on up to `threads` threads, each taking the next
// i when done. Plain threads, not TBB tasks: ThreadSanitizer sees them. An
// exception in fn becomes the IOError returned, naming `what`.
template <typename Fn>
Status run_parallel(std::size_t n, std::size_t threads, std::string_view what, const Fn& fn) {
  std::atomic<std::size_t> next{0};
  base::WorkerError thrown;
  auto work = [&] {
    thrown.run([&] {
      for (std::size_t i = next.fetch_add(1); i < n && !thrown.failed(); i = next.fetch_add(1)) fn(i);
    });
  };
  std::vector<std::thread> workers;
  for (std::size_t t = 1; t < std::min(n, threads); ++t) {
    try {
      workers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer threads; the rest is done by those running
    }
  }
  work();
  for (auto& w : workers) w.join();
  return thrown.status(what);
}

}  // namespace

class StoreCore::OpenSink final : public RecoverySink {
 public:
  OpenSink(StoreCore& core, const Options& options, Clock::time_point started)
      : core_(core),
        options_(options),
        started_(started),
        threads_(options.open_threads != 0 ? options.open_threads : std::max(1U, std::thread::hardware_concurrency())) {
  }

  Status on_index(std::string_view name, std::vector<std::string> fields, IndexOptions options) override {
    definitions_.insert_or_assign(std::string(name), Definition{std::move(fields), std::move(options)});
    ++indexes_loaded_;
    return Status::ok();
  }

  void expect_documents(std::uint64_t estimate) override {
    // Sized up front, the table does not split buckets while loaders insert.
    core_.table_.rehash(static_cast<std::size_t>(std::min<std::uint64_t>(estimate, kMaxTableReserve)));
  }

  std::unique_ptr<recovery::DocumentLoader> make_loader() override;

  Status on_loaded() override {
    // Each index merges its runs in one pass; the indexes build side by side.
    std::vector<IndexPtr> built(definitions_.size());
    std::vector<std::pair<const std::string*, const Definition*>> defs;
    for (const auto& [name, definition] : definitions_) defs.emplace_back(&name, &definition);
    if (Status s = run_parallel(defs.size(), threads_, "build the indexes",
                                [&](std::size_t i) {
                                  auto idx = std::make_shared<index::OrderedIndex>(
                                      *defs[i].first, defs[i].second->fields, defs[i].second->options);
                                  idx->bulk_load_ranked(std::move(runs_[i]));
                                  built[i] = std::move(idx);
                                });
        !s) {
      return s;
    }
    for (std::size_t i = 0; i < defs.size(); ++i) core_.indexes_.emplace(*defs[i].first, std::move(built[i]));
    runs_.clear();
    std::lock_guard lock(progress_mutex_);
    report_progress();
    return Status::ok();
  }

  // The WAL tail, one operation at a time (recovery::visit_operations).
  Status put(const wal::Operation& op, std::uint64_t lsn) override {
    auto snapshot = Snapshot::make_checked(op.key, op.document, op.version, lsn, options_.max_nesting_depth);
    if (!snapshot) return Status::corruption("WAL record for " + quoted_id(op.key) + ": " + snapshot.status().message());
    return install(std::move(*snapshot));
  }

  Status remove(const wal::Operation& op, std::uint64_t) override { return erase(op.key); }

  Status create_index(const wal::Operation& op, std::uint64_t) override {
    auto idx = std::make_shared<index::OrderedIndex>(op.key, op.fields, op.index_options);
    core_.backfill(*idx);
    core_.indexes_.insert_or_assign(op.key, std::move(idx));
    return Status::ok();
  }

  Status drop_index(const wal::Operation& op, std::uint64_t) override {
    core_.indexes_.erase(op.key);
    return Status::ok();
  }

  std::uint64_t documents_loaded() const { return documents_loaded_.load(std::memory_order_acquire); }
  std::uint64_t indexes_loaded() const { return indexes_loaded_; }

 private:
  class Loader;

  // A replayed insert or update: the new snapshot, and the document's move
  // in every index (from its old key, if it had one).
  Status install(SnapshotPtr current) {
    Table::accessor acc;
    const bool inserted = core_.table_.insert(acc, IdProbe(current->id));
    std::vector<std::optional<index::Key>> old_keys(core_.indexes_.size());
    if (!inserted) old_keys = core_.keys_of(*acc->second);
    const ValueView data = view_of(*current);
    std::size_t i = 0;
    index::Key scratch;
    for (const auto& [name, idx] : core_.indexes_) idx->replace(old_keys[i++], idx->key_in(data, scratch), current);
    acc->second = std::move(current);
    return Status::ok();
  }

  Status erase(const std::string& id) {
    Table::accessor acc;
    if (!core_.table_.find(acc, IdProbe(id))) return Status::ok();
    const auto keys = core_.keys_of(*acc->second);
    std::size_t i = 0;
    for (const auto& [name, idx] : core_.indexes_) idx->replace(keys[i++], std::nullopt, acc->second);
    core_.table_.erase(acc);
    return Status::ok();
  }

  // Adds a Loader's counts; calls the progress callback when it is due and
  // no other thread is in it (a loader never waits for the callback).
  void add_progress(std::uint64_t documents, std::uint64_t bytes) {
    documents_loaded_.fetch_add(documents, std::memory_order_acq_rel);
    bytes_loaded_.fetch_add(bytes, std::memory_order_acq_rel);
    if (!options_.open_progress) return;
    const auto now = Clock::now().time_since_epoch().count();
    if (now < next_progress_.load(std::memory_order_acquire)) return;
    std::unique_lock lock(progress_mutex_, std::try_to_lock);
    if (!lock.owns_lock() || now < next_progress_.load(std::memory_order_acquire)) return;
    report_progress();
  }

  // Needs progress_mutex_: reading the totals under it keeps the reported
  // counts monotone.
  void report_progress() {
    if (!options_.open_progress) return;
    const auto now = Clock::now();
    OpenProgress progress;
    progress.documents_loaded = documents_loaded_.load(std::memory_order_acquire);
    progress.bytes_loaded = bytes_loaded_.load(std::memory_order_acquire);
    progress.elapsed_seconds = std::chrono::duration<double>(now - started_).count();
    options_.open_progress(progress);
    const auto interval = std::chrono::milliseconds(options_.open_progress_interval_ms);
    next_progress_.store((Clock::now() + interval).time_since_epoch().count(), std::memory_order_release);
  }

  void add_runs(std::vector<index::OrderedIndex::RankedRun> runs) {
    std::lock_guard lock(runs_mutex_);
    for (std::size_t i = 0; i < runs.size(); ++i) runs_[i].push_back(std::move(runs[i]));
  }

  StoreCore& core_;
  const Options& options_;
  const Clock::time_point started_;
  const std::size_t threads_;
  // Set on the calling thread before loading starts; read-only while loaders run.
  struct Definition {
    std::vector<std::string> fields;
    IndexOptions options;
  };
  std::map<std::string, Definition> definitions_;
  std::vector<std::vector<index::FieldPath>> paths_;  // per definition, in definitions_ order
  std::vector<index::Predicate> predicates_;          // per definition, in definitions_ order
  std::uint64_t indexes_loaded_ = 0;

  std::mutex runs_mutex_;
  std::vector<std::vector<index::OrderedIndex::RankedRun>> runs_;  // [index][loader]; guarded by runs_mutex_

  std::atomic<std::uint64_t> documents_loaded_{0};
  std::atomic<std::uint64_t> bytes_loaded_{0};
  std::mutex progress_mutex_;                 // one progress call at a time
  std::atomic<Clock::rep> next_progress_{0};  // written under progress_mutex_
};

class StoreCore::OpenSink::Loader final : public recovery::DocumentLoader {
 public:
  explicit Loader(OpenSink& sink) : recovery_(sink), entries_(sink.paths_.size()) {}

  Status on_document(std::string_view id, std::uint64_t version, std::uint64_t revision,
                     std::string_view document) override {
    auto checked = Snapshot::make_checked(id, document, version, revision, recovery_.options_.max_nesting_depth);
    if (!checked) return Status::corruption("stored " + quoted_id(id) + " in RocksDB: " + checked.status().message());
    SnapshotPtr snapshot = std::move(*checked);
    const ValueView data = view_of(*snapshot);
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (index::member_key_values(data, recovery_.paths_[i], recovery_.predicates_[i], key_scratch_)) {
        entries_[i].entries.emplace_back(std::move(key_scratch_), snapshot);
      }
    }
    const std::uint64_t bytes = id.size() + document.size();
    recovery_.core_.table_.emplace(TableKey(snapshot->id), std::move(snapshot));
    bytes_ += bytes;
    if (++documents_ == kProgressBatch) flush_progress();
    return Status::ok();
  }

  Status finish() override {
    flush_progress();
    // Ranked, not sorted: the merge moves each entry once, from its run
    // into the index, as create_index's does (D111, D118).
    for (auto& run : entries_) index::OrderedIndex::rank(run);
    recovery_.add_runs(std::move(entries_));
    return Status::ok();
  }

 private:
  void flush_progress() {
    recovery_.add_progress(documents_, bytes_);
    documents_ = 0;
    bytes_ = 0;
  }

  OpenSink& recovery_;
  std::vector<index::OrderedIndex::RankedRun> entries_;  // per index, in definitions_ order
  index::Key key_scratch_;                                        // reused by every document's keys
  std::uint64_t documents_ = 0;                                   // not yet added to the totals
  std::uint64_t bytes_ = 0;
};

std::unique_ptr<recovery::DocumentLoader> StoreCore::OpenSink::make_loader() {
  // Every definition has arrived before the first loader is made.
  if (paths_.size() != definitions_.size()) {
    paths_.clear();
    predicates_.clear();
    for (const auto& [name, definition] : definitions_) {
      paths_.push_back(index::parse_field_paths(definition.fields));
      predicates_.emplace_back(definition.options.partial);
    }
    runs_.assign(definitions_.size(), {});
  }
  return std::make_unique<Loader>(*this);
}

Result<Store> StoreCore::open_store(const std::string& dir, const Options& options, const StorageEnv& env) {
  auto core = open(dir, options, env);
  if (!core) return core.status();
  return Store(std::move(*core));
}

Result<std::shared_ptr<StoreCore>> StoreCore::open(const std::string& dir, const Options& options,
                                                   const StorageEnv& env) {
  const auto started = Clock::now();
  if (Status s = validate_options(options); !s) return s;
  if (dir.empty()) return Status::invalid_argument("Store::open needs a directory");
  auto core = std::make_shared<StoreCore>(options, 0);
  OpenSink sink(*core, options, started);
  OpenReport report;
  // What the calling thread throws while opening (std::bad_alloc, a worker's
  // exception passed on) is an error of the open, as it is on the workers.
  auto journal = [&]() -> Result<std::unique_ptr<Journal>> {
    try {
      return Journal::open(dir, options, env, sink, report);
    } catch (...) {
      return base::status_of_exception("open " + dir, std::current_exception());
    }
  }();
  if (!journal) return journal.status();
  report.documents_loaded = sink.documents_loaded();
  report.indexes_loaded = sink.indexes_loaded();
  core->journal_ = std::move(*journal);
  core->revision_.store(report.last_lsn, std::memory_order_release);
  core->open_report_ = std::move(report);
#ifdef SNAPSTORE_KILL_POINTS
  core->damage_index_for_tests();
#endif
  return core;
}

#ifdef SNAPSTORE_KILL_POINTS
void StoreCore::damage_index_for_tests() {
  const char* name = std::getenv("SNAPSTORE_TEST_DAMAGE_INDEX");
  if (name == nullptr) return;
  auto found = indexes_.find(std::string_view(name));
  if (found == indexes_.end()) return;
  const auto docs = found->second->find_range({}, {});
  if (docs.empty()) return;
  found->second->replace(found->second->key_of(view_of(*docs.front())), std::nullopt, docs.front());
}
#endif

}  // namespace snapstore::engine
