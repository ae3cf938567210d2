// Mirror: RocksDB applier, checkpoints and WAL retirement (see mirror.h).
#include "recovery/mirror.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <msgpack.hpp>
#include <system_error>

#include "base/kill_point.h"
#include "base/worker_error.h"
#include "recovery/mirror_families.h"
#include "recovery/mirror_format.h"
#include "recovery/replay.h"
#include "recovery/rocksdb_logger.h"
#include "recovery/rocksdb_status.h"
#include "wal/reader.h"

namespace snapstore::recovery {
namespace {

// How many queued batches the applier folds into one RocksDB write.
constexpr std::size_t kMaxBatchesPerWrite = 256;

// The queue's chunks: a few hundred typical batches each, so the producer
// takes the mutex once per chunk, not per batch; a larger batch gets a chunk
// of its own size. Emptied chunks of the usual size are kept for reuse, up
// to a few, so a steady load allocates nothing.
constexpr std::size_t kChunkBytes = 64 << 10;
constexpr std::size_t kSpareChunks = 4;
// A queued batch's header: first_lsn, last_lsn, payload size.
constexpr std::size_t kQueuedHeaderBytes = 3 * sizeof(std::uint64_t);

// A RocksDB WriteBatch's fixed header, and what an entry adds to the key and
// document the payload holds: the value's version and revision, a tag, a
// column family id and two lengths.
constexpr std::size_t kWriteBatchHeaderBytes = 12;
constexpr std::size_t kWriteBatchEntryBytes = 16 + 1 + 5 + 5 + 5;

// Load ranges per loading thread (Mirror::load).
constexpr std::size_t kRangesPerThread = 4;

// Split keys are numbers: the 16 bytes of a key after the prefix that the
// first and last document ids share, big-endian and zero-padded, which is
// enough to tell apart the ids of a range of any realistic size.
using SplitNumber = unsigned __int128;
constexpr std::size_t kSplitNumberBytes = sizeof(SplitNumber);

std::size_t common_prefix_length(std::string_view a, std::string_view b) {
  std::size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

SplitNumber split_number(std::string_view key, std::size_t prefix) {
  SplitNumber n = 0;
  for (std::size_t i = 0; i < kSplitNumberBytes; ++i) {
    const std::size_t at = prefix + i;
    n = (n << 8) | (at < key.size() ? static_cast<unsigned char>(key[at]) : 0U);
  }
  return n;
}

std::string split_key(std::string_view prefix, SplitNumber n) {
  std::string key(prefix);
  key.resize(prefix.size() + kSplitNumberBytes);
  for (std::size_t i = kSplitNumberBytes; i-- > 0;) {
    key[prefix.size() + i] = static_cast<char>(static_cast<unsigned char>(n & 0xFF));
    n >>= 8;
  }
  return key;
}

// Hands the documents in [lower, upper) (null: unbounded) to `loader`.
Status load_range(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* docs, rocksdb::ReadOptions read_options,
                  const std::string* lower, const std::string* upper, DocumentLoader& loader,
                  const std::atomic<bool>& failed) {
  rocksdb::Slice lower_bound;
  rocksdb::Slice upper_bound;
  if (lower != nullptr) {
    lower_bound = *lower;
    read_options.iterate_lower_bound = &lower_bound;
  }
  if (upper != nullptr) {
    upper_bound = *upper;
    read_options.iterate_upper_bound = &upper_bound;
  }
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, docs));
  std::size_t count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    // Another thread's failure ends the open: stop reading soon.
    if (++count % 1024 == 0 && failed.load(std::memory_order_relaxed)) return Status::ok();
    const std::string_view id(it->key().data(), it->key().size());
    const std::string_view value(it->value().data(), it->value().size());
    if (value.size() < kDocHeaderSize) {
      return Status::corruption("document \"" + std::string(id) + "\" in RocksDB: value of " +
                                std::to_string(value.size()) + " bytes is shorter than its header");
    }
    if (Status s = loader.on_document(id, get_fixed64(value.data()), get_fixed64(value.data() + 8),
                                      value.substr(kDocHeaderSize));
        !s) {
      return s;
    }
  }
  if (!it->status().ok()) return from_rocksdb(it->status(), "read documents");
  return Status::ok();
}

}  // namespace

