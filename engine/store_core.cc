// StoreCore: documents, indexes, revisions (see store_core.h for the locks).
#include "engine/store_core.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <system_error>
#include <thread>
#include <tuple>

#include "base/page_allocator.h"
#include "base/worker_error.h"
#include "engine/id_generator.h"
#include "index/id_order.h"
#include "index/lookup_plan.h"
#include "value/msgpack_codec.h"

namespace snapstore::engine {
namespace {

using ReadLock = tbb::rw_mutex::scoped_lock;

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

std::string doc_detail(std::string_view id) { return "id " + quoted(id); }
std::string index_detail(std::string_view name) { return "index " + quoted(name); }

// Runs fn(begin, end) over [0, n) split across the machine's cores. Plain
// threads, not TBB tasks: ThreadSanitizer sees their synchronization. An
// exception on a worker is rethrown here, on the calling thread, after all
// have finished (from a plain thread it would terminate the process).
template <typename Fn>
void parallel_chunks(std::size_t n, const Fn& fn) {
  const std::size_t cores = std::max(1U, std::thread::hardware_concurrency());
  const std::size_t threads = std::min(cores, n);
  if (threads <= 1) {
    fn(std::size_t{0}, n);
    return;
  }
  std::vector<std::thread> workers;
  workers.reserve(threads - 1);
  base::WorkerError thrown;
  const std::size_t chunk = (n + threads - 1) / threads;
  for (std::size_t t = 1; t < threads; ++t) {
    const std::size_t begin = std::min(n, t * chunk);
    const std::size_t end = std::min(n, begin + chunk);
    try {
      workers.emplace_back([&fn, &thrown, begin, end] { thrown.run([&] { fn(begin, end); }); });
    } catch (const std::system_error&) {
      thrown.run([&] { fn(begin, end); });  // no thread: this one does the part
    }
  }
  thrown.run([&] { fn(std::size_t{0}, std::min(n, chunk)); });
  for (auto& w : workers) w.join();
  thrown.rethrow();
}

// Sorts snapshots by id. Comparing ids through the snapshots chases two
// pointers per comparison; this sorts the ids' compact orders (the ones
// index entries keep, exact for generated UUIDs) with the positions instead
// and moves each pointer once.
void sort_by_id(Snapshots& docs) {
  struct Item {
    index::IdOrder order;
    std::size_t position;
  };
  std::vector<Item> items;
  items.reserve(docs.size());
  for (std::size_t i = 0; i < docs.size(); ++i) items.push_back(Item{index::IdOrder(docs[i]->id), i});
  std::sort(items.begin(), items.end(), [&docs](const Item& a, const Item& b) {
    const int c = index::IdOrder::compare(a.order, b.order);
    return c != index::IdOrder::kUndecided ? c < 0 : docs[a.position]->id < docs[b.position]->id;
  });
  Snapshots sorted;
  sorted.reserve(docs.size());
  for (const Item& item : items) sorted.push_back(std::move(docs[item.position]));
  docs = std::move(sorted);
}

// Compare-and-set's argument check: versions start at 1, so 0 can only be a
// mistake (an unset variable, a DocumentResult never read).
Status check_expected_version(std::optional<std::uint64_t> expected) {
  if (expected && *expected == 0) {
    return Status::invalid_argument("expected version 0: versions start at 1");
  }
  return Status::ok();
}

// The conflict when a document is not at `expected`; `found` is its version,
// 0 when it does not exist (DECISIONS D64: a conflict, not DocumentNotFound).
Status version_conflict(std::string_view id, std::uint64_t expected, std::uint64_t found) {
  std::string detail = doc_detail(id) + ": expected version " + std::to_string(expected);
  detail += found == 0 ? ", the document does not exist" : ", found " + std::to_string(found);
  return Status::version_conflict(detail, Conflict{std::string(id), found, {}, {}});
}

// A vector holding `op`, moved in: a braced list would copy the operation,
// its id and its document bytes.
std::vector<wal::Operation> single_operation(wal::Operation op) {
  std::vector<wal::Operation> ops;
  ops.push_back(std::move(op));
  return ops;
}

std::string key_json(const index::Key& key) { return to_json(Value(Array(key.begin(), key.end()))); }

// Whether a write has unique keys to claim at all: without a unique index a
// single write skips building claim_unique_keys' vectors (a heap block).
template <typename Indexes>
bool any_unique(const Indexes& indexes) {
  return std::any_of(indexes.begin(), indexes.end(), [](const auto& named) { return named.second->unique(); });
}

}  // namespace

// Reserved unique keys, per index, released when the write is done: after
// its entries are installed, or on any failure path (DECISIONS D71).
class UniqueClaims {
 public:
  UniqueClaims() = default;
  UniqueClaims(const UniqueClaims&) = delete;
  UniqueClaims& operator=(const UniqueClaims&) = delete;
  ~UniqueClaims() {
    for (auto& [idx, claims] : held_) idx->unreserve(claims);
  }
  void hold(std::shared_ptr<index::OrderedIndex> idx, std::vector<index::OrderedIndex::Claim> claims) {
    held_.emplace_back(std::move(idx), std::move(claims));
  }

