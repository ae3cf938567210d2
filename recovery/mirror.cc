// Mirror: RocksDB applier, checkpoints and WAL retirement (see mirror.h).
#include "recovery/mirror.h"

#include "fault/kill_point.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <msgpack.hpp>

#include "recovery/mirror_format.h"
#include "wal/reader.h"

namespace snapstore::recovery {
namespace {

Status from_rocksdb(const rocksdb::Status& s, std::string_view what) {
  std::string detail = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::corruption(detail);
  if (s.IsBusy() || s.IsTryAgain()) return Status::busy(detail);
  if (s.IsInvalidArgument() || s.IsNotSupported()) return Status::invalid_argument(detail);
  return Status::io_error(detail);
}

// How many queued batches the applier folds into one RocksDB write.
constexpr std::size_t kMaxBatchesPerWrite = 256;

}  // namespace

Mirror::Mirror(wal::Env* env, std::string wal_dir, MirrorOptions options)
    : env_(env), wal_dir_(std::move(wal_dir)), options_(options), last_checkpoint_(std::chrono::steady_clock::now()) {}

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
  db_options.max_total_wal_size = 1 << 20;
  rocksdb::ColumnFamilyOptions cf_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {std::string(kDocsFamily), cf_options},
      {std::string(kMetaFamily), cf_options},
  };
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
    if (value.size() != 8) return Status::corruption(db_dir + ": applied_lsn is " + std::to_string(value.size()) + " bytes, not 8");
    mirror->applied_lsn_ = get_fixed64(value.data());
  } else if (!s.IsNotFound()) {
    return from_rocksdb(s, "read applied_lsn in " + db_dir);
  }
  mirror->enqueued_lsn_ = mirror->applied_lsn_;
  mirror->flushed_lsn_ = mirror->applied_lsn_;
  if (!options.read_only) mirror->applier_ = std::thread([m = mirror.get()] { m->run(); });
  return mirror;
}

Mirror::~Mirror() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
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
  std::lock_guard lock(mutex_);
  return error_;
}

MirrorStats Mirror::stats() const {
  std::lock_guard lock(mutex_);
  return MirrorStats{applied_lsn_, flushed_lsn_, checkpoints_done_, segments_retired_};
}

Status Mirror::load(LoadSink& sink) const {
  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, meta_));
    for (it->Seek(kIndexKeyPrefix); it->Valid() && it->key().starts_with(kIndexKeyPrefix); it->Next()) {
      const std::string name = it->key().ToString().substr(kIndexKeyPrefix.size());
      auto fields = decode_index_fields(std::string_view(it->value().data(), it->value().size()));
      if (!fields) return Status::corruption("index \"" + name + "\" in RocksDB: " + fields.status().detail());
      if (Status s = sink.on_index(name, std::move(*fields)); !s) return s;
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "read index definitions");
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, docs_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view id(it->key().data(), it->key().size());
    const std::string_view value(it->value().data(), it->value().size());
    if (value.size() < kDocHeaderSize) {
      return Status::corruption("document \"" + std::string(id) + "\" in RocksDB: value of " +
                                std::to_string(value.size()) + " bytes is shorter than its header");
    }
    if (Status s = sink.on_document(id, get_fixed64(value.data()), get_fixed64(value.data() + 8),
                                    value.substr(kDocHeaderSize));
        !s) {
      return s;
    }
  }
  if (!it->status().ok()) return from_rocksdb(it->status(), "read documents");
  return Status::ok();
}