Mirror::Mirror(wal::Env* env, std::string wal_dir, MirrorOptions options)
    : env_(env), wal_dir_(std::move(wal_dir)), options_(options), last_checkpoint_(std::chrono::steady_clock::now()) {
  chunks_.push_back(std::make_unique<Chunk>(kChunkBytes));
  fill_ = chunks_.front().get();
  read_ = fill_;
}

Result<std::unique_ptr<Mirror>> Mirror::open(wal::Env* env, const std::string& db_dir, const std::string& wal_dir,
                                             const MirrorOptions& options) {
  std::unique_ptr<Mirror> mirror(new Mirror(env, wal_dir, options));

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing && !options.read_only;
  db_options.create_missing_column_families = !options.read_only;
  // One flush covers both column families, so a crash never leaves meta's
  // applied_lsn ahead of (or behind) the documents it describes.
  db_options.atomic_flush = true;
  if (options.rocksdb_env != nullptr) db_options.env = options.rocksdb_env;
  db_options.paranoid_checks = true;
  db_options.avoid_flush_during_shutdown = true;  // close() checkpoints itself
  // Every write here bypasses RocksDB's WAL (the snapstore WAL is the log),
  // so its WAL stays empty; capping its size keeps RocksDB from preallocating
  // ~1.1x the write buffer (70 MiB) for each WAL file it opens.
  db_options.max_total_wal_size = 64 << 10;
  // The MANIFEST grows by a few hundred bytes per flush: 4 MiB reserved
  // (the default) would be most of a small store while it is open.
  db_options.manifest_preallocation_size = 64 << 10;
  use_store_info_log(db_options, db_dir, options.read_only);
  // RocksDB would start the compactions the last session left pending (the
  // L0 files of a load just closed) as it opens, beside the load's threads
  // on the same cores; they wait until the load is done (D120).
  rocksdb::ColumnFamilyOptions write_options = mirror_write_options();
  write_options.disable_auto_compactions = true;
  const std::vector<rocksdb::ColumnFamilyDescriptor> families =
      mirror_column_families(options.read_only ? rocksdb::ColumnFamilyOptions() : write_options);
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = options.read_only
                          ? rocksdb::DB::OpenForReadOnly(db_options, db_dir, families, &mirror->handles_, &db)
                          : rocksdb::DB::Open(db_options, db_dir, families, &mirror->handles_, &db);
  if (!s.ok()) return from_rocksdb(s, "open RocksDB at " + db_dir);
  mirror->db_.reset(db);
  mirror->docs_ = mirror->handles_[1];
  mirror->meta_ = mirror->handles_[2];

  std::string value;
  s = db->Get(rocksdb::ReadOptions(), mirror->meta_, kFormatVersionKey, &value);
  if (s.IsNotFound()) {
    if (options.read_only) return Status::corruption(db_dir + ": RocksDB holds no snapstore format version");
    std::string version;
    put_fixed32(version, kMirrorFormatVersion);
    rocksdb::WriteOptions write_options;
    write_options.disableWAL = true;  // the flush below makes it durable
    s = db->Put(write_options, mirror->meta_, kFormatVersionKey, version);
    if (s.ok()) s = db->Flush(rocksdb::FlushOptions(), mirror->handles_);
    if (!s.ok()) return from_rocksdb(s, "initialize " + db_dir);
  } else if (!s.ok()) {
    return from_rocksdb(s, "read the format version in " + db_dir);
  } else if (value.size() != 4 || get_fixed32(value.data()) != kMirrorFormatVersion) {
    return Status::corruption(db_dir + ": unsupported snapstore mirror format version");
  }

  s = db->Get(rocksdb::ReadOptions(), mirror->meta_, kAppliedLsnKey, &value);
  if (s.ok()) {
    if (value.size() != 8)
      return Status::corruption(db_dir + ": applied_lsn is " + std::to_string(value.size()) + " bytes, not 8");
    mirror->applied_lsn_ = get_fixed64(value.data());
  } else if (!s.IsNotFound()) {
    return from_rocksdb(s, "read applied_lsn in " + db_dir);
  }
  mirror->enqueued_lsn_.store(mirror->applied_lsn_, std::memory_order_relaxed);
  mirror->flushed_lsn_ = mirror->applied_lsn_;
  if (!options.read_only) mirror->applier_ = std::thread([m = mirror.get()] { m->run(); });
  return mirror;
}