 private:
  std::vector<std::pair<std::shared_ptr<index::OrderedIndex>, std::vector<index::OrderedIndex::Claim>>> held_;
};

// A document must fit one WAL record (256 MiB) with room to spare.
constexpr std::size_t kMaxDocumentBytesLimit = std::size_t{128} << 20;
constexpr std::size_t kMaxNestingDepthLimit = 1000;

StoreCore::StoreCore(const Options& options, std::uint64_t revision, std::unique_ptr<Journal> journal)
    : options_(options), revision_(revision), journal_(std::move(journal)) {}

StoreCore::~StoreCore() { close(); }

Status StoreCore::validate_options(const Options& options) {
  // Encoding, checking and decoding recurse once per level; the cap keeps
  // that well inside a thread's stack.
  if (options.max_nesting_depth < 1 || options.max_nesting_depth > kMaxNestingDepthLimit) {
    return Status::invalid_argument("Options::max_nesting_depth must be between 1 and " +
                                    std::to_string(kMaxNestingDepthLimit));
  }
  if (options.max_document_bytes < 1 || options.max_document_bytes > kMaxDocumentBytesLimit) {
    return Status::invalid_argument("Options::max_document_bytes must be between 1 and " +
                                    std::to_string(kMaxDocumentBytesLimit) + " (128 MiB)");
  }
  if (options.max_snapshot_age.count() < 0) {
    return Status::invalid_argument("Options::max_snapshot_age must not be negative (0 means no limit), got " +
                                    std::to_string(options.max_snapshot_age.count()) + " ms");
  }
  if (options.max_consumer_age.count() < 0) {
    return Status::invalid_argument("Options::max_consumer_age must not be negative (0 means no limit), got " +
                                    std::to_string(options.max_consumer_age.count()) + " ms");
  }
  return Status::ok();
}

Result<std::string> StoreCore::encode_document(DocumentArg doc) const {
  auto bytes = encode_document_scratch(doc);
  if (!bytes) return bytes.status();
  return std::string(*bytes);
}

Result<std::string_view> StoreCore::encode_document_scratch(DocumentArg doc) const {
  if (doc.object == nullptr) {
    return Status::invalid_document("a document must be an object, got " + std::string(doc.given_type));
  }
  // This thread's encoding buffer: a write copies its bytes once, into the
  // snapshot's block (and, in a durable store, once into the WAL record).
  // A buffer grown past 1 MiB by a large document is let go at the next write.
  thread_local std::string scratch;
  constexpr std::size_t kScratchKept = std::size_t{1} << 20;
  if (scratch.size() > kScratchKept) std::string().swap(scratch);
  auto bytes = value::encode_document_in(*doc.object, scratch, options_.max_nesting_depth);
  if (!bytes) return bytes.status();
  if (bytes->size() > options_.max_document_bytes) {
    return Status::invalid_document("document is " + std::to_string(bytes->size()) +
                                    " bytes encoded, over the limit of " + std::to_string(options_.max_document_bytes) +
                                    " (Options::max_document_bytes)");
  }
  return bytes;
}

Result<std::uint64_t> StoreCore::commit(std::vector<wal::Operation>& ops) {
  if (!journal_) return revision_.fetch_add(ops.size(), std::memory_order_acq_rel) + 1;
  auto first = journal_->append(ops);
  if (first) note_committed(*first + ops.size() - 1);
  return first;
}

Result<std::uint64_t> StoreCore::commit_documents(std::span<const wal::DocumentOperation> ops) {
  if (!journal_) return revision_.fetch_add(ops.size(), std::memory_order_acq_rel) + 1;
  auto first = journal_->append(ops);
  if (first) note_committed(*first + ops.size() - 1);
  return first;
}

void StoreCore::note_committed(std::uint64_t last) {
  // Concurrent commits finish out of order: keep the highest revision.
  std::uint64_t seen = revision_.load(std::memory_order_acquire);
  while (seen < last && !revision_.compare_exchange_weak(seen, last, std::memory_order_acq_rel)) {
  }
}

Status StoreCore::check_writable() const {
  if (journal_ && journal_->read_only()) {
    return Status::invalid_argument("the store at " + journal_->dir() + " is open read-only");
  }
  return Status::ok();
}

DocumentResult StoreCore::to_result(const Snapshot& snapshot) {
  Document data = value::scan::decode_object(value::scan::bytes_of(snapshot.bytes()));
  return DocumentResult{snapshot.id.str(), std::move(data), snapshot.version, snapshot.revision};
}

DocumentView StoreCore::to_view(SnapshotPtr snapshot) {
  DocumentView view;
  view.id_ = snapshot->id.view();
  view.data_ = view_of(*snapshot);
  view.version_ = snapshot->version;
  view.revision_ = snapshot->revision;
  view.owner_ = detail::SnapshotRef(snapshot.detach());
  return view;
}

SnapshotPtr StoreCore::current(std::string_view id) const {
  Table::const_accessor acc;
  // oneTBB 2021.8 declares the heterogeneous find(const_accessor&) without
  // const; it reads as the const find(const Key&) does, which casts the same.
  if (!const_cast<Table&>(table_).find(acc, IdProbe(id))) return nullptr;
  return acc->second;
}

Snapshots StoreCore::collect_all() const {
  Snapshots docs;
  docs.reserve(table_.size());
  for (const auto& [id, snapshot] : table_) docs.push_back(snapshot);
  sort_by_id(docs);
  return docs;
}

StoreCore::IndexPtr StoreCore::find_index(std::string_view name) const {
  const auto it = indexes_.find(name);
  return it == indexes_.end() ? nullptr : it->second;
}

std::vector<std::optional<index::Key>> StoreCore::keys_of(const Snapshot& snapshot) const {
  std::vector<std::optional<index::Key>> keys;
  keys.reserve(indexes_.size());
  const ValueView doc = view_of(snapshot);
  for (const auto& [name, idx] : indexes_) keys.push_back(idx->key_of(doc));
  return keys;
}

Status StoreCore::claim_unique_keys(const std::vector<Claimant>& writes, const std::vector<std::string_view>& movers,
                                    bool batch, UniqueClaims& claims) const {
  index::Key scratch;
  for (const auto& [name, idx] : indexes_) {
    if (!idx->unique()) continue;
    std::vector<index::OrderedIndex::Claim> wanted;
    std::vector<std::size_t> ops;  // wanted[i]'s operation
    for (const Claimant& w : writes) {
      if (auto key = idx->key_in(*w.doc, scratch)) {
        wanted.push_back({index::Key(key->begin(), key->end()), std::string(w.id)});
        ops.push_back(w.op);
      }
    }
    if (wanted.empty()) continue;
    const auto clash = idx->reserve(wanted, movers);
    if (!clash) {
      claims.hold(idx, std::move(wanted));
      continue;
    }
    const std::string key = key_json(wanted[clash->claim].key);
    std::string detail;
    std::string holder = clash->holder;
    if (clash->other) {
      detail = "operations " + std::to_string(ops[*clash->other]) + " and " + std::to_string(ops[clash->claim]) +
               " of the batch both give " + index_detail(name) + " the key " + key;
      // A new id never leaves a failed batch: no document holds the key.
      if (std::none_of(movers.begin(), movers.end(), [&](std::string_view m) { return m == holder; })) holder.clear();
    } else {
      detail = (batch ? "operation " + std::to_string(ops[clash->claim]) + " of the batch: " : std::string()) +
               index_detail(name) + ": key " + key + " is held by " + doc_detail(holder);
    }
    return Status::unique_violation(detail, Conflict{std::move(holder), 0, name, key});
  }
  return Status::ok();
}

Result<WriteResult> StoreCore::insert(DocumentArg doc) {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  if (Status s = check_writable(); !s) return s;
  auto bytes = encode_document_scratch(doc);  // this thread's buffer, until its next write
  if (!bytes) return bytes.status();

  Table::accessor acc;
  GeneratedId generated;  // its text becomes the WAL operation's key and the result's id: no second copy
  do {
    generated = next_generated_id();
  } while (!table_.insert(acc, TableKey::of_uuid(generated.high, generated.low)));  // two UUIDv7s colliding: retry
  std::string& id_text = generated.text;
  // The id's order in index entries, once for every index (from the bits, not the text).
  const index::IdOrder id_order = index::IdOrder::of_uuid(generated.high, generated.low);
  UniqueClaims claims;
  if (Status s = any_unique(indexes_) ? claim_unique_keys({Claimant{id_text, doc.object, 0}}, {}, false, claims)
                                      : Status::ok();
      !s) {
    table_.erase(acc);
    return s;
  }

  // An in-memory store builds no WAL operation: only the snapshot keeps the
  // bytes, and the revision is a counter's.
  auto revision = [&]() -> Result<std::uint64_t> {
    if (!journal_) return revision_.fetch_add(1, std::memory_order_acq_rel) + 1;
    // The WAL's leader encodes the record from these views (D115).
    const wal::DocumentOperation op{wal::OpType::kInsert, id_text, 1, *bytes};
    return commit_documents(std::span(&op, 1));
  }();
  if (!revision) {
    table_.erase(acc);
    return revision.status();
  }
  auto snapshot = Snapshot::make(id_text, *bytes, 1, *revision);
  index::Key scratch;
  for (const auto& [name, idx] : indexes_) {
    idx->replace(std::nullopt, idx->key_in(*doc.object, scratch), snapshot, id_order);
  }
  acc->second = std::move(snapshot);
  return WriteResult{std::move(id_text), 1, *revision};
}

Result<SnapshotPtr> StoreCore::get(std::string_view id) const {
  SnapshotPtr snapshot;
  {
    ReadLock state(state_mutex_, /*write=*/false);
    if (closed_) return Status::store_closed();
    snapshot = current(id);
  }
  if (!snapshot) return Status::document_not_found(doc_detail(id));
  return snapshot;
}

Result<WriteResult> StoreCore::update(std::string_view id, DocumentArg doc,
                                      std::optional<std::uint64_t> expected_version) {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  if (Status s = check_writable(); !s) return s;
  if (Status s = check_expected_version(expected_version); !s) return s;
  auto bytes = encode_document_scratch(doc);  // this thread's buffer, until its next write
  if (!bytes) return bytes.status();

  Table::accessor acc;
  if (!table_.find(acc, IdProbe(id))) {
    if (expected_version) return version_conflict(id, *expected_version, 0);
    return Status::document_not_found(doc_detail(id));
  }
  const Snapshot& old = *acc->second;
  if (expected_version && old.version != *expected_version) {
    return version_conflict(id, *expected_version, old.version);
  }
  const auto old_keys = keys_of(old);
  UniqueClaims claims;
  if (Status s = any_unique(indexes_)
                     ? claim_unique_keys({Claimant{old.id.view(), doc.object, 0}}, {old.id.view()}, false, claims)
                     : Status::ok();
      !s) {
    return s;
  }

  const std::uint64_t version = old.version + 1;
  const wal::DocumentOperation op{wal::OpType::kUpdate, old.id.view(), version, *bytes};
  auto revision = commit_documents(std::span(&op, 1));
  if (!revision) return revision.status();
  if (snapshots_open()) keep_history(acc->second, old_keys, *revision);
  auto snapshot = Snapshot::make(old.id, *bytes, version, *revision);
  std::size_t i = 0;
  index::Key scratch;
  const index::IdOrder id_order(snapshot->id.view());  // once for every index
  for (const auto& [name, idx] : indexes_) {
    idx->replace(old_keys[i++], idx->key_in(*doc.object, scratch), snapshot, id_order);
  }
  acc->second = std::move(snapshot);
  return WriteResult{std::string(id), version, *revision};
}

Result<WriteResult> StoreCore::remove(std::string_view id, std::optional<std::uint64_t> expected_version) {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  if (Status s = check_writable(); !s) return s;
  if (Status s = check_expected_version(expected_version); !s) return s;
  Table::accessor acc;
  if (!table_.find(acc, IdProbe(id))) {
    if (expected_version) return version_conflict(id, *expected_version, 0);
    return Status::document_not_found(doc_detail(id));
  }
  const std::uint64_t version = acc->second->version;
  if (expected_version && version != *expected_version) return version_conflict(id, *expected_version, version);
  const auto old_keys = keys_of(*acc->second);

  const wal::DocumentOperation op{wal::OpType::kDelete, acc->second->id.view(), version, {}};
  auto revision = commit_documents(std::span(&op, 1));
  if (!revision) return revision.status();
  if (snapshots_open()) keep_history(acc->second, old_keys, *revision);
  std::size_t i = 0;
  const index::IdOrder id_order(acc->second->id.view());  // once for every index
  for (const auto& [name, idx] : indexes_) idx->replace(old_keys[i++], std::nullopt, acc->second, id_order);
  table_.erase(acc);
  return WriteResult{std::string(id), version, *revision};
}

Result<std::vector<WriteResult>> StoreCore::write(const WriteBatch& batch) {
  using Kind = WriteBatch::Kind;
  const auto& entries = batch.entries_;
  const auto& preconditions = batch.preconditions_;
  if (entries.empty() && preconditions.empty()) return Status::invalid_argument("an empty write batch");
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  if (Status s = check_writable(); !s) return s;
  const std::size_t n = entries.size();
  const std::size_t p = preconditions.size();
  auto in_batch = [](std::size_t i, const Status& s) {
    return Status(s.code(), "operation " + std::to_string(i) + " of the batch: " + s.detail());
  };
  auto precondition_detail = [](std::size_t j) { return "precondition " + std::to_string(j) + " of the batch: "; };
  // A batch of preconditions alone would apply nothing and take no revision:
  // almost surely an operation left out (DECISIONS D65).
  if (n == 0) {
    return Status::invalid_argument("a write batch with " + std::to_string(p) +
                                    " precondition(s) and no operation; add the writes they guard");
  }
  for (std::size_t j = 0; j < p; ++j) {
    if (preconditions[j].require != WriteBatch::Require::kVersion) continue;
    if (Status s = check_expected_version(preconditions[j].version); !s) {
      return Status::invalid_argument(precondition_detail(j) + doc_detail(preconditions[j].id) + ": " + s.detail());
    }
  }

  // Encode and check every document before taking any lock, one after
  // another into this thread's batch buffer (no heap block per document;
  // let go past 1 MiB at the next batch), which the snapshots and the WAL
  // record are then copied from (D115).
  std::vector<wal::Operation> ops(n);
  thread_local std::string encoded;
  constexpr std::size_t kEncodedKept = std::size_t{1} << 20;
  if (encoded.capacity() > kEncodedKept) std::string().swap(encoded);
  encoded.clear();
  std::vector<std::size_t> encoded_end(n, 0);  // document i is encoded[encoded_end[i - 1], encoded_end[i])
  for (std::size_t i = 0; i < n; ++i) {
    if (entries[i].kind != Kind::kRemove) {
      auto bytes = encode_document_scratch(DocumentArg{&entries[i].document, {}});
      if (!bytes) return in_batch(i, bytes.status());
      encoded.append(*bytes);
    }
    encoded_end[i] = encoded.size();
  }
  const auto document_of = [&](std::size_t i) {
    const std::size_t begin = i == 0 ? 0 : encoded_end[i - 1];
    return std::string_view(encoded).substr(begin, encoded_end[i] - begin);
  };

  // Existing targets are locked in id order, so two batches never wait on
  // each other in a cycle; a single write holds one lock and waits on none.
  // Preconditions' documents join that order (slot n + j for precondition
  // j), sharing the lock of an operation on the same id.
  std::vector<std::pair<std::string_view, std::size_t>> targets;
  for (std::size_t i = 0; i < n; ++i) {
    if (entries[i].kind != Kind::kInsert) targets.emplace_back(entries[i].id, i);
  }
  for (std::size_t j = 0; j < p; ++j) targets.emplace_back(preconditions[j].id, n + j);
  std::sort(targets.begin(), targets.end());
  for (std::size_t t = 1; t < targets.size(); ++t) {
    if (targets[t].first != targets[t - 1].first) continue;
    if (targets[t].second < n) {  // an id's operations sort before its preconditions
      return Status::invalid_argument("operations " + std::to_string(targets[t - 1].second) + " and " +
                                      std::to_string(targets[t].second) + " of the batch both target " +
                                      doc_detail(targets[t].first));
    }
    if (targets[t - 1].second >= n) {
      return Status::invalid_argument("preconditions " + std::to_string(targets[t - 1].second - n) + " and " +
                                      std::to_string(targets[t].second - n) + " of the batch both name " +
                                      doc_detail(targets[t].first));
    }
  }
  std::vector<Table::accessor> locks(n + p);
  std::vector<std::size_t> lock_of(p);  // the slot whose lock holds precondition j's document
  std::optional<std::size_t> missing;   // the first target (in id order) that does not exist
  std::vector<std::vector<std::optional<index::Key>>> old_keys(n);
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const auto& [id, i] = targets[t];
    if (i >= n) {
      const bool shared = t > 0 && targets[t - 1].first == id;
      lock_of[i - n] = shared ? targets[t - 1].second : i;
      // An absent document needs no lock: ids are never reused, so it stays
      // absent (DECISIONS D66).
      if (!shared) table_.find(locks[i], IdProbe(id));
      continue;
    }
    if (!table_.find(locks[i], IdProbe(id))) {
      if (!missing) missing = i;
      continue;
    }
    old_keys[i] = keys_of(*locks[i]->second);
    ops[i].key = entries[i].id;
    ops[i].type = entries[i].kind == Kind::kUpdate ? wal::OpType::kUpdate : wal::OpType::kDelete;
    ops[i].version = locks[i]->second->version + (entries[i].kind == Kind::kUpdate ? 1 : 0);
  }
  // Preconditions first, in their order: a CAS batch whose document is gone
  // answers VersionConflict like update_if, not DocumentNotFound.
  for (std::size_t j = 0; j < p; ++j) {
    const WriteBatch::Precondition& pre = preconditions[j];
    const Table::accessor& acc = locks[lock_of[j]];
    const std::uint64_t found = acc.empty() ? 0 : acc->second->version;
    std::string detail;
    if (pre.require == WriteBatch::Require::kVersion && found != pre.version) {
      detail = version_conflict(pre.id, pre.version, found).detail();
    } else if (pre.require == WriteBatch::Require::kExists && found == 0) {
      detail = doc_detail(pre.id) + ": expected the document to exist, it does not";
    } else if (pre.require == WriteBatch::Require::kAbsent && found != 0) {
      detail = doc_detail(pre.id) + ": expected no document, found version " + std::to_string(found);
    } else {
      continue;
    }
    return Status::version_conflict(precondition_detail(j) + detail, Conflict{pre.id, found, {}, {}});
  }
  if (missing) return in_batch(*missing, Status::document_not_found(doc_detail(entries[*missing].id)));
  // New ids are fresh keys: no other writer can be waiting on them.
  auto release_inserts = [&] {
    for (std::size_t i = 0; i < n; ++i) {
      if (entries[i].kind == Kind::kInsert && !locks[i].empty()) table_.erase(locks[i]);
    }
  };
  // Each operation's id order, once for every index: a new id's from its bits.
  std::vector<std::optional<index::IdOrder>> id_orders(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (entries[i].kind != Kind::kInsert) continue;
    GeneratedId id;
    do {
      id = next_generated_id();
    } while (!table_.insert(locks[i], TableKey::of_uuid(id.high, id.low)));
    id_orders[i] = index::IdOrder::of_uuid(id.high, id.low);
    ops[i].type = wal::OpType::kInsert;
    ops[i].key = std::move(id.text);
    ops[i].version = 1;
  }

