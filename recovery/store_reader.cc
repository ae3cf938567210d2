// StoreReader: RocksDB read-only plus the WAL overlay (see store_reader.h).
#include "recovery/store_reader.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <algorithm>

#include "recovery/mirror_families.h"
#include "recovery/mirror_format.h"
#include "recovery/rocksdb_logger.h"
#include "recovery/rocksdb_status.h"

namespace snapstore::recovery {
StoreReader::~StoreReader() {
  if (db_) {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close();
  }
}

Result<std::unique_ptr<StoreReader>> StoreReader::open(const std::string& dir) {
  wal::Env* env = wal::Env::posix();
  const std::string db_dir = wal::join_path(dir, "db");
  const std::string wal_dir = wal::join_path(dir, "wal");
  if (!env->exists(db_dir)) return Status::invalid_argument("no store at " + dir + " (no db/ directory)");
  std::unique_ptr<StoreReader> reader(new StoreReader());

  rocksdb::DBOptions db_options;
  db_options.paranoid_checks = true;
  use_store_info_log(db_options, db_dir, /*read_only=*/true);
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = mirror_column_families();
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(db_options, db_dir, families, &reader->handles_, &db);
  if (!s.ok()) return from_rocksdb(s, "open RocksDB at " + db_dir);
  reader->db_.reset(db);
  reader->docs_ = reader->handles_[1];
  reader->meta_ = reader->handles_[2];

  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  std::string value;
  s = db->Get(read_options, reader->meta_, kFormatVersionKey, &value);
  if (!s.ok()) return from_rocksdb(s, db_dir + ": read the snapstore format version");
  if (value.size() != 4 || get_fixed32(value.data()) != kMirrorFormatVersion) {
    return Status::corruption(db_dir + ": unsupported snapstore mirror format version");
  }
  s = db->Get(read_options, reader->meta_, kAppliedLsnKey, &value);
  if (s.ok()) {
    if (value.size() != 8) return Status::corruption(db_dir + ": applied_lsn is not 8 bytes");
    reader->applied_lsn_ = get_fixed64(value.data());
  } else if (!s.IsNotFound()) {
    return from_rocksdb(s, "read applied_lsn in " + db_dir);
  }

  std::map<std::string, std::vector<std::string>> definitions;
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, reader->meta_));
    for (it->Seek(kIndexKeyPrefix); it->Valid() && it->key().starts_with(kIndexKeyPrefix); it->Next()) {
      std::string name = it->key().ToString().substr(kIndexKeyPrefix.size());
      auto fields = decode_index_fields(std::string_view(it->value().data(), it->value().size()));
      if (!fields) return Status::corruption("index \"" + name + "\" in RocksDB: " + fields.status().detail());
      definitions.emplace(std::move(name), std::move(*fields));
    }
    if (!it->status().ok()) return from_rocksdb(it->status(), "read index definitions in " + db_dir);
  }

  // The WAL after applied_lsn, applied to an overlay exactly as open replays it.
  std::uint64_t last_lsn = reader->applied_lsn_;
  if (env->exists(wal_dir)) {
    const std::uint64_t applied = reader->applied_lsn_;
    std::uint64_t previous_last_lsn = 0;
    auto read = wal::read_log(env, wal_dir, applied, [&](const wal::Batch& batch) -> Status {
      if (reader->wal_contiguous_from_ == 0 || batch.first_lsn != previous_last_lsn + 1) {
        reader->wal_contiguous_from_ = batch.first_lsn;
      }
      previous_last_lsn = batch.last_lsn();
      std::uint64_t lsn = batch.first_lsn;
      for (const wal::Operation& op : batch.ops) {
        if (op.type == wal::OpType::kDelete) reader->wal_deletions_.push_back({op.key, lsn});
        ++lsn;
      }
      if (batch.last_lsn() <= applied) return Status::ok();
      if (batch.first_lsn != last_lsn + 1) {
        return Status::corruption("WAL in " + wal_dir + " continues at LSN " + std::to_string(batch.first_lsn) +
                                  " but RocksDB holds the state up to LSN " + std::to_string(last_lsn));
      }
      lsn = batch.first_lsn;
      for (const wal::Operation& op : batch.ops) {
        switch (op.type) {
          case wal::OpType::kInsert:
          case wal::OpType::kUpdate:
            reader->overlay_.insert_or_assign(op.key, Overlay{false, op.version, lsn, op.document});
            break;
          case wal::OpType::kDelete:
            reader->overlay_.insert_or_assign(op.key, Overlay{true, op.version, lsn, {}});
            break;
          case wal::OpType::kCreateIndex:
            definitions.insert_or_assign(op.key, op.fields);
            break;
          case wal::OpType::kDropIndex:
            definitions.erase(op.key);
            break;
        }
        ++lsn;
      }
      last_lsn = batch.last_lsn();
      return Status::ok();
    });
    if (!read) return read.status();
    reader->wal_ = std::move(*read);
  }
  reader->revision_ = last_lsn;
  for (auto& [name, fields] : definitions) reader->indexes_.push_back({name, std::move(fields)});
  return reader;
}