Mirror::~Mirror() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    refusing_.store(true, std::memory_order_release);
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  if (applier_.joinable()) applier_.join();
  if (db_) {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close();
  }
}

std::uint64_t Mirror::applied_lsn() const {
  std::lock_guard lock(mutex_);
  return applied_lsn_;
}

Status Mirror::error() const {
  // Every write asks (Journal::append): refusing_ is set with error_, under
  // the mutex, so while it is clear there is no error to copy (D115).
  if (!refusing_.load(std::memory_order_acquire)) return Status::ok();
  std::lock_guard lock(mutex_);
  return error_;
}

MirrorStats Mirror::stats() const {
  std::lock_guard lock(mutex_);
  return MirrorStats{applied_lsn_, flushed_lsn_, checkpoints_done_, segments_retired_};
}

Result<std::vector<std::string>> Mirror::load_split_points(std::size_t parts) const {
  std::vector<std::string> splits;
  if (parts <= 1) return splits;
  std::string first;
  std::string last;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), docs_));
    it->SeekToFirst();
    if (it->Valid()) first = it->key().ToString();
    it->SeekToLast();
    if (it->Valid()) last = it->key().ToString();
    if (!it->status().ok()) return from_rocksdb(it->status(), "find the first and last document");
  }
  if (first >= last) return splits;  // empty, or one document

  rocksdb::SizeApproximationOptions size_options;
  size_options.include_memtables = true;
  size_options.include_files = true;
  std::uint64_t size = 0;
  // Approximate bytes of the documents in [first, limit). Non-decreasing in
  // `limit`, which is all the bisection below needs.
  auto size_below = [&](const std::string& limit) -> Status {
    // A bisection key made of the first 16 bytes after the shared prefix can
    // sort before `first` itself; RocksDB asserts on a reversed range.
    if (limit <= first) {
      size = 0;
      return Status::ok();
    }
    const rocksdb::Range range(first, limit);
    const rocksdb::Status s = db_->GetApproximateSizes(size_options, docs_, &range, 1, &size);
    return s.ok() ? Status::ok() : from_rocksdb(s, "estimate the size of the documents");
  };
  const std::size_t prefix = common_prefix_length(first, last);
  const std::string_view shared(first.data(), prefix);
  const SplitNumber high = split_number(last, prefix);
  // Split points for `total` bytes, bisecting over the keys as numbers.
  auto bisect = [&](std::uint64_t total) -> Status {
    SplitNumber low = split_number(first, prefix);
    for (std::size_t part = 1; part < parts; ++part) {
      const std::uint64_t target = static_cast<std::uint64_t>(static_cast<SplitNumber>(total) * part / parts);
      // The smallest key (as a number) below which lie at least `target` bytes.
      SplitNumber a = low;
      SplitNumber b = high;
      while (a < b) {
        const SplitNumber mid = a + (b - a) / 2;
        if (Status s = size_below(split_key(shared, mid)); !s) return s;
        if (size < target) {
          a = mid + 1;
        } else {
          b = mid;
        }
      }
      std::string key = split_key(shared, a);
      if (key > first && key <= last && (splits.empty() || key > splits.back())) splits.push_back(std::move(key));
      low = a;
    }
    return Status::ok();
  };
  // Each estimate reads RocksDB's current files. A compaction that finishes
  // during the bisection changes the sizes under it (its output is smaller
  // than its input), which skews the later split points; so the total is
  // read again afterwards, and a changed total means bisecting again.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    if (Status s = size_below(last + '\0'); !s) return s;  // just past the last key
    const std::uint64_t total = size;
    if (total == 0) return splits;
    splits.clear();
    if (Status s = bisect(total); !s) return s;
    if (Status s = size_below(last + '\0'); !s) return s;
    if (size == total || attempt == kAttempts) return splits;
  }
}