  std::vector<Claimant> claimants;
  std::vector<std::string_view> movers;
  for (std::size_t i = 0; i < n; ++i) {
    if (entries[i].kind != Kind::kRemove) claimants.push_back(Claimant{ops[i].key, &entries[i].document, i});
  }
  // Only the batch's updates and removes vacate keys; a document a
  // precondition merely names keeps its key and still collides.
  for (const auto& [id, slot] : targets) {
    if (slot < n) movers.push_back(id);  // sorted above
  }
  UniqueClaims claims;
  if (Status s = claim_unique_keys(claimants, movers, true, claims); !s) {
    release_inserts();
    return s;
  }

  // The WAL's leader encodes the record from views of the operations (D115).
  std::vector<wal::DocumentOperation> views(n);
  for (std::size_t i = 0; i < n; ++i) views[i] = {ops[i].type, ops[i].key, ops[i].version, document_of(i)};
  auto first = commit_documents(views);
  if (!first) {
    release_inserts();
    return first.status();
  }
  if (snapshots_open()) {
    // The operations' targets only: a precondition's document stays as it is.
    for (const auto& [id, i] : targets) {
      if (i < n) keep_history(locks[i]->second, old_keys[i], *first + i);
    }
  }
  // Each index takes the whole batch's changes under one lock, so a lookup
  // sees the batch entirely or not at all (DESIGN.md invariant 7); point
  // reads of its documents wait on their accessors until the end.
  std::vector<std::vector<index::OrderedIndex::Change>> changes(indexes_.size());
  for (auto& index_changes : changes) index_changes.reserve(n);
  // The changes point at old_keys, at the batch's documents and at these.
  std::vector<index::Key> new_key_scratch(n * indexes_.size());
  std::vector<WriteResult> results;
  results.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t revision = *first + i;
    const std::string& id = ops[i].key;
    std::size_t k = 0;
    if (!id_orders[i] && !indexes_.empty()) id_orders[i].emplace(id);
    if (entries[i].kind == Kind::kRemove) {
      for (auto& index_changes : changes) {
        index_changes.push_back({old_keys[i][k++], std::nullopt, locks[i]->second, id_orders[i]});
      }
      results.push_back(WriteResult{std::move(ops[i].key), ops[i].version, revision});
      continue;
    }
    auto snapshot = Snapshot::make(id, document_of(i), ops[i].version, revision);
    for (const auto& [name, idx] : indexes_) {
      std::optional<index::KeyValues> old_key;
      if (entries[i].kind == Kind::kUpdate) old_key = old_keys[i][k];
      changes[k].push_back({old_key, idx->key_in(entries[i].document, new_key_scratch[i * indexes_.size() + k]),
                            snapshot, id_orders[i]});
      ++k;
    }
    locks[i]->second = std::move(snapshot);
    // The id's last use: the result takes its string rather than a copy.
    results.push_back(WriteResult{std::move(ops[i].key), ops[i].version, revision});
  }
  std::size_t k = 0;
  for (const auto& [name, idx] : indexes_) idx->apply(std::move(changes[k++]));
  for (std::size_t i = 0; i < n; ++i) {
    if (entries[i].kind == Kind::kRemove) table_.erase(locks[i]);
  }
  return results;
}

