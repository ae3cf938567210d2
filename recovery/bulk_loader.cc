// BulkLoader: SstFileWriter + IngestExternalFile into a new mirror (see bulk_loader.h).
#include "recovery/bulk_loader.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>

#include "recovery/mirror_families.h"
#include "recovery/mirror_format.h"
#include "recovery/rocksdb_logger.h"
#include "recovery/rocksdb_status.h"
#include "wal/env.h"

namespace snapstore::recovery {
struct BulkLoader::State {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Options sst_options;
  std::unique_ptr<rocksdb::SstFileWriter> writer;
  std::vector<std::string> files;  // finished table files, in the order written
};

BulkLoader::BulkLoader(std::string db_dir) : db_dir_(std::move(db_dir)), state_(std::make_unique<State>()) {}

BulkLoader::~BulkLoader() {
  state_->writer.reset();
  if (state_->db) {
    for (auto* handle : state_->handles) state_->db->DestroyColumnFamilyHandle(handle);
    state_->db->Close();
  }
}

Result<std::unique_ptr<BulkLoader>> BulkLoader::create(const std::string& db_dir, rocksdb::Env* env) {
  std::unique_ptr<BulkLoader> loader(new BulkLoader(db_dir));
  // The same database options as the Mirror's, so that Store::open finds
  // what it would have written itself.
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.error_if_exists = true;
  db_options.create_missing_column_families = true;
  db_options.atomic_flush = true;
  db_options.paranoid_checks = true;
  if (env != nullptr) {
    db_options.env = env;
    loader->state_->sst_options.env = env;
  }
  use_store_info_log(db_options, db_dir, /*read_only=*/false);
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = mirror_column_families();
  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(db_options, db_dir, families, &loader->state_->handles, &db);
  if (!s.ok()) return from_rocksdb(s, "create RocksDB at " + db_dir);
  loader->state_->db.reset(db);
  return loader;
}

Status BulkLoader::start_file() {
  state_->writer =
      std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), state_->sst_options, state_->handles[1]);
  const std::string path = wal::join_path(db_dir_, "bulk-" + std::to_string(++file_number_) + ".sst");
  const rocksdb::Status s = state_->writer->Open(path);
  if (!s.ok()) return from_rocksdb(s, "create table file " + path);
  state_->files.push_back(path);
  file_open_ = true;
  return Status::ok();
}

Status BulkLoader::finish_file() {
  file_open_ = false;
  const rocksdb::Status s = state_->writer->Finish();
  state_->writer.reset();
  if (!s.ok()) return from_rocksdb(s, "finish table file " + state_->files.back());
  return Status::ok();
}

Status BulkLoader::add(std::string_view id, std::uint64_t version, std::uint64_t revision, std::string_view document) {
  if (file_open_ && std::string_view(last_id_) >= id) {
    if (std::string_view(last_id_) == id)
      return Status::invalid_argument("document id \"" + std::string(id) + "\" appears twice");
    // Out of order: this run ends here; a later ingestion puts the next run on top.
    if (Status s = finish_file(); !s) return s;
  }
  if (!file_open_) {
    if (Status s = start_file(); !s) return s;
  }
  value_.clear();
  put_fixed64(value_, version);
  put_fixed64(value_, revision);
  value_.append(document);
  const rocksdb::Status s = state_->writer->Put(rocksdb::Slice(id.data(), id.size()), value_);
  if (!s.ok()) return from_rocksdb(s, "write document \"" + std::string(id) + "\" to " + state_->files.back());
  last_id_.assign(id);
  ++documents_;
  return Status::ok();
}

Status BulkLoader::finish(std::uint64_t applied_lsn, const std::vector<IndexDefinition>& indexes) {
  if (file_open_) {
    if (Status s = finish_file(); !s) return s;
  }
  rocksdb::DB* db = state_->db.get();
  rocksdb::ColumnFamilyHandle* docs = state_->handles[1];
  rocksdb::ColumnFamilyHandle* meta = state_->handles[2];
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;
  ingest.write_global_seqno = false;
  // One file per call: runs written out of id order may overlap, and each
  // ingestion then lands above the previous one.
  for (const std::string& file : state_->files) {
    const rocksdb::Status s = db->IngestExternalFile(docs, {file}, ingest);
    if (!s.ok()) return from_rocksdb(s, "ingest " + file);
  }
  // add() sees a repeated id only within one run; across runs a later key
  // would hide an earlier one, so count what the database now holds.
  if (file_number_ > 1) {
    std::uint64_t keys = 0;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), docs));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++keys;
    if (!it->status().ok()) return from_rocksdb(it->status(), "count the loaded documents");
    if (keys != documents_) {
      return Status::invalid_argument(std::to_string(documents_ - keys) + " document id(s) appear more than once");
    }
  }
  rocksdb::WriteBatch batch;
  std::string value;
  put_fixed32(value, kMirrorFormatVersion);
  batch.Put(meta, kFormatVersionKey, value);
  value.clear();
  put_fixed64(value, applied_lsn);
  batch.Put(meta, kAppliedLsnKey, value);
  for (const IndexDefinition& index : indexes) {
    batch.Put(meta, std::string(kIndexKeyPrefix) + index.name, encode_index_fields(index.fields, index.options));
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  rocksdb::Status s = db->Write(write_options, &batch);
  if (!s.ok()) return from_rocksdb(s, "write the meta family in " + db_dir_);
  s = db->Flush(rocksdb::FlushOptions(), state_->handles);
  if (!s.ok()) return from_rocksdb(s, "flush " + db_dir_);
  for (auto* handle : state_->handles) db->DestroyColumnFamilyHandle(handle);
  state_->handles.clear();
  s = db->Close();
  state_->db.reset();
  if (!s.ok()) return from_rocksdb(s, "close " + db_dir_);
  return Status::ok();
}

}  // namespace snapstore::recovery