Status Mirror::resume_compactions() const {
  if (options_.read_only) return Status::ok();
  std::call_once(compactions_resumed_, [this] {
    const rocksdb::Status s = db_->EnableAutoCompaction(handles_);
    if (!s.ok()) resume_status_ = from_rocksdb(s, "resume RocksDB's compactions");
  });
  return resume_status_;
}

Status Mirror::load(LoadSink& sink, unsigned threads) const {
  Status loaded = load_documents(sink, threads);
  Status resumed = resume_compactions();
  return loaded.is_ok() ? resumed : loaded;
}

Status Mirror::load_documents(LoadSink& sink, unsigned threads) const {
  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, meta_));
    for (it->Seek(kIndexKeyPrefix); it->Valid() && it->key().starts_with(kIndexKeyPrefix); it->Next()) {
      const std::string name = it->key().ToString().substr(kIndexKeyPrefix.size());
      auto definition = decode_index_fields(std::string_view(it->value().data(), it->value().size()));
      if (!definition) {
        return Status::corruption("index \"" + name + "\" in RocksDB: " + definition.status().detail());
      }
      if (Status s = sink.on_index(name, std::move(definition->fields), std::move(definition->options)); !s) return s;
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "read index definitions");
  }

  if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
  // More ranges than threads: a thread that finishes early takes another, so
  // a badly estimated range delays no one for long.
  auto splits = load_split_points(std::size_t{threads} * kRangesPerThread);
  if (!splits) return splits.status();
  const std::size_t ranges = splits->size() + 1;
  const std::size_t workers = std::min<std::size_t>(threads, ranges);

  // One snapshot for every range: the ranges together are one consistent
  // state even if something wrote to RocksDB meanwhile.
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  struct SnapshotRelease {
    rocksdb::DB* db;
    const rocksdb::Snapshot* snapshot;
    ~SnapshotRelease() {
      if (snapshot != nullptr) db->ReleaseSnapshot(snapshot);
    }
  } release{db_.get(), snapshot};
  read_options.snapshot = snapshot;

  std::uint64_t estimate = 0;
  if (db_->GetIntProperty(docs_, "rocksdb.estimate-num-keys", &estimate)) sink.expect_documents(estimate);
  // Ranges go out in increasing order, so each loader sees increasing ids.
  std::vector<std::unique_ptr<DocumentLoader>> loaders;
  for (std::size_t w = 0; w < workers; ++w) loaders.push_back(sink.make_loader());
  std::atomic<std::size_t> next_range{0};
  std::atomic<bool> failed{false};
  std::vector<Status> results(workers);
  auto work = [&](std::size_t w) {
    Status status;
    // An exception here (std::bad_alloc, a throwing progress callback) would
    // terminate the process from a plain thread: it fails the open instead.
    try {
      for (std::size_t r = next_range.fetch_add(1); status.is_ok() && r < ranges; r = next_range.fetch_add(1)) {
        if (failed.load(std::memory_order_relaxed)) break;
        const std::string* lower = r == 0 ? nullptr : &(*splits)[r - 1];
        const std::string* upper = r + 1 == ranges ? nullptr : &(*splits)[r];
        status = load_range(db_.get(), docs_, read_options, lower, upper, *loaders[w], failed);
      }
      if (status.is_ok() && !failed.load(std::memory_order_relaxed)) status = loaders[w]->finish();
    } catch (...) {
      status = base::status_of_exception("load documents from RocksDB", std::current_exception());
    }
    if (!status.is_ok()) failed.store(true, std::memory_order_relaxed);
    results[w] = std::move(status);
  };
  std::vector<std::thread> started;
  for (std::size_t w = 1; w < workers; ++w) {
    try {
      started.emplace_back(work, w);
    } catch (const std::system_error&) {
      break;  // fewer threads: the others take the remaining ranges
    }
  }
  work(0);
  for (auto& thread : started) thread.join();
  // Loaders whose thread never started still finish (they hold nothing).
  for (std::size_t w = started.size() + 1; w < workers; ++w) work(w);
  for (Status& result : results) {
    if (!result) return result;
  }
  return sink.on_loaded();
}