void StoreCore::backfill(index::OrderedIndex& idx) const {
  // The table cannot change meanwhile (the caller holds state_mutex_
  // exclusively or nobody else has the store yet), so threads may walk parts
  // of it at once. Each sorts its own entries into a run; one pass merges them.
  // Below a few thousand documents threads cost more than they save.
  constexpr std::size_t kParallelMinimum = 4096;
  const std::size_t wanted =
      table_.size() < kParallelMinimum ? 1 : 4 * std::size_t{std::max(1U, std::thread::hardware_concurrency())};
  std::vector<Table::const_range_type> parts;
  parts.reserve(wanted);  // a split reads parts[i] while appending
  parts.push_back(table_.range());
  // Halve every part per round, so the parts stay about equal.
  for (bool split = true; split && parts.size() < wanted;) {
    split = false;
    for (std::size_t i = 0, n = parts.size(); i < n && parts.size() < wanted; ++i) {
      if (!parts[i].is_divisible()) continue;
      parts.emplace_back(parts[i], tbb::split());
      split = true;
    }
  }
  // One slot per thread: slot s walks parts s, s + slots, ... (D111).
  const std::size_t slots = std::min<std::size_t>(parts.size(), std::max(1U, std::thread::hardware_concurrency()));
  // First each slot lists its snapshots: a loop this short lets the CPU
  // chase many table nodes at once, where reading each document between
  // two nodes waited for one miss at a time. The lists are mappings of
  // their own (base::PageAllocator), so nothing stays in the worker's
  // malloc arena; the parts are about equal, so a slot rarely outgrows
  // its share and a quarter more. With each snapshot goes its id's order,
  // read from the table's key (a UUID's bits), not parsed from the text.
  struct Listed {
    const value::Snapshot* snapshot;
    index::IdOrder id_order;
  };
  using SnapshotList = std::vector<Listed, base::PageAllocator<Listed>>;
  std::vector<SnapshotList> lists(slots);
  for (SnapshotList& list : lists) list.reserve(table_.size() / slots + table_.size() / (4 * slots) + 64);
  parallel_chunks(slots, [&](std::size_t begin, std::size_t end) {
    for (std::size_t s = begin; s < end; ++s) {
      for (std::size_t p = s; p < parts.size(); p += slots) {
        for (const auto& [id, snapshot] : parts[p]) lists[s].push_back(Listed{snapshot.get(), id.id_order()});
      }
    }
  });
  // The runs' entries are mappings too, reserved at their final size and
  // populated at once (no fault per page), and never reallocated.
  std::vector<index::OrderedIndex::RankedRun> runs(slots);
  for (std::size_t s = 0; s < slots; ++s) runs[s].entries.reserve(lists[s].size());
  parallel_chunks(slots, [&](std::size_t begin, std::size_t end) {
#ifdef SNAPSTORE_KILL_POINTS
    // Test builds: worker_exception_test's stand-in for std::bad_alloc here.
    if (std::getenv("SNAPSTORE_TEST_THROW_IN_BACKFILL") != nullptr) throw std::bad_alloc();
#endif
    index::Key scratch;
    for (std::size_t s = begin; s < end; ++s) {
      const SnapshotList& list = lists[s];
      index::OrderedIndex::RunEntries& run = runs[s].entries;
      for (std::size_t i = 0; i < list.size(); ++i) {
        // The documents a few steps ahead are on their way while this one
        // is read: its header (count, id) and the first lines of its bytes,
        // where the leading fields are.
        constexpr std::size_t kAhead = 8;
        if (i + kAhead < list.size()) {
          const char* ahead = reinterpret_cast<const char*>(list[i + kAhead].snapshot);
          __builtin_prefetch(ahead, 1);
          __builtin_prefetch(ahead + 64);
          __builtin_prefetch(ahead + 128);
        }
        const value::Snapshot* snapshot = list[i].snapshot;
        if (!idx.key_in(view_of(*snapshot), scratch)) continue;
        value::SnapshotPtr::add_ref(snapshot);
        run.emplace_back(std::move(scratch), value::SnapshotPtr::adopt(snapshot), list[i].id_order);
      }
      index::OrderedIndex::rank(runs[s]);
    }
  });
  idx.bulk_load_ranked(std::move(runs));
}