void Mirror::enqueue(std::uint64_t first_lsn, std::uint64_t last_lsn, std::string_view payload) {
  std::unique_lock lock(mutex_);
  // Back-pressure: the writer waits rather than letting memory grow. A failed
  // mirror stops consuming, so waiting would never end: drop instead (the WAL
  // keeps the batch, and the store reports the error on its next write).
  done_cv_.wait(lock, [&] { return queued_bytes_ < options_.max_lag_bytes || !error_.is_ok() || stopping_; });
  if (!error_.is_ok() || stopping_) return;
  queue_.push_back(Queued{first_lsn, last_lsn, std::string(payload)});
  queued_bytes_ += payload.size();
  bytes_since_checkpoint_ += payload.size();
  enqueued_lsn_ = last_lsn;
  // The applier polls (run()); waking it per batch would cost two context
  // switches per write. Only a queue filling up toward its bound wakes it.
  const bool wake = applier_waiting_ && queued_bytes_ >= options_.max_lag_bytes / 4;
  lock.unlock();
  if (wake) work_cv_.notify_one();
}

void Mirror::run() {
  std::unique_lock lock(mutex_);
  bool busy = false;  // the last round found batches to apply
  while (true) {
    if (!error_.is_ok()) {
      // Nothing can be applied any more; answer checkpoint requests with the error.
      checkpoints_done_ = checkpoint_requests_;
      queue_.clear();
      queued_bytes_ = 0;
      done_cv_.notify_all();
      if (stopping_) return;
      work_cv_.wait_for(lock, std::chrono::milliseconds(100));
      continue;
    }
    std::vector<Queued> batches;
    while (!queue_.empty() && batches.size() < kMaxBatchesPerWrite) {
      queued_bytes_ -= queue_.front().payload.size();
      batches.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    Status status;
    if (!batches.empty()) {
      lock.unlock();
      done_cv_.notify_all();  // room in the queue
      status = apply(batches);
      lock.lock();
      if (status.is_ok()) applied_lsn_ = batches.back().last_lsn;
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
    if (!status.is_ok() && error_.is_ok()) error_ = status;
    done_cv_.notify_all();
    if (batches.empty() && !requested && !due) {
      if (stopping_) return;
      // Poll often while writes flow, rarely when the store is idle.
      applier_waiting_ = true;
      work_cv_.wait_for(lock, std::chrono::milliseconds(busy ? 2 : 100));
      applier_waiting_ = false;
      busy = !queue_.empty();
    } else {
      busy = true;
    }
  }
}

Status Mirror::apply(const std::vector<Queued>& batches) {
  rocksdb::WriteBatch write;
  std::string value;
  for (const Queued& queued : batches) {
    auto batch = wal::decode_payload(queued.payload);
    if (!batch) return batch.status();
    std::uint64_t lsn = batch->first_lsn;
    for (const wal::Operation& op : batch->ops) {
      switch (op.type) {
        case wal::OpType::kInsert:
        case wal::OpType::kUpdate:
          value.clear();
          put_fixed64(value, op.version);
          put_fixed64(value, lsn);
          value.append(op.document);
          write.Put(docs_, op.key, value);
          break;
        case wal::OpType::kDelete:
          write.Delete(docs_, op.key);
          break;
        case wal::OpType::kCreateIndex:
          write.Put(meta_, std::string(kIndexKeyPrefix) + op.key, encode_index_fields(op.fields));
          break;
        case wal::OpType::kDropIndex:
          write.Delete(meta_, std::string(kIndexKeyPrefix) + op.key);
          break;
      }
      ++lsn;
    }
  }
  value.clear();
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
  std::uint64_t retired = 0;
  SNAPSTORE_KILL_POINT("retire.before_remove");
  for (std::size_t i = 0; i + 1 < segments->size(); ++i) {
    if ((*segments)[i + 1].first_lsn > lsn + 1) break;
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

Status Mirror::checkpoint() {
  if (options_.read_only) return Status::invalid_argument("checkpoint of a read-only store");
  std::unique_lock lock(mutex_);
  if (!error_.is_ok()) return error_;
  const std::uint64_t ticket = ++checkpoint_requests_;
  checkpoint_target_lsn_ = enqueued_lsn_;
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return checkpoints_done_ >= ticket || !error_.is_ok(); });
  return error_;
}

Status Mirror::close() {
  if (options_.read_only || !applier_.joinable()) return Status::ok();
  Status status = checkpoint();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  applier_.join();
  return status;
}

}  // namespace snapstore::recovery