void Mirror::enqueue(std::uint64_t first_lsn, std::uint64_t last_lsn, std::string_view payload) {
  // A failed or stopping mirror stops consuming, so waiting would never end:
  // drop instead (the WAL keeps the batch, and the store reports the error
  // on its next write).
  if (refusing_.load(std::memory_order_acquire)) return;
  // Back-pressure: the writer waits rather than letting memory grow.
  if (queued_bytes_.load(std::memory_order_acquire) >= options_.max_lag_bytes) {
    std::unique_lock lock(mutex_);
    done_cv_.wait(lock, [&] {
      return queued_bytes_.load(std::memory_order_acquire) < options_.max_lag_bytes || !error_.is_ok() || stopping_;
    });
    if (!error_.is_ok() || stopping_) return;
  }
  const std::size_t bytes = kQueuedHeaderBytes + payload.size();
  if (fill_->capacity - fill_used_ < bytes) start_chunk(bytes);
  char* at = fill_->data.get() + fill_used_;
  const std::uint64_t header[3] = {first_lsn, last_lsn, payload.size()};
  std::memcpy(at, header, kQueuedHeaderBytes);
  std::memcpy(at + kQueuedHeaderBytes, payload.data(), payload.size());
  fill_used_ += bytes;
  // Counted before it is published, so the applier never subtracts first.
  const std::uint64_t queued = queued_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  fill_->written.store(fill_used_, std::memory_order_release);
  enqueued_lsn_.store(last_lsn, std::memory_order_release);
  // The applier polls (run()); waking it per batch would cost two context
  // switches per write. Only a queue filling up toward its bound wakes it.
  if (applier_waiting_.load(std::memory_order_relaxed) && queued >= options_.max_lag_bytes / 4) {
    std::lock_guard lock(mutex_);
    work_cv_.notify_one();
  }
}

void Mirror::start_chunk(std::size_t bytes) {
  std::unique_ptr<Chunk> chunk;
  {
    std::lock_guard lock(mutex_);
    if (bytes <= kChunkBytes && !spare_chunks_.empty()) {
      chunk = std::move(spare_chunks_.back());
      spare_chunks_.pop_back();
    }
  }
  if (!chunk) chunk = std::make_unique<Chunk>(std::max(bytes, kChunkBytes));
  Chunk* next = chunk.get();
  {
    std::lock_guard lock(mutex_);
    chunks_.push_back(std::move(chunk));
  }
  // Linked after the last append to the old chunk: the applier, seeing
  // `next`, sees every byte written there.
  fill_->next.store(next, std::memory_order_release);
  fill_ = next;
  fill_used_ = 0;
}