Status StoreCore::create_index(std::string_view name, std::vector<std::string> fields, const IndexOptions& options) {
  ReadLock state(state_mutex_, /*write=*/true);
  if (closed_) return Status::store_closed();
  if (Status s = check_writable(); !s) return s;
  if (fields.empty()) return Status::empty_index(index_detail(name) + " has no fields");
  // go-store allows these three (SPEC IDX-04); snapstore refuses them as the
  // mistakes they are (DECISIONS D55).
  if (name.empty()) return Status::invalid_argument("an index name must not be empty");
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].empty()) {
      return Status::invalid_argument(index_detail(name) + ": field " + std::to_string(i + 1) + " is empty");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (fields[j] == fields[i]) {
        return Status::invalid_argument(index_detail(name) + ": field \"" + fields[i] + "\" appears twice");
      }
    }
  }
  if (options.partial) {
    const IndexPredicate& where = *options.partial;
    if (where.field.empty()) return Status::invalid_argument(index_detail(name) + ": the partial predicate's field is empty");
    if (where.value && where.value->is_null()) {
      return Status::invalid_argument(index_detail(name) + ": a partial predicate cannot equal null (use exists)");
    }
    std::string scratch;
    if (where.value) {
      if (Status s = value::encode_msgpack(*where.value, scratch, options_.max_nesting_depth); !s) {
        return Status::invalid_argument(index_detail(name) + ": the partial predicate's value: " + s.detail());
      }
    }
  }
  if (find_index(name)) return Status::index_exists(index_detail(name));

  auto idx = std::make_shared<index::OrderedIndex>(std::string(name), fields, options);
  try {
    backfill(*idx);
  } catch (...) {
    return base::status_of_exception("create_index " + index_detail(name), std::current_exception());
  }
  if (options.unique) {
    index::Key key;
    if (auto twins = idx->first_duplicate(&key)) {
      return Status::unique_violation(
          index_detail(name) + ": " + doc_detail(twins->first) + " and " + doc_detail(twins->second) +
              " both have the key " + key_json(key),
          Conflict{twins->first, 0, std::string(name), key_json(key)});
    }
  }
  std::vector<wal::Operation> ops =
      single_operation({wal::OpType::kCreateIndex, std::string(name), 0, {}, std::move(fields), options});
  auto revision = commit(ops);
  if (!revision) return revision.status();
  index_created_[std::string(name)] = *revision;
  indexes_.emplace(std::string(name), std::move(idx));
  return Status::ok();
}