Status StoreReader::scan(const DocumentVisitor& visit) const { return merge_scan(0, visit); }

Status StoreReader::scan_since(std::uint64_t since, const DocumentVisitor& visit) const {
  return merge_scan(since, visit);
}

Status StoreReader::merge_scan(std::uint64_t since, const DocumentVisitor& visit) const {
  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;
  read_options.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, docs_));
  auto pending = overlay_.begin();
  // Emits overlay entries that sort before `bound` (all of them when null).
  auto emit_overlay_before = [&](const std::string_view* bound) -> Status {
    for (; pending != overlay_.end() && (bound == nullptr || std::string_view(pending->first) < *bound); ++pending) {
      const Overlay& o = pending->second;
      if (o.deleted || o.revision <= since) continue;
      if (Status s = visit(StoredDocument{pending->first, o.version, o.revision, o.document}); !s) return s;
    }
    return Status::ok();
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view id(it->key().data(), it->key().size());
    if (Status s = emit_overlay_before(&id); !s) return s;
    if (pending != overlay_.end() && pending->first == id) {
      const Overlay& o = pending->second;
      ++pending;
      if (o.deleted || o.revision <= since) continue;
      if (Status s = visit(StoredDocument{id, o.version, o.revision, o.document}); !s) return s;
      continue;
    }
    const std::string_view value(it->value().data(), it->value().size());
    if (value.size() < kDocHeaderSize) {
      return Status::corruption("document \"" + std::string(id) + "\" in RocksDB: value of " +
                                std::to_string(value.size()) + " bytes is shorter than its header");
    }
    const std::uint64_t revision = get_fixed64(value.data() + 8);
    if (revision <= since) continue;
    if (Status s = visit(StoredDocument{id, get_fixed64(value.data()), revision, value.substr(kDocHeaderSize)}); !s) {
      return s;
    }
  }
  if (!it->status().ok()) return from_rocksdb(it->status(), "scan the documents in RocksDB");
  return emit_overlay_before(nullptr);
}

Result<std::vector<DeletedDocument>> StoreReader::deletions_since(std::uint64_t since) const {
  if (since >= revision_) return std::vector<DeletedDocument>{};
  // Deletions are known from the first LSN after which the WAL has no gap.
  const std::uint64_t known_from = wal_.records == 0 ? revision_ + 1 : wal_contiguous_from_;
  if (since + 1 < known_from) {
    return Status::invalid_argument("deletions since revision " + std::to_string(since) +
                                    " are no longer known: the WAL only holds revisions from " +
                                    std::to_string(known_from) +
                                    " on (a checkpoint removed older records); dump the whole store instead");
  }
  std::vector<DeletedDocument> deleted;
  for (const DeletedDocument& d : wal_deletions_) {
    if (d.revision > since) deleted.push_back(d);
  }
  std::sort(deleted.begin(), deleted.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return deleted;
}

std::uint64_t StoreReader::estimated_documents() const {
  std::uint64_t keys = 0;
  db_->GetIntProperty(docs_, "rocksdb.estimate-num-keys", &keys);
  return keys + overlay_.size();
}

std::string StoreReader::docs_property(std::string_view name) const {
  std::string value;
  if (!db_->GetProperty(docs_, rocksdb::Slice(name.data(), name.size()), &value)) return {};
  return value;
}

Status StoreReader::verify_checksums() const {
  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;
  const rocksdb::Status s = db_->VerifyChecksum(read_options);
  if (!s.ok()) return from_rocksdb(s, "RocksDB checksum verification");
  return Status::ok();
}

}  // namespace snapstore::recovery