std::uint64_t Mirror::take(std::vector<Queued>& out, std::size_t limit) {
  std::uint64_t bytes = 0;
  while (out.size() < limit) {
    std::size_t written = read_->written.load(std::memory_order_acquire);
    if (read_pos_ == written) {
      Chunk* next = read_->next.load(std::memory_order_acquire);
      if (next == nullptr) break;
      written = read_->written.load(std::memory_order_acquire);
      if (read_pos_ == written) {
        read_ = next;
        read_pos_ = 0;
        ++taken_chunks_;
        continue;
      }
    }
    while (read_pos_ < written && out.size() < limit) {
      const char* at = read_->data.get() + read_pos_;
      std::uint64_t header[3];
      std::memcpy(header, at, kQueuedHeaderBytes);
      out.push_back(Queued{header[0], header[1], std::string_view(at + kQueuedHeaderBytes, header[2])});
      read_pos_ += kQueuedHeaderBytes + header[2];
      bytes += kQueuedHeaderBytes + header[2];
    }
  }
  return bytes;
}

void Mirror::release_taken(std::uint64_t bytes) {
  if (bytes == 0 && taken_chunks_ == 0) return;
  std::vector<std::unique_ptr<Chunk>> freed;
  {
    std::lock_guard lock(mutex_);
    for (; taken_chunks_ > 0; --taken_chunks_) {
      std::unique_ptr<Chunk> chunk = std::move(chunks_.front());
      chunks_.pop_front();
      if (chunk->capacity == kChunkBytes && spare_chunks_.size() < kSpareChunks) {
        chunk->written.store(0, std::memory_order_relaxed);
        chunk->next.store(nullptr, std::memory_order_relaxed);
        spare_chunks_.push_back(std::move(chunk));
      } else {
        freed.push_back(std::move(chunk));
      }
    }
    // Under the mutex: a producer waiting for room checks under it too.
    queued_bytes_.fetch_sub(bytes, std::memory_order_release);
  }
  done_cv_.notify_all();
}

bool Mirror::has_queued() const {
  return read_pos_ < read_->written.load(std::memory_order_acquire) ||
         read_->next.load(std::memory_order_acquire) != nullptr;
}

void Mirror::run() {
  std::vector<Queued> batches;
  std::unique_lock lock(mutex_);
  bool busy = false;  // the last round found batches to apply
  while (true) {
    if (!error_.is_ok()) {
      // Nothing can be applied any more; answer checkpoint requests with the
      // error, and drop what is queued so that no producer waits for room.
      checkpoints_done_ = checkpoint_requests_;
      lock.unlock();
      do {
        batches.clear();
        release_taken(take(batches, kMaxBatchesPerWrite));
      } while (!batches.empty());
      lock.lock();
      done_cv_.notify_all();
      if (stopping_) return;
      work_cv_.wait_for(lock, std::chrono::milliseconds(100));
      continue;
    }
    lock.unlock();
    batches.clear();
    const std::uint64_t taken = take(batches, kMaxBatchesPerWrite);
    Status status;
    if (!batches.empty()) status = apply(batches);
    release_taken(taken);  // room in the queue
    lock.lock();
    if (!batches.empty() && status.is_ok()) {
      applied_lsn_ = batches.back().last_lsn;
      bytes_since_checkpoint_ += taken;
    }
    // A requested checkpoint waits until what was queued before the request
    // is applied; a due one runs at once, so that steady load cannot keep
    // the WAL from being retired.
    const std::uint64_t requests = checkpoint_requests_;
    const bool requested = requests > checkpoints_done_ && applied_lsn_ >= checkpoint_target_lsn_;
    const bool due = bytes_since_checkpoint_ >= options_.checkpoint_wal_bytes ||
                     (applied_lsn_ > flushed_lsn_ &&
                      std::chrono::steady_clock::now() - last_checkpoint_ >= options_.checkpoint_interval);
    if (status.is_ok() && (requested || due)) {
      lock.unlock();
      status = flush_and_retire();
      lock.lock();
      if (status.is_ok()) {
        if (requested) checkpoints_done_ = requests;
        bytes_since_checkpoint_ = 0;
        last_checkpoint_ = std::chrono::steady_clock::now();
      }
    }
    if (!status.is_ok() && error_.is_ok()) {
      error_ = status;
      refusing_.store(true, std::memory_order_release);
    }
    done_cv_.notify_all();
    if (batches.empty() && !requested && !due) {
      if (stopping_) return;
      // Poll often while writes flow, rarely when the store is idle.
      applier_waiting_.store(true, std::memory_order_relaxed);
      work_cv_.wait_for(lock, std::chrono::milliseconds(busy ? 2 : 100));
      applier_waiting_.store(false, std::memory_order_relaxed);
      busy = has_queued();
    } else {
      busy = true;
    }
  }
}