Status StoreCore::drop_index(std::string_view name) {
  ReadLock state(state_mutex_, /*write=*/true);
  if (closed_) return Status::store_closed();
  if (Status s = check_writable(); !s) return s;
  const auto it = indexes_.find(name);
  if (it == indexes_.end()) return Status::index_not_found(index_detail(name));
  std::vector<wal::Operation> ops = single_operation({wal::OpType::kDropIndex, std::string(name), 0, {}, {}});
  auto revision = commit(ops);
  if (!revision) return revision.status();
  const auto created = index_created_.find(name);
  if (snapshots_open()) {
    dropped_indexes_.push_back(
        DroppedIndex{it->first, it->second, created == index_created_.end() ? 0 : created->second, *revision});
  }
  if (created != index_created_.end()) index_created_.erase(created);
  indexes_.erase(it);
  return Status::ok();
}

Result<Snapshots> StoreCore::lookup(std::string_view index, const std::vector<Value>& values) const {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  const IndexPtr idx = find_index(index);
  if (!idx) return Status::index_not_found(index_detail(index));
  return idx->find_equal(values);
}

Result<Snapshots> StoreCore::lookup_range(std::string_view index, const std::vector<Value>& min,
                                                     const std::vector<Value>& max) const {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  const IndexPtr idx = find_index(index);
  if (!idx) return Status::index_not_found(index_detail(index));
  return idx->find_range(min, max);
}