namespace {

// One applied operation, written into a RocksDB WriteBatch. Documents come
// as views into the queued payload (wal::visit_payload): nothing is decoded
// into copies on the way from the WAL record to RocksDB.
class WriteBatchBuilder final : public wal::PayloadVisitor {
 public:
  WriteBatchBuilder(rocksdb::WriteBatch& write, rocksdb::ColumnFamilyHandle* docs, rocksdb::ColumnFamilyHandle* meta)
      : write_(write), docs_(docs), meta_(meta) {}

  Status document(const wal::DocumentOperation& op, std::uint64_t lsn) override {
    const rocksdb::Slice key(op.key.data(), op.key.size());
    if (op.type == wal::OpType::kDelete) return checked(write_.Delete(docs_, key));
    // The value's header and the document go into the batch as two parts:
    // RocksDB copies each once, with no value assembled beforehand.
    char header[kDocHeaderSize];
    base::encode_fixed64(header, op.version);
    base::encode_fixed64(header + 8, lsn);
    const rocksdb::Slice value[2] = {rocksdb::Slice(header, sizeof header),
                                     rocksdb::Slice(op.document.data(), op.document.size())};
    return checked(write_.Put(docs_, rocksdb::SliceParts(&key, 1), rocksdb::SliceParts(value, 2)));
  }
  Status index(const wal::Operation& op, std::uint64_t) override {
    if (op.type == wal::OpType::kDropIndex) return checked(write_.Delete(meta_, std::string(kIndexKeyPrefix) + op.key));
    return checked(write_.Put(meta_, std::string(kIndexKeyPrefix) + op.key, encode_index_fields(op.fields, op.index_options)));
  }

 private:
  static Status checked(const rocksdb::Status& s) {
    return s.ok() ? Status::ok() : from_rocksdb(s, "build a RocksDB write batch");
  }

  rocksdb::WriteBatch& write_;
  rocksdb::ColumnFamilyHandle* const docs_;
  rocksdb::ColumnFamilyHandle* const meta_;
};

}  // namespace

Status Mirror::apply(const std::vector<Queued>& batches) {
  // A mirror written without a load first (tools, tests) compacts too.
  if (Status s = resume_compactions(); !s) return s;
  // Sized once: each operation's entry is at most its part of the payload
  // plus the value's 16-byte header and RocksDB's few bytes of framing, so
  // the batch's buffer does not grow by doubling and copying as it fills.
  std::size_t reserve = kWriteBatchHeaderBytes + 64;
  for (const Queued& queued : batches) {
    reserve += queued.payload.size() + kWriteBatchEntryBytes * (queued.last_lsn - queued.first_lsn + 1);
  }
  rocksdb::WriteBatch write(reserve);
  WriteBatchBuilder builder(write, docs_, meta_);
  for (const Queued& queued : batches) {
    if (Status s = wal::visit_payload(queued.payload, builder); !s) return s;
  }
  std::string value;
  put_fixed64(value, batches.back().last_lsn);
  write.Put(meta_, kAppliedLsnKey, value);
  rocksdb::WriteOptions write_options;
  write_options.disableWAL = true;  // the snapstore WAL is the log; checkpoints flush
  SNAPSTORE_KILL_POINT("mirror.apply.before_write");
  const rocksdb::Status s = db_->Write(write_options, &write);
  if (!s.ok()) return from_rocksdb(s, "apply WAL batches to RocksDB");
  SNAPSTORE_KILL_POINT("mirror.apply.after_write");
  return Status::ok();
}

Status Mirror::flush_and_retire() {
  if (Status s = resume_compactions(); !s) return s;
  std::uint64_t lsn = 0;
  {
    std::lock_guard lock(mutex_);
    lsn = applied_lsn_;
  }
  rocksdb::FlushOptions flush_options;
  flush_options.wait = true;
  SNAPSTORE_KILL_POINT("checkpoint.before_flush");
  const rocksdb::Status s = db_->Flush(flush_options, handles_);
  if (!s.ok()) return from_rocksdb(s, "checkpoint: flush RocksDB");
  SNAPSTORE_KILL_POINT("checkpoint.after_flush");
  {
    std::lock_guard lock(mutex_);
    flushed_lsn_ = lsn;
  }
  // Retire segments wholly covered: a segment ends where the next one starts,
  // and the last (active) segment is never removed.
  auto segments = wal::list_segments(env_, wal_dir_);
  if (!segments) return segments.status();
  // Segments a change-feed consumer still reads stay too.
  std::uint64_t keep_from = UINT64_MAX;
  if (options_.retention) {
    RetentionDecision decision = options_.retention(*segments, lsn);
    keep_from = decision.keep_from;
    for (const std::string& warning : decision.warnings) log_warning(warning);
  }
  std::uint64_t retired = 0;
  SNAPSTORE_KILL_POINT("retire.before_remove");
  for (std::size_t i = 0; i + 1 < segments->size(); ++i) {
    if ((*segments)[i + 1].first_lsn > lsn + 1) break;
    if ((*segments)[i + 1].first_lsn > keep_from) break;
    if (Status r = env_->remove((*segments)[i].path); !r) return r;
    SNAPSTORE_KILL_POINT("retire.after_remove");
    ++retired;
  }
  if (retired > 0) {
    if (Status r = env_->sync_dir(wal_dir_); !r) return r;
    SNAPSTORE_KILL_POINT("retire.after_dir_sync");
    std::lock_guard lock(mutex_);
    segments_retired_ += retired;
  }
  return Status::ok();
}

void Mirror::log_warning(const std::string& message) const {
  if (!db_) return;
  const std::shared_ptr<rocksdb::Logger> logger = db_->GetDBOptions().info_log;
  if (logger) rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, logger, "snapstore: %s", message.c_str());
}

Status Mirror::checkpoint() {
  if (options_.read_only) return Status::invalid_argument("checkpoint of a read-only store");
  std::unique_lock lock(mutex_);
  if (!error_.is_ok()) return error_;
  const std::uint64_t ticket = ++checkpoint_requests_;
  checkpoint_target_lsn_ = enqueued_lsn_.load(std::memory_order_acquire);
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return checkpoints_done_ >= ticket || !error_.is_ok(); });
  return error_;
}

Status Mirror::create_checkpoint(const std::string& dir) const {
  if (options_.read_only) return Status::invalid_argument("a checkpoint of a read-only RocksDB mirror");
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
  if (!s.ok()) return from_rocksdb(s, "prepare a RocksDB checkpoint");
  const std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: always flush first. RocksDB's own WAL is empty
  // (every write bypasses it), so only a flush puts the memtables' state in
  // the copy; atomic_flush makes it one state across column families.
  s = checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0);
  if (!s.ok()) return from_rocksdb(s, "write a RocksDB checkpoint into " + dir);
  return Status::ok();
}

Status Mirror::close() {
  if (options_.read_only || !applier_.joinable()) return Status::ok();
  Status status = checkpoint();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    refusing_.store(true, std::memory_order_release);
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  applier_.join();
  return status;
}

}  // namespace snapstore::recovery