Result<std::size_t> StoreCore::count(std::string_view index, const std::vector<Value>& values) const {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  const IndexPtr idx = find_index(index);
  if (!idx) return Status::index_not_found(index_detail(index));
  return idx->tally_equal(values, false).documents;
}

Result<std::size_t> StoreCore::count_range(std::string_view index, const std::vector<Value>& min,
                                           const std::vector<Value>& max) const {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  const IndexPtr idx = find_index(index);
  if (!idx) return Status::index_not_found(index_detail(index));
  return idx->tally_range(min, max, false).documents;
}

namespace {

void fill_counts(LookupPlan& plan, const index::OrderedIndex::Tally& tally) {
  plan.keys = tally.keys;
  plan.documents = tally.documents;
  plan.index_entries = tally.entries;
}

}  // namespace

Result<LookupPlan> StoreCore::explain(std::string_view index, const std::vector<Value>& values) const {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  const IndexPtr idx = find_index(index);
  if (!idx) return Status::index_not_found(index_detail(index));
  LookupPlan plan = index::plan_equal(idx->name(), idx->fields(), values);
  plan.options = idx->options();
  fill_counts(plan, idx->tally_equal(values, true));
  return plan;
}

Result<LookupPlan> StoreCore::explain_range(std::string_view index, const std::vector<Value>& min,
                                            const std::vector<Value>& max) const {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  const IndexPtr idx = find_index(index);
  if (!idx) return Status::index_not_found(index_detail(index));
  LookupPlan plan = index::plan_range(idx->name(), idx->fields(), min, max);
  plan.options = idx->options();
  fill_counts(plan, idx->tally_range(min, max, true));
  return plan;
}

Stream StoreCore::stream() const {
  Snapshots docs;
  {
    ReadLock state(state_mutex_, /*write=*/true);
    if (closed_) return closed_store_stream();
    docs.reserve(table_.size());
    for (const auto& [id, snapshot] : table_) docs.push_back(snapshot);
  }
  // Sorted after the lock: writers wait only for the pointers' copy.
  sort_by_id(docs);
  return Stream(std::make_shared<StreamState>(std::move(docs), false));
}

Stream StoreCore::closed_store_stream() { return Stream(std::make_shared<StreamState>(Snapshots{}, true)); }

Result<Cursor> StoreCore::read() const {
  std::vector<std::string> ids;
  {
    ReadLock state(state_mutex_, /*write=*/true);
    if (closed_) return Status::store_closed();
    ids.reserve(table_.size());
    for (const auto& entry : table_) ids.push_back(entry.second->id.str());  // the key keeps no text (D100)
  }
  std::sort(ids.begin(), ids.end());
  return Cursor(std::make_unique<CursorState>(shared_from_this(),
                                              std::make_shared<const std::vector<std::string>>(std::move(ids)), 0));
}

Result<Cursor> StoreCore::read_index(std::string_view name) const {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  const IndexPtr idx = find_index(name);
  if (!idx) return Status::index_not_found(index_detail(name));
  return Cursor(std::make_unique<CursorState>(shared_from_this(),
                                              std::make_shared<const std::vector<std::string>>(idx->all_ids()), 0));
}

Result<std::shared_ptr<StoreCore>> StoreCore::clone(const CloneFilter* filter) const {
  Snapshots docs;
  std::vector<std::tuple<std::string, std::vector<std::string>, IndexOptions>> index_definitions;
  std::uint64_t revision = 0;
  {
    ReadLock state(state_mutex_, /*write=*/true);
    if (closed_) return Status::store_closed();
    docs = collect_all();
    for (const auto& [name, idx] : indexes_) index_definitions.emplace_back(name, idx->fields(), idx->options());
    revision = revision_.load(std::memory_order_acquire);
  }

  auto copy = std::make_shared<StoreCore>(options_, revision);
  Snapshots kept;
  kept.reserve(docs.size());
  for (auto& snapshot : docs) {
    if (filter == nullptr) {
      // Snapshots are immutable, so the clone can share them.
      kept.push_back(std::move(snapshot));
      continue;
    }
    DocumentResult result = to_result(*snapshot);
    if (!(*filter)(result)) continue;
    auto bytes = encode_document(DocumentArg{&result.data, {}});
    if (!bytes) {
      return Status::invalid_document("clone filter output for " + doc_detail(snapshot->id.view()) + ": " +
                                      bytes.status().detail());
    }
    kept.push_back(Snapshot::make(snapshot->id, *bytes, snapshot->version, snapshot->revision));
  }
  for (const auto& snapshot : kept) copy->table_.emplace(TableKey(snapshot->id), snapshot);
  for (auto& [name, fields, index_options] : index_definitions) {
    auto idx = std::make_shared<index::OrderedIndex>(name, std::move(fields), std::move(index_options));
    copy->backfill(*idx);
    copy->indexes_.emplace(name, std::move(idx));
  }
  return copy;
}

void StoreCore::close() {
  ReadLock state(state_mutex_, /*write=*/true);
  if (closed_) return;
  closed_ = true;
  // Streams hold their own snapshots and cursors answer StoreClosed from now
  // on, so the documents and indexes can go at once.
  table_.clear();
  indexes_.clear();
  dropped_indexes_.clear();
  history_.clear();
  {
    // Open snapshots answer StoreClosed from now on and pin nothing.
    std::lock_guard registry(snapshots_mutex_);
    for (auto& [ticket, at] : open_registry_) at->phase.store(SnapshotState::Phase::kReleased);
    open_registry_.clear();
    open_snapshots_.store(0, std::memory_order_release);
  }
  if (journal_) {
    // Nothing acknowledged depends on this succeeding: the WAL holds it all.
    (void)journal_->close();
    journal_.reset();
  }
}

Status StoreCore::flush() {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  return journal_ ? journal_->flush() : Status::ok();
}

Status StoreCore::checkpoint() {
  ReadLock state(state_mutex_, /*write=*/false);
  if (closed_) return Status::store_closed();
  return journal_ ? journal_->checkpoint() : Status::ok();
}

Result<BackupInfo> StoreCore::backup(const std::string& dir, std::optional<std::uint64_t> since) const {
  Journal* journal = nullptr;
  {
    ReadLock state(state_mutex_, /*write=*/false);
    if (closed_) return Status::store_closed();
    if (!journal_) {
      return Status::invalid_argument("an in-memory store has no files to back up (clone() copies it in memory)");
    }
    if (!journal_->enter_backup()) return Status::store_closed();
    journal = journal_.get();
  }
  // close() waits in Journal::close for leave_backup(): the journal outlives this call.
  auto result = journal->backup(dir, since);
  journal->leave_backup();
  return result;
}

std::uint64_t StoreCore::durable_revision() const {
  ReadLock state(state_mutex_, /*write=*/false);
  if (journal_) return journal_->durable_lsn();
  return revision();
}

bool StoreCore::is_closed() const {
  ReadLock state(state_mutex_, /*write=*/false);
  return closed_;
}

std::size_t StoreCore::size() const {
  ReadLock state(state_mutex_, /*write=*/false);
  return table_.size();
}

std::vector<IndexInfo> StoreCore::indexes() const {
  ReadLock state(state_mutex_, /*write=*/false);
  std::vector<IndexInfo> infos;
  for (const auto& [name, idx] : indexes_) infos.push_back(IndexInfo{name, idx->fields(), idx->size(), idx->options()});
  return infos;
}

Result<SnapshotPtr> StoreCore::read_listed(std::string_view id) const {
  SnapshotPtr snapshot;
  {
    ReadLock state(state_mutex_, /*write=*/false);
    if (closed_) return Status::store_closed();
    snapshot = current(id);
  }
  if (!snapshot) return Status::document_deleted(doc_detail(id));
  return snapshot;
}

void sort_snapshots_by_id(Snapshots& docs) { sort_by_id(docs); }

}  // namespace snapstore::engine
